"""Steering indicators of industrial decarbonation (declared for `tandem.steering.registry`), read from
`decarbonation.selectors`: `emissions_by_year` (retained records of the territory's installations, one figure
per site and year), `trajectory` (reference year, straight line to the −5,300 ktCO2e regional target) and
`installations_for` (sites per segment: 15 biggest emitters / ETS / diffus). Registry data is public to
signed-in users: no small-count rule; the actor is passed on (a custom perimeter must be visible)."""

from __future__ import annotations

from tandem.steering.registry import indicator, per_evaluation

# Kinds of `steering` territories → kinds of `decarbonation.selectors.Territory`.
_KIND = {
    "region": "region",
    "departement": "departement",
    "epci": "epci",
    "zone_emploi": "zone_emploi",
    "perimeter": "perimetre",
}


@per_evaluation
def _territory(actor, territory):
    from tandem.decarbonation.selectors import territory_get

    return territory_get(actor, _KIND[territory.level], territory.key)


@per_evaluation
def _trajectory(actor, territory):
    from tandem.decarbonation.selectors import trajectory

    return trajectory(actor, _territory(actor, territory))


def _last_year(years, period) -> int | None:
    """The latest year with figures up to the period's year (emissions are yearly, published a year late)."""
    known = [y for y in years if y <= period.year]
    return max(known) if known else None


@indicator(
    code="decarbonation.emissions_kt",
    label="Émissions des installations industrielles",
    unit="ktco2e",
    definition="Émissions retenues (vérifiées SEQE-UE, sinon déclarées) des installations du territoire, "
    "dernière année connue à la période, en milliers de tonnes équivalent CO2.",
    source="decarbonation",
    lower_is_better=True,
)
def emissions_kt(actor, territory, period):
    from tandem.decarbonation.selectors import emissions_by_year

    by_year = emissions_by_year(_territory(actor, territory))
    year = _last_year(by_year, period)
    return sum(by_year[year].values()) / 1000 if year is not None else None


def _regional_target_kt(territory) -> float | None:
    from tandem.decarbonation.selectors import REGIONAL_TARGET_T

    return REGIONAL_TARGET_T / 1000 if territory.level == "region" else None


@indicator(
    code="decarbonation.reduction_kt",
    label="Baisse des émissions industrielles depuis l'année de référence",
    unit="ktco2e",
    definition="Émissions de l'année de référence moins celles de la dernière année connue à la période "
    "(installations du territoire), en milliers de tonnes équivalent CO2.",
    source="decarbonation",
    target=_regional_target_kt,
    target_note="Baisse de 5 300 ktCO2e de l'industrie régionale (déclaration)",
)
def reduction_kt(actor, territory, period):
    path = _trajectory(actor, territory)
    year = _last_year(path.measured, period)
    if year is None or path.reference_year not in path.measured:
        return None
    return (path.measured[path.reference_year] - path.measured[year]) / 1000


@indicator(
    code="decarbonation.trajectory_gap_kt",
    label="Écart à la trajectoire de baisse des émissions",
    unit="ktco2e",
    definition="Émissions de la dernière année connue à la période moins celles que prévoit, cette année-là, "
    "la trajectoire en ligne droite de l'année de référence à la cible (−5 300 ktCO2e pour la région, sa "
    "part pour un territoire). Positif : au-dessus de la trajectoire.",
    source="decarbonation",
    lower_is_better=True,
    target=lambda territory: 0.0,
    target_note="Sur la trajectoire ou en dessous",
)
def trajectory_gap_kt(actor, territory, period):
    path = _trajectory(actor, territory)
    year = _last_year(path.measured, period)
    if year is None or year not in path.target:
        return None
    return (path.measured[year] - path.target[year]) / 1000


def _sites(actor, territory, segment) -> int:
    from tandem.decarbonation.selectors import installations_for

    return installations_for(_territory(actor, territory), segment=segment).count()


@indicator(
    code="decarbonation.sites_major",
    label="Sites parmi les 15 plus gros émetteurs",
    unit="count",
    definition="Installations du territoire inscrites sur la liste des 15 plus gros émetteurs de la région "
    "(celle de la Région, sinon la proposition calculée).",
    source="decarbonation",
)
def sites_major(actor, territory, period):
    from tandem.decarbonation.selectors import MAJOR

    return _sites(actor, territory, MAJOR)


@indicator(
    code="decarbonation.sites_ets",
    label="Sites soumis au SEQE-UE",
    unit="count",
    definition="Autres installations du territoire ayant des émissions vérifiées (SEQE-UE).",
    source="decarbonation",
)
def sites_ets(actor, territory, period):
    from tandem.decarbonation.selectors import ETS

    return _sites(actor, territory, ETS)


@indicator(
    code="decarbonation.sites_diffuse",
    label="Sites de l'industrie diffuse",
    unit="count",
    definition="Installations du territoire sans émissions vérifiées (déclarées à l'IREP ou sans chiffre).",
    source="decarbonation",
)
def sites_diffuse(actor, territory, period):
    from tandem.decarbonation.selectors import DIFFUSE

    return _sites(actor, territory, DIFFUSE)
