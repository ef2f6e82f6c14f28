"""From an actor's activity (NAF/NACE code and/or free text, FR or EN) to its estimated offers and needs.

Order (docs/eit-engine.md): 1. a NAF/NACE code given by the file or SIRENE; 2. the keyword rules of
`knowledge.ACTIVITY_RULES` on the folded text; 3. failing both, the official label (NAF rév. 2 in French,
NACE Rev. 2.1 in English) sharing the rarest words with the text. Each estimated flow says so and carries a
confidence: the typicalness weight of the knowledge table times the confidence of the mapping.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from tandem.eit.engine import knowledge
from tandem.eit.engine.model import (
    ESTIMATED,
    HEAT,
    MATERIAL,
    NEED,
    OFFER,
    WATER,
    Actor,
    Flow,
    Quality,
)
from tandem.eit.engine.reference import Reference

CODE_CONFIDENCE, RULE_CONFIDENCE, LABEL_CONFIDENCE = 0.9, 0.8, 0.4
SECTOR_LOOP_WEIGHT = 0.3
STOPWORDS = frozenset(
    "and the of for other with from des les aux pour dans avec autres autre sauf fabrication manufacture "
    "production activites activities services service commerce produits products industrie industry "
    "plant usine company societe entreprise".split()
)
NACE_CODE = re.compile(r"^\s*(\d{2})(?:[.\s]?(\d{1,2}))?\s*[A-Za-z]?\s*$")


@dataclass(frozen=True)
class ActivityMatch:
    nace: str  # "24.10", "24" or knowledge.URBAN
    confidence: float
    how: str  # French: where the code comes from


def normalise_nace(code: str) -> str | None:
    """'2410', '24.10', '24.10Z', '24' -> '24.10' / '24'; None when not a NACE code."""
    match = NACE_CODE.match(code or "")
    if not match:
        return None
    division, rest = match.groups()
    if not rest:
        return division
    return f"{division}.{rest}" if len(rest) == 2 else f"{division}.{rest}"


class LabelIndex:
    """Official NAF (FR) and NACE (EN) class labels indexed by their words, rarer words weighing more."""

    def __init__(self, ref: Reference):
        self.labels: list[tuple[str, set[str]]] = []
        for source in (ref.naf, ref.nace):
            for code, label in source.items():
                if re.fullmatch(r"\d{2}\.\d{2}", code):
                    self.labels.append((code, self.words(label)))
        counts = Counter(w for _, words in self.labels for w in words)
        self.idf = {w: math.log(len(self.labels) / c) for w, c in counts.items()}

    @staticmethod
    def words(text: str) -> set[str]:
        return {w[:6] for w in knowledge.fold(text).split() if len(w) >= 4 and w not in STOPWORDS}

    def best(self, text: str) -> str | None:
        words = self.words(text)
        best, best_score = None, 0.0
        for code, label_words in self.labels:
            score = sum(self.idf.get(w, 0.0) for w in words & label_words)
            if score > best_score:
                best, best_score = code, score
        return best if best_score >= 3.0 else None


def resolve_activity(actor: Actor, labels: LabelIndex | None = None) -> list[ActivityMatch]:
    """Every activity code the actor's NAF code and text point to (most confident first)."""
    found: list[ActivityMatch] = []
    code = normalise_nace(actor.nace)
    if code:
        found.append(ActivityMatch(code, CODE_CONFIDENCE, f"code NAF {actor.nace.strip()}"))
    if actor.activity:
        from_text = knowledge.nace_from_text(actor.activity)
        if from_text and not (code and code.startswith(from_text[:5])):
            found.append(ActivityMatch(from_text, RULE_CONFIDENCE, f"activité « {actor.activity} »"))
        elif not from_text and not code and labels is not None:
            guessed = labels.best(actor.activity)
            if guessed:
                found.append(
                    ActivityMatch(
                        guessed, LABEL_CONFIDENCE, f"libellé NAF le plus proche de « {actor.activity} »"
                    )
                )
    return found


def estimated_flows(actor: Actor, matches: list[ActivityMatch]) -> list[Flow]:
    """The offers and needs an activity typically has, each marked estimated with its confidence."""
    best: dict[tuple[str, str], tuple[float, float | None, ActivityMatch]] = {}
    for match in matches:
        for direction, table in ((OFFER, knowledge.EMITS), (NEED, knowledge.USES)):
            for resource, (weight, temperature) in knowledge.profile(table, match.nace).items():
                confidence = weight * match.confidence
                key = (direction, resource)
                if key not in best or best[key][0] < confidence:
                    best[key] = (confidence, temperature, match)
    # sector loops: an activity takes back, at a low weight, the materials its own sector emits
    for (direction, resource), (confidence, temperature, match) in list(best.items()):
        if direction == OFFER and resource.isdigit() and (NEED, resource) not in best:
            best[(NEED, resource)] = (confidence * SECTOR_LOOP_WEIGHT, temperature, match)
    flows = []
    for (direction, resource), (confidence, temperature, match) in sorted(best.items()):
        label = f"estimé d'après le {match.how}"
        if resource.isdigit():
            flows.append(
                Flow(
                    id=f"{actor.id}:{direction}:{resource}",
                    actor_id=actor.id,
                    direction=direction,
                    kind=MATERIAL,
                    ewc=resource,
                    label=label,
                    quantity=None,
                    origin=ESTIMATED,
                    confidence=round(min(1.0, confidence), 3),
                )
            )
            continue
        kind = knowledge.UTILITY_KIND[resource]
        quality = Quality()
        if kind == HEAT:
            if resource == "steam":
                temperature = knowledge.STEAM_TEMPERATURE_C if direction == OFFER else 150.0
            elif temperature is None:
                temperature = (
                    knowledge.DEFAULT_SOURCE_TEMPERATURE_C
                    if direction == OFFER
                    else knowledge.DEFAULT_SINK_TEMPERATURE_C
                )
            quality = Quality(temperature_c=temperature)
        elif kind == WATER:
            quality = Quality(water_class=_water_class(resource, direction, match.nace))
        flows.append(
            Flow(
                id=f"{actor.id}:{direction}:{resource}",
                actor_id=actor.id,
                direction=direction,
                kind=kind,
                resource=resource,
                label=label,
                unit="t" if kind == MATERIAL else ("m3" if kind == WATER else "MWh"),
                quality=quality,
                legal_status="by_product" if kind != MATERIAL else "waste",
                origin=ESTIMATED,
                confidence=round(min(1.0, confidence), 3),
            )
        )
    return flows


def _water_class(resource: str, direction: str, nace: str) -> str:
    if resource == "wastewater":
        return "raw"  # untreated effluent offered, or taken in by a treatment plant
    if direction == NEED:
        return "C"  # process, cooling, irrigation: the usual reuse class asked of an industrial supply
    if nace.startswith("36"):
        return "potable"
    if nace.startswith("37"):
        return "B"
    return "C"


class WasteIndex:
    """EWC entries indexed by the words of their French and English labels, for suggesting codes from the free
    text of a workshop sheet ("cendres volantes", "Mill scales", "pneus usagés")."""

    def __init__(self, ref: Reference):
        self.entries = [
            (code, LabelIndex.words(f"{entry.label_fr} {entry.label_en}"), entry.hazardous)
            for code, entry in sorted(ref.ewc.items())
        ]
        counts = Counter(w for _, words, _ in self.entries for w in words)
        self.idf = {w: math.log(len(self.entries) / c) for w, c in counts.items()}

    def suggest(self, text: str, limit: int = 5) -> list[tuple[str, float]]:
        """Up to `limit` (code, score) best first; the score is the summed rarity of the shared words.
        Non-hazardous entries come first on equal score (a mirror entry's hazardous twin needs evidence)."""
        words = LabelIndex.words(text)
        scored = []
        for code, label_words, hazardous in self.entries:
            shared = words & label_words
            if shared:
                score = sum(self.idf[w] for w in shared) / (1 + 0.1 * len(label_words - words))
                scored.append((-score, hazardous, code))
        scored.sort()
        return [(code, round(-neg, 2)) for neg, _, code in scored[:limit]]


def waste_t_per_employee(nace: str, factors: dict[str, float] | None = None) -> float | None:
    """Tonnes of waste per employee and per year for the most specific prefix of `nace` in the table
    (`knowledge.WASTE_T_PER_EMPLOYEE` unless `factors` are given); None when the activity has none."""
    table = knowledge.WASTE_T_PER_EMPLOYEE if factors is None else factors
    for prefix in knowledge.nace_prefixes(nace):
        if prefix in table:
            return table[prefix]
    return None


def with_quantities(
    flows: list[Flow], nace: str, headcount: float | None, factors: dict[str, float] | None = None
) -> list[Flow]:
    """The estimated flows with a yearly tonnage for their material offers: headcount × tonnes per employee of
    the activity, shared between the activity's material offers in proportion to their confidence. Other
    flows, an unknown headcount or an activity without a factor keep an unknown quantity. The quantity is an
    order of magnitude: the flow's confidence is multiplied by `knowledge.QUANTITY_CONFIDENCE`."""
    per_employee = waste_t_per_employee(nace, factors)
    materials = [f for f in flows if f.direction == OFFER and f.kind == MATERIAL and not f.resource]
    if per_employee is None or not headcount or not materials:
        return list(flows)
    total = per_employee * headcount
    weights = sum(f.confidence for f in materials)
    material_ids = {f.id for f in materials}
    out = []
    for flow in flows:
        if flow.id in material_ids:
            flow = replace(
                flow,
                quantity=round(total * flow.confidence / weights, 1),
                unit="t",
                period="year",
                confidence=round(max(flow.confidence * knowledge.QUANTITY_CONFIDENCE, 0.001), 3),
            )
        out.append(flow)
    return out
