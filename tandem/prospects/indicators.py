"""Steering indicators of the prospects (declared for `tandem.steering.registry`), read from
`prospects.selectors.prospect_territory_figures`. Counts go through the small-count rule: a territory's
confidential prospects count only as numbers, and a count of one or two is hidden."""

from __future__ import annotations

from tandem.steering.registry import indicator, per_evaluation


@per_evaluation
def _figures(actor, territory, period) -> dict:
    from tandem.prospects.selectors import prospect_territory_figures

    return prospect_territory_figures(actor=actor, territory=territory, start=period.start, end=period.end)


@indicator(
    code="prospects.received",
    label="Prospects reçus",
    unit="count",
    definition="Projets d'investissement reçus pendant le trimestre dont un EPCI souhaité est dans le territoire.",
    source="prospects",
    small_count=True,
)
def received(actor, territory, period):
    return _figures(actor, territory, period)["received"]


@indicator(
    code="prospects.proposals",
    label="Propositions de sites faites",
    unit="count",
    definition="Propositions de terrains, sites ou friches faites pendant le trimestre aux prospects du territoire.",
    source="prospects",
    small_count=True,
)
def proposals(actor, territory, period):
    return _figures(actor, territory, period)["proposals"]


@indicator(
    code="prospects.won",
    label="Projets gagnés",
    unit="count",
    definition="Prospects du territoire passés au statut « gagné » pendant le trimestre.",
    source="prospects",
    small_count=True,
)
def won(actor, territory, period):
    return _figures(actor, territory, period)["won"]


@indicator(
    code="prospects.lost",
    label="Projets perdus",
    unit="count",
    definition="Prospects du territoire passés au statut « perdu » pendant le trimestre.",
    source="prospects",
    small_count=True,
)
def lost(actor, territory, period):
    return _figures(actor, territory, period)["lost"]


def _won_count_shown(actor, territory, period) -> dict | None:
    """The figures, or None when fewer than three projects were won (the sum would reveal one project)."""
    figures = _figures(actor, territory, period)
    return figures if figures["won"] == 0 or figures["won"] >= 3 else None


@indicator(
    code="prospects.won_jobs",
    label="Emplois des projets gagnés",
    unit="jobs",
    definition="Emplois à trois ans annoncés par les projets gagnés pendant le trimestre (masqué sous trois "
    "projets, qui révélerait un projet).",
    source="prospects",
)
def won_jobs(actor, territory, period):
    figures = _won_count_shown(actor, territory, period)
    return figures and figures["won_jobs"]


@indicator(
    code="prospects.won_investment_eur",
    label="Investissement des projets gagnés",
    unit="eur",
    definition="Investissement annoncé par les projets gagnés pendant le trimestre (masqué sous trois projets).",
    source="prospects",
)
def won_investment_eur(actor, territory, period):
    figures = _won_count_shown(actor, territory, period)
    return figures and figures["won_investment_eur"]


@indicator(
    code="prospects.plan_500_received",
    label="Relocalisations Plan 500 reçues",
    unit="count",
    definition="Prospects reçus pendant le trimestre inscrits au Plan 500 relocalisations.",
    source="prospects",
    small_count=True,
)
def plan_500_received(actor, territory, period):
    return _figures(actor, territory, period)["plan_500_received"]
