"""Steering indicators of the company follow-up and the Parcours de Transformation (declared for
`tandem.steering.registry`), read from `companies.selectors_followup.followup_territory_figures`."""

from __future__ import annotations

from tandem.steering.registry import indicator, per_evaluation


@per_evaluation
def _figures(actor, territory, period) -> dict:
    from tandem.companies.selectors_followup import followup_territory_figures

    return followup_territory_figures(actor, territory, start=period.start, end=period.end)


@indicator(
    code="companies.followed",
    label="Entreprises suivies",
    unit="count",
    definition="Entreprises du territoire ayant au moins un conseiller en poste à la fin du trimestre.",
    source="companies",
    small_count=True,
)
def followed(actor, territory, period):
    return _figures(actor, territory, period)["followed"]


@indicator(
    code="companies.referent_share_pct",
    label="Part des entreprises suivies avec un référent nommé",
    unit="pct",
    definition="Part des entreprises suivies dont un référent de proximité est nommé à la fin du trimestre.",
    source="companies",
    target=lambda territory: 100.0,
    target_note="Chaque entreprise suivie a un référent nommé (déclaration)",
)
def referent_share_pct(actor, territory, period):
    figures = _figures(actor, territory, period)
    return figures["referent_share_pct"] if figures["followed"] >= 3 else None


@indicator(
    code="companies.exchanges",
    label="Échanges avec les entreprises",
    unit="count",
    definition="Rendez-vous, appels, visites et courriels enregistrés pendant le trimestre.",
    source="companies",
    small_count=True,
)
def exchanges(actor, territory, period):
    return _figures(actor, territory, period)["exchanges"]


@indicator(
    code="companies.needs_opened",
    label="Besoins ouverts",
    unit="count",
    definition="Besoins d'entreprises enregistrés pendant le trimestre.",
    source="companies",
    small_count=True,
)
def needs_opened(actor, territory, period):
    return _figures(actor, territory, period)["needs_opened"]


@indicator(
    code="companies.needs_closed_in_time_pct",
    label="Besoins traités dans les délais",
    unit="pct",
    definition="Part des besoins clos pendant le trimestre qui l'ont été au plus tard à leur échéance.",
    source="companies",
)
def needs_closed_in_time_pct(actor, territory, period):
    figures = _figures(actor, territory, period)
    closed = figures["needs_closed"]
    return round(100 * figures["needs_closed_in_time"] / closed, 1) if closed >= 3 else None


@indicator(
    code="companies.parcours",
    label="Entreprises entrées dans le Parcours de Transformation",
    unit="count",
    definition="Entreprises du territoire entrées dans le Parcours de Transformation à la fin du trimestre "
    "(cumul). Ambition régionale : de 600 à 1 500 entreprises en 2030.",
    source="companies",
    small_count=True,
    target=lambda territory: _parcours_target() if territory.level == "region" else None,
    target_note="1 500 entreprises en 2030 (déclaration)",
)
def parcours(actor, territory, period):
    return _figures(actor, territory, period)["parcours"]


def _parcours_target() -> int:
    from tandem.companies.parcours import TARGET_COMPANIES

    return TARGET_COMPANIES
