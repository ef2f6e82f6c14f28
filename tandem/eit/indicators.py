"""Steering indicators of industrial ecology (declared for `tandem.steering.registry`), read from
`eit.selectors.synergy_indicators` (realised synergies, yearly quantities of the period's year)."""

from __future__ import annotations

from tandem.steering.registry import indicator, per_evaluation


@per_evaluation
def _figures(actor, territory, period):
    from tandem.eit.selectors import synergy_indicators

    # The territory's communes as a subquery: a list of a region's 5,000 codes took PostgreSQL 1.1 s to plan.
    return synergy_indicators(actor, commune_codes=territory.communes().values("pk"))


def _year(actor, territory, period, key) -> float:
    rows = [r for r in _figures(actor, territory, period).by_year if r["year"] == period.year]
    return rows[0][key] if rows else 0.0


@indicator(
    code="eit.synergies_realised",
    label="Synergies réalisées",
    unit="count",
    definition="Synergies d'écologie industrielle au stade « réalisée » dont une extrémité est dans le territoire.",
    source="eit",
    small_count=True,
)
def synergies_realised(actor, territory, period):
    return _figures(actor, territory, period).by_stage.get("realised", 0)


@indicator(
    code="eit.tonnes",
    label="Matières détournées par les synergies",
    unit="t",
    definition="Tonnes échangées par les synergies réalisées, l'année de la période.",
    source="eit",
)
def tonnes(actor, territory, period):
    return _year(actor, territory, period, "tonnes")


@indicator(
    code="eit.mwh",
    label="Énergie valorisée par les synergies",
    unit="mwh",
    definition="MWh récupérés par les synergies réalisées, l'année de la période.",
    source="eit",
)
def mwh(actor, territory, period):
    return _year(actor, territory, period, "mwh")


@indicator(
    code="eit.co2e_t",
    label="Émissions évitées par les synergies",
    unit="tco2e",
    definition="Tonnes équivalent CO2 évitées par les synergies réalisées, l'année de la période.",
    source="eit",
)
def co2e_t(actor, territory, period):
    return _year(actor, territory, period, "co2e_t")


# --- estimated potential (`eit.selectors.estimated_potential`) ----------------------------------------------


@per_evaluation
def _potential(actor, territory) -> dict:
    from tandem.eit.selectors import estimated_potential

    return estimated_potential(actor, commune_codes=territory.communes().values("pk"))


@indicator(
    code="eit.estimated_potential_t",
    label="Gisement de matières estimé",
    unit="t",
    definition="Tonnes par an de matières que les établissements du territoire pourraient céder, estimées à "
    "partir de leur activité et de leur effectif (ordre de grandeur, « estimé »).",
    source="eit",
)
def estimated_potential_t(actor, territory, period):
    return _potential(actor, territory)["tonnes"]


@indicator(
    code="eit.estimated_establishments",
    label="Établissements ayant un gisement estimé",
    unit="count",
    definition="Établissements du territoire pour lesquels un gisement de matières est estimé.",
    source="eit",
    small_count=True,
)
def estimated_establishments(actor, territory, period):
    return _potential(actor, territory)["establishments"]
