"""Steering indicators of jobs and skills (declared for `tandem.steering.registry`), read from
`skills.selectors.territory_skill_figures`: the latest BMO survey split by the commune-weighted rule, the gaps
flagged from the needs of followed companies and prospects, the actions recorded on them. The skills module
computes zones d'emploi, EPCI and départements only."""

from __future__ import annotations

from tandem.steering.registry import indicator, per_evaluation

# Kinds of `steering` territories → kinds of `skills.territory.Territory`.
_KIND = {"zone_emploi": "ze", "epci": "epci", "departement": "dep"}
KINDS = frozenset(_KIND)


@per_evaluation
def _figures(actor, territory) -> dict:
    from tandem.skills.selectors import territory_skill_figures
    from tandem.skills.territory import Territory

    return territory_skill_figures(
        actor=actor, territory=Territory(_KIND[territory.level], territory.key, territory.name)
    )


@indicator(
    code="skills.bmo_projects",
    label="Projets de recrutement",
    unit="count",
    definition="Projets de recrutement de la dernière enquête Besoins en main-d'œuvre (BMO) de France Travail, "
    "répartis par la population des communes ; les cases sous secret statistique ne sont pas comptées.",
    source="skills",
    kinds=KINDS,
)
def bmo_projects(actor, territory, period):
    figures = _figures(actor, territory)
    return figures["bmo_projects"] if figures["bmo_year"] is not None else None


@indicator(
    code="skills.bmo_difficult_pct",
    label="Part des recrutements jugés difficiles",
    unit="pct",
    definition="Part des projets de recrutement de la dernière enquête BMO que les employeurs jugent "
    "difficiles (sur les cases où les deux chiffres sont publiés).",
    source="skills",
    kinds=KINDS,
    lower_is_better=True,
)
def bmo_difficult_pct(actor, territory, period):
    share = _figures(actor, territory)["bmo_difficult_share"]
    return round(100 * share, 1) if share is not None else None


@indicator(
    code="skills.flagged_gaps",
    label="Métiers en tension signalés",
    unit="count",
    definition="Métiers dont les besoins annoncés par les entreprises suivies et les prospects du territoire "
    "sont signalés (recrutements difficiles, besoins élevés face à l'enquête BMO ou chiffre non publié).",
    source="skills",
    kinds=KINDS,
    small_count=True,
    lower_is_better=True,
)
def flagged_gaps(actor, territory, period):
    return _figures(actor, territory)["flagged_gaps"]


@indicator(
    code="skills.actions",
    label="Actions emploi-compétences enregistrées",
    unit="count",
    definition="Actions enregistrées sur les écarts du territoire (sessions de formation demandées, plans de "
    "recrutement, forums de l'emploi), tous états confondus.",
    source="skills",
    kinds=KINDS,
    small_count=True,
)
def actions(actor, territory, period):
    return sum(_figures(actor, territory)["actions_by_status"].values())


@indicator(
    code="skills.training_places",
    label="Places de formation ouvertes sur 12 mois",
    unit="count",
    definition="Places (moins les places déjà pourvues) des sessions de formation importées qui commencent dans "
    "les 12 prochains mois sur le territoire (offre de formation, présentation Carif-Oref).",
    source="skills",
    kinds=KINDS,
)
def training_places(actor, territory, period):
    return _figures(actor, territory)["training_places_12_months"]
