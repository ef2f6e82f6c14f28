"""Readiness of a site or terrain for an industrial project: what is done, what blocks, when it lifts.

Pure: no Django. It reads the `tdm_*` extensions (a terrain's value overrides its site's) and the soil
pollution known on the place, and returns a score out of 100 with the list of blocks (« verrous »).

Weights (documented in docs/land-indicators.md and on the site sheet):

| group | criterion | points | done when |
|---|---|---|---|
| réseaux (30) | électricité | 12 | `tdm_power_mw` > 0, available now |
| | eau de process | 8 | `tdm_water_m3h` > 0, available now |
| | eaux usées | 6 | `tdm_wastewater_m3d` > 0, available now |
| | gaz | 4 | `tdm_gas` or `tdm_gas_mw` > 0, available now |
| études (30) | faune-flore 4 saisons | 8 | study date reached |
| | zones humides | 6 | id. |
| | archéologie préventive | 6 | id. |
| | pollution des sols | 5 | id. |
| | géotechnique | 5 | id. |
| autorisations (25) | zone du PLU | 10 | U or AUc |
| | délai d'autorisation | 10 | `tdm_permit_months` ≤ 6, or appeals cleared |
| | recours purgés (clé en main) | 5 | `tdm_appeals_cleared_on` reached (no block if not) |
| pollution (15) | sols | 15 | no known pollution, unlikely, or treated |

A criterion not done is a block, with the date it lifts: the declared date when there is one (a grid
reinforcement date, a study's planned completion), else an estimate from typical durations (marked as such),
else no date (« date inconnue »).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

NETWORKS = "réseaux"
STUDIES = "études"
PERMITS = "autorisations"
POLLUTION = "pollution"
LAND = "foncier"

# name, label, points, attribute of the amount, attribute of the availability date, "available" test
NETWORK_CRITERIA = [
    ("power", "électricité", 12, "tdm_power_mw", "tdm_power_available_on"),
    ("water", "eau de process", 8, "tdm_water_m3h", "tdm_water_available_on"),
    ("wastewater", "traitement des eaux usées", 6, "tdm_wastewater_m3d", "tdm_wastewater_available_on"),
    ("gas", "gaz", 4, "tdm_gas_mw", "tdm_gas_available_on"),
]
# name, label, points, attribute, typical duration in months when not started
STUDY_CRITERIA = [
    ("fauna_flora", "inventaire faune-flore 4 saisons", 8, "tdm_study_fauna_flora_on", 12),
    ("wetlands", "délimitation des zones humides", 6, "tdm_study_wetlands_on", 3),
    ("archaeology", "diagnostic d'archéologie préventive", 6, "tdm_study_archaeology_on", 6),
    ("soil_pollution", "diagnostic de pollution des sols", 5, "tdm_study_soil_pollution_on", 4),
    ("geotechnics", "étude géotechnique", 5, "tdm_study_geotechnics_on", 3),
]
PLU_POINTS, PERMIT_POINTS, APPEALS_POINTS, POLLUTION_POINTS = 10, 10, 5, 15
PLU_OPEN = ("U", "AUc")
PLU_CHANGE_MONTHS = 18  # a PLU modification to open an AUs zone
PERMIT_FAST_MONTHS = 6
CLEAN = (None, "", "pollution inexistante", "pollution traitée", "pollution peu probable", "sans objet")
SUSPECTED = ("pollution supposée", "inconnu", "autre")
EXTENSION_FIELDS = (
    "tdm_power_mw",
    "tdm_power_available_on",
    "tdm_gas",
    "tdm_gas_mw",
    "tdm_gas_available_on",
    "tdm_water_m3h",
    "tdm_water_available_on",
    "tdm_wastewater_m3d",
    "tdm_wastewater_available_on",
    "tdm_plu_zone_type",
    "tdm_plu_zone",
    "tdm_study_fauna_flora_on",
    "tdm_study_wetlands_on",
    "tdm_study_archaeology_on",
    "tdm_study_soil_pollution_on",
    "tdm_study_geotechnics_on",
    "tdm_permit_months",
    "tdm_available_on",
    "tdm_appeals_cleared_on",
)


@dataclass(frozen=True)
class Block:
    """A « verrou »: what blocks, and when it is expected to lift (`estimated` when not declared)."""

    category: str
    criterion: str
    label: str
    lifts_on: dt.date | None = None
    estimated: bool = False


@dataclass(frozen=True)
class Readiness:
    score: int
    done: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    @property
    def ready_on(self) -> dt.date | None:
        """When the last block lifts; None if one of them has no date (or if nothing blocks)."""
        if not self.blocks or any(b.lifts_on is None for b in self.blocks):
            return None
        return max(b.lifts_on for b in self.blocks)

    @property
    def level(self) -> str:
        if not self.blocks:
            return "prêt"
        if self.score >= 70:
            return "presque prêt"
        if self.score >= 40:
            return "à préparer"
        return "long terme"

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "level": self.level,
            "ready_on": self.ready_on.isoformat() if self.ready_on else None,
            "done": list(self.done),
            "blocks": [
                {
                    "category": b.category,
                    "criterion": b.criterion,
                    "label": b.label,
                    "lifts_on": b.lifts_on.isoformat() if b.lifts_on else None,
                    "estimated": b.estimated,
                }
                for b in self.blocks
            ],
        }


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def readiness(values: dict, *, today: dt.date, soil_pollution: str | None = None) -> Readiness:
    """Score a place from its extension values (`tdm_*` → value) and the soil pollution known there."""
    score = 0
    done: list[str] = []
    blocks: list[Block] = []

    def get(name):
        return values.get(name)

    for name, label, points, amount_attr, on_attr in NETWORK_CRITERIA:
        amount = get(amount_attr)
        if name == "gas" and not amount and get("tdm_gas"):
            amount = 1
        available_on = get(on_attr)
        if amount and amount > 0 and (available_on is None or available_on <= today):
            score += points
            done.append(label)
        elif amount and amount > 0:
            blocks.append(
                Block(NETWORKS, name, f"{label} disponible le {available_on:%d/%m/%Y}", available_on)
            )
        elif available_on and available_on > today:
            blocks.append(Block(NETWORKS, name, f"{label} : raccordement prévu", available_on))
        else:
            blocks.append(Block(NETWORKS, name, f"{label} : capacité non renseignée ou nulle"))

    for name, label, points, attr, months in STUDY_CRITERIA:
        on = get(attr)
        if on and on <= today:
            score += points
            done.append(label)
        elif on:
            blocks.append(Block(STUDIES, name, f"{label} en cours (fin prévue)", on))
        else:
            blocks.append(
                Block(STUDIES, name, f"{label} à réaliser (~{months} mois)", add_months(today, months), True)
            )

    appeals_on = get("tdm_appeals_cleared_on")
    appeals_cleared = bool(appeals_on and appeals_on <= today)
    zone = get("tdm_plu_zone_type")
    if zone in PLU_OPEN:
        score += PLU_POINTS
        done.append(f"zone du PLU ouverte à l'urbanisation ({zone})")
    elif zone == "AUs":
        blocks.append(
            Block(
                PERMITS,
                "plu",
                "zone AU stricte : ouverture à l'urbanisation (modification du PLU) nécessaire",
                add_months(today, PLU_CHANGE_MONTHS),
                True,
            )
        )
    elif zone:
        blocks.append(Block(PERMITS, "plu", f"zone du PLU « {zone} » non constructible pour l'activité"))
    else:
        blocks.append(Block(PERMITS, "plu", "zone du PLU non renseignée"))

    months = get("tdm_permit_months")
    if appeals_cleared or (months is not None and months <= PERMIT_FAST_MONTHS):
        score += PERMIT_POINTS
        done.append("autorisations obtenues rapidement" if not appeals_cleared else "autorisations obtenues")
    elif months is not None:
        blocks.append(
            Block(
                PERMITS, "permits", f"délai d'autorisation de {months} mois", add_months(today, months), True
            )
        )
    else:
        blocks.append(Block(PERMITS, "permits", "délai d'autorisation non renseigné"))
    if appeals_cleared:
        score += APPEALS_POINTS
        done.append("clé en main : autorisations purgées de tout recours")

    soil_study_on = get("tdm_study_soil_pollution_on")
    if soil_pollution in CLEAN:
        score += POLLUTION_POINTS
        done.append("pas de pollution des sols connue")
    elif soil_pollution in SUSPECTED:
        lifts = soil_study_on if soil_study_on and soil_study_on > today else None
        if lifts is None and not soil_study_on:
            lifts = add_months(today, 4)
        blocks.append(
            Block(
                POLLUTION,
                "pollution",
                f"pollution des sols à lever ({soil_pollution})",
                lifts,
                estimated=not (soil_study_on and soil_study_on > today),
            )
        )
    else:
        blocks.append(Block(POLLUTION, "pollution", f"dépollution à réaliser ({soil_pollution})"))

    available_on = get("tdm_available_on")
    if available_on and available_on > today:
        blocks.append(Block(LAND, "available_on", "disponible à une date ultérieure", available_on))
    return Readiness(score=score, done=done, blocks=blocks)


def extension_values(obj, fallback=None) -> dict:
    """Extension values of `obj` (a site or terrain), a terrain's own value overriding its site's."""
    values = {}
    for name in EXTENSION_FIELDS:
        value = getattr(obj, name, None)
        if value in (None, "") and fallback is not None:
            value = getattr(fallback, name, None)
        values[name] = value
    return values


def readiness_for_site(site, *, today: dt.date | None = None, soil_pollution: str | None = None) -> Readiness:
    return readiness(extension_values(site), today=today or dt.date.today(), soil_pollution=soil_pollution)


def readiness_for_terrain(
    terrain, site=None, *, today: dt.date | None = None, soil_pollution: str | None = None
) -> Readiness:
    return readiness(
        extension_values(terrain, site), today=today or dt.date.today(), soil_pollution=soil_pollution
    )
