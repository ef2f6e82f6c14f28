"""Writing a scheme in the TEE programme format (the Région's own schemes, or its version of a TEE programme):
structured eligibility fields turned into the TEE publicodes rules, and back. Pure Python, no Django.

The rules follow the TEE shape (`entreprise . est ciblée` = `est éligible` and `est dans un secteur d'activité
ciblé` and `a un objectif ciblé`), with the same interface inputs. One addition the TEE data lacks: NAF codes
excluded below the section level (e.g. « hors codes NAF 35, 41, 47.91 à 53 »), written on the interface input
`entreprise . code NAF` (a SIRENE sub-class such as "25.62B") as string comparisons, which the reference engine
and the Python evaluator both order character by character; NAF codes have a fixed width ("NN.NNX"), so that
order is the order of the codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .profile import NAF_SECTIONS, OBJECTIVE_PREFIX, OBJECTIVES

ROOT = "entreprise . est ciblée"
ELIGIBLE = "entreprise . est éligible"
HEADCOUNT_RULE = "entreprise . a un effectif éligible"
LEGAL_RULE = "entreprise . a une categorie legale eligible"
AREA_RULE = "entreprise . est dans une zone géographique éligible"
ACTIVITY_RULE = "entreprise . est dans un secteur d'activité ciblé"
SECTION_RULE = "entreprise . est dans une section NAF ciblée"
NAF_EXCLUSION_RULE = "entreprise . a un code NAF hors exclusions"
OBJECTIVE_RULE = "entreprise . a un objectif ciblé"
SECTION_CONDITION = "code NAF niveau 1 . est "
NAF_CODE = "code NAF"

_BOUND = re.compile(r"^\d{2}(?:\.\d{1,2})?$")


class AuthoringError(ValueError):
    """A structured field that cannot become a rule (French message naming the field)."""


@dataclass(frozen=True)
class NafRange:
    """Codes from `first` to `last` included, each a division ("47") or a class or group prefix ("47.91")."""

    first: str
    last: str

    @property
    def text(self) -> str:
        return self.first if self.first == self.last else f"{self.first} à {self.last}"


def _prefix_after(prefix: str) -> str | None:
    """The smallest string above every code starting with `prefix` ("53" → "54", "47.99" → "48.00");
    None past the last division."""
    digits = [c for c in prefix]
    i = len(digits) - 1
    while i >= 0:
        if digits[i] == ".":
            i -= 1
            continue
        if digits[i] != "9":
            digits[i] = str(int(digits[i]) + 1)
            return "".join(digits)
        digits[i] = "0"
        i -= 1
    return None


def parse_naf_exclusions(text: str, *, field_name: str = "codes NAF exclus") -> list[NafRange]:
    """« 35, 41, 47.91 à 53, 64 à 70 » → ranges. Codes are divisions (2 digits) or prefixes of classes."""
    ranges = []
    for part in (p.strip() for p in re.split(r"[,;]", text or "")):
        if not part:
            continue
        bounds = [b.strip() for b in re.split(r"\s+(?:à|a|-)\s+|\s*-\s*", part)]
        if len(bounds) not in (1, 2) or not all(_BOUND.match(b) for b in bounds):
            raise AuthoringError(
                f"Code NAF illisible : « {part} » (champ « {field_name} » ; "
                "exemples : 35 ou 47.91 ou 47.91 à 53)."
            )
        first, last = bounds[0], bounds[-1]
        if first > last:
            raise AuthoringError(f"Intervalle de codes NAF à l'envers : « {part} » (champ « {field_name} »).")
        ranges.append(NafRange(first, last))
    return ranges


def naf_allowed_conditions(ranges: Iterable[NafRange]) -> list:
    """The publicodes conditions (one of them must hold) of a code outside the excluded ranges."""
    ordered = sorted(ranges, key=lambda r: r.first)
    conditions: list = []
    low: str | None = None
    for excluded in ordered:
        pieces = []
        if low is not None:
            pieces.append(f'{NAF_CODE} >= "{low}"')
        pieces.append(f'{NAF_CODE} < "{excluded.first}"')
        if low is None or low < excluded.first:
            conditions.append(pieces[0] if len(pieces) == 1 else {"toutes ces conditions": pieces})
        after = _prefix_after(excluded.last)
        if after is None:
            return conditions
        low = after if low is None else max(low, after)
    conditions.append(f'{NAF_CODE} >= "{low}"' if low is not None else f'{NAF_CODE} >= "00"')
    return conditions


@dataclass
class EligibilityFields:
    """The eligibility a scheme form can express."""

    min_employees: int | None = None
    max_employees: int | None = None
    exclude_micro: bool = False
    regions: list[str] = field(default_factory=list)  # French region names; empty: everywhere
    naf_sections: list[str] = field(default_factory=lambda: list(NAF_SECTIONS))
    naf_exclusions: str = ""  # « 35, 41, 47.91 à 53 »
    objectives: list[str] = field(default_factory=list)  # keys of OBJECTIVES; empty: any


def build_rules(fields: EligibilityFields) -> dict[str, Any]:
    """The programme's own publicodes rules, in the TEE shape."""
    if not fields.naf_sections:
        raise AuthoringError("Choisissez au moins une section NAF (champ « sections NAF »).")
    unknown = [s for s in fields.naf_sections if s not in NAF_SECTIONS]
    if unknown:
        raise AuthoringError(f"Section NAF inconnue : « {unknown[0]} » (champ « sections NAF »).")
    if (
        fields.min_employees is not None
        and fields.max_employees is not None
        and fields.min_employees > fields.max_employees
    ):
        raise AuthoringError("L'effectif minimum dépasse l'effectif maximum (champs « effectif »).")
    rules: dict[str, Any] = {
        ROOT: {
            "toutes ces conditions": [
                "est éligible",
                "est dans un secteur d'activité ciblé",
                "a un objectif ciblé",
            ]
        }
    }
    eligible: list[str] = []
    headcount = []
    if fields.min_employees is not None:
        headcount.append(f"effectif >= {fields.min_employees}")
    if fields.max_employees is not None:
        headcount.append(f"effectif <= {fields.max_employees}")
    extra: dict[str, Any] = {}
    if headcount:
        eligible.append("a un effectif éligible")
        extra[HEADCOUNT_RULE] = {"toutes ces conditions": headcount}
    if fields.exclude_micro:
        eligible.append("a une categorie legale eligible")
        extra[LEGAL_RULE] = {"toutes ces conditions": ["microentrepreneur = non"]}
    if fields.regions:
        eligible.append("entreprise . est dans une zone géographique éligible")
        extra[AREA_RULE] = {"une de ces conditions": [f"région = {name}" for name in fields.regions]}
    rules[ELIGIBLE] = {"toutes ces conditions": eligible} if eligible else {"valeur": "oui"}
    rules.update(extra)
    sections = {
        "une de ces conditions": [SECTION_CONDITION + s for s in NAF_SECTIONS if s in fields.naf_sections]
    }
    exclusions = parse_naf_exclusions(fields.naf_exclusions)
    if exclusions:
        rules[ACTIVITY_RULE] = {
            "toutes ces conditions": ["est dans une section NAF ciblée", "a un code NAF hors exclusions"]
        }
        rules[SECTION_RULE] = sections
        rules[NAF_EXCLUSION_RULE] = {
            "description": "hors codes NAF " + ", ".join(r.text for r in exclusions),
            "une de ces conditions": naf_allowed_conditions(exclusions),
        }
    else:
        rules[ACTIVITY_RULE] = sections
    unknown_objectives = [o for o in fields.objectives if o not in OBJECTIVES]
    if unknown_objectives:
        raise AuthoringError(f"Objectif inconnu : « {unknown_objectives[0]} » (champ « objectifs »).")
    if fields.objectives:
        rules[OBJECTIVE_RULE] = {
            "une de ces conditions": [
                OBJECTIVE_PREFIX + OBJECTIVES[o][0] for o in OBJECTIVES if o in fields.objectives
            ]
        }
    else:
        rules[OBJECTIVE_RULE] = {"valeur": "oui"}
    return rules


def _conditions(rule: Any, key: str) -> list | None:
    if (
        isinstance(rule, Mapping)
        and set(rule) - {"description", "titre"} == {key}
        and isinstance(rule[key], list)
    ):
        return rule[key]
    return None


def read_fields(own_rules: Mapping[str, Any]) -> EligibilityFields | None:
    """The structured fields of rules in the shape `build_rules` writes (TEE's usual shape); None when the
    rules say more than the fields can (then they are edited as publicodes)."""
    found = EligibilityFields(naf_sections=[])
    for key in own_rules:
        if key not in (
            ROOT,
            ELIGIBLE,
            HEADCOUNT_RULE,
            LEGAL_RULE,
            AREA_RULE,
            ACTIVITY_RULE,
            SECTION_RULE,
            NAF_EXCLUSION_RULE,
            OBJECTIVE_RULE,
        ):
            return None
    for condition in _conditions(own_rules.get(HEADCOUNT_RULE), "toutes ces conditions") or []:
        match = re.fullmatch(r"effectif\s*(<=|>=)\s*(\d+)", str(condition))
        if not match:
            return None
        if match[1] == "<=":
            found.max_employees = int(match[2])
        else:
            found.min_employees = int(match[2])
    found.exclude_micro = LEGAL_RULE in own_rules
    for condition in _conditions(own_rules.get(AREA_RULE), "une de ces conditions") or []:
        match = re.fullmatch(r"région = (.+)", str(condition))
        if not match:
            return None
        found.regions.append(match[1].strip().strip('"'))
    sections_rule = (
        own_rules.get(SECTION_RULE) if NAF_EXCLUSION_RULE in own_rules else own_rules.get(ACTIVITY_RULE)
    )
    for condition in _conditions(sections_rule, "une de ces conditions") or []:
        if not str(condition).startswith(SECTION_CONDITION):
            return None
        found.naf_sections.append(str(condition).removeprefix(SECTION_CONDITION))
    if NAF_EXCLUSION_RULE in own_rules:
        found.naf_exclusions = str(own_rules[NAF_EXCLUSION_RULE].get("description", "")).removeprefix(
            "hors codes NAF "
        )
    by_rule = {rule: code for code, (rule, _label) in OBJECTIVES.items()}
    for condition in _conditions(own_rules.get(OBJECTIVE_RULE), "une de ces conditions") or []:
        text = " ".join(str(condition).split()).removeprefix(OBJECTIVE_PREFIX)
        if text not in by_rule:
            return None
        found.objectives.append(by_rule[text])
    try:
        rebuilt = build_rules(found)
    except AuthoringError:
        return None
    # Only a faithful round trip counts (same conditions, whatever the order of the lists).
    if _normalised(rebuilt) != _normalised(own_rules):
        return None
    return found


def _normalised(rules: Mapping[str, Any]) -> dict:
    def norm(value):
        if isinstance(value, Mapping):
            return {k: norm(v) for k, v in value.items() if k not in ("description", "titre")}
        if isinstance(value, list):
            return sorted((norm(v) for v in value), key=repr)
        return " ".join(str(value).replace("questionnaire . ", "").split())

    return {k: norm(v) for k, v in rules.items()}


# --- the programme record (the YAML file) ---------------------------------------------------------------

NATURE_AMOUNT_KEYS = {
    "financement": ("montant du financement", None),
    "étude": ("coût de l'accompagnement", "durée de l'accompagnement"),
    "formation": ("coût de l'accompagnement", "durée de l'accompagnement"),
    "prêt": ("montant du prêt", "durée du prêt"),
    "avantage fiscal": ("montant de l'avantage fiscal", None),
}
TEXT_CONDITION_KEYS = (
    "taille de l'entreprise",
    "secteur géographique",
    "secteur d'activité",
    "nombre d'années d'activité",
    "autres critères d'éligibilité",
)
DEFAULT_ILLUSTRATION = "images/TEE_ampoule.webp"


def tee_record(
    *,
    base: Mapping[str, Any] | None,
    title: str,
    promise: str,
    description: str,
    operator: str,
    nature: str,
    amount: str,
    duration: str = "",
    url: str = "",
    valid_from: str = "",
    valid_until: str = "",
    steps: Iterable[str] = (),
    text_conditions: Mapping[str, Iterable[str]] | None = None,
    own_rules: Mapping[str, Any],
) -> dict[str, Any]:
    """A programme record in the TEE YAML format. `base` (the current record, when the Région edits an existing
    scheme) keeps the keys the form does not show (illustration, long description, links of the steps…)."""
    if nature not in NATURE_AMOUNT_KEYS:
        raise AuthoringError(f"Nature de l'aide inconnue : « {nature} » (champ « nature de l'aide »).")
    amount_key, duration_key = NATURE_AMOUNT_KEYS[nature]
    if not amount.strip():
        raise AuthoringError(f"Indiquez le montant (champ « {amount_key} »).")
    if duration_key and not duration.strip():
        raise AuthoringError(f"Indiquez la durée (champ « {duration_key} »).")
    record: dict[str, Any] = dict(base or {})
    for key in (
        *(k for pair in NATURE_AMOUNT_KEYS.values() for k in pair if k),
        "début de validité",
        "fin de validité",
    ):
        record.pop(key, None)
    record.update(
        {
            "titre": title.strip(),
            "promesse": promise.strip(),
            "description": description.strip(),
            "opérateur de contact": operator,
            "nature de l'aide": nature,
            amount_key: amount.strip(),
        }
    )
    record.setdefault("illustration", DEFAULT_ILLUSTRATION)
    if duration_key:
        record[duration_key] = duration.strip()
    if url:
        record["url"] = url
    if valid_from:
        record["début de validité"] = valid_from
    if valid_until:
        record["fin de validité"] = valid_until
    old_steps = {s.get("description"): s for s in (record.get("objectifs") or []) if isinstance(s, Mapping)}
    steps = [" ".join(s.split()) for s in steps if s.strip()]
    if not steps:
        raise AuthoringError("Indiquez au moins une étape (champ « étapes »).")
    record["objectifs"] = [dict(old_steps.get(s) or {"description": s}) for s in steps]
    conditions = {}
    for key in TEXT_CONDITION_KEYS:
        lines = [" ".join(line.split()) for line in (text_conditions or {}).get(key, ()) if line.strip()]
        if lines:
            conditions[key] = lines
    record["conditions d'éligibilité"] = conditions
    record["publicodes"] = dict(own_rules)
    return record
