"""Steering indicators of need routing (declared for `tandem.steering.registry`), read from
`catalogue.selectors.routing_figures` over the routings sent during the quarter (deadlines: taken within 9
days, answered within 45). Routings concern named companies: counts follow the small-count rule."""

from __future__ import annotations

from tandem.steering.registry import indicator, per_evaluation


@per_evaluation
def _figures(actor, territory, period) -> dict:
    from tandem.catalogue.selectors import routing_figures

    where = {}
    if territory.level in ("region", "departement", "epci", "zone_emploi"):
        where[territory.level] = territory.key
    else:
        where["commune_codes"] = territory.commune_codes or ()
    return routing_figures(actor, start=period.start, end=period.end, **where)


@indicator(
    code="catalogue.needs_routed",
    label="Besoins orientés vers un partenaire",
    unit="count",
    definition="Besoins d'entreprises du territoire envoyés à au moins un partenaire pendant le trimestre.",
    source="catalogue",
    small_count=True,
)
def needs_routed(actor, territory, period):
    return _figures(actor, territory, period)["needs"]


@indicator(
    code="catalogue.answered_in_time_pct",
    label="Orientations traitées dans les délais",
    unit="pct",
    definition="Part des orientations envoyées pendant le trimestre clôturées ou refusées par le partenaire "
    "au plus tard 45 jours après l'envoi (calculée à partir de 3 orientations).",
    source="catalogue",
    target=lambda territory: 100.0,
    target_note="Réponse de chaque partenaire sous 45 jours",
)
def answered_in_time_pct(actor, territory, period):
    figures = _figures(actor, territory, period)
    sent = figures["sent"]
    return round(100 * figures["answered_in_time"] / sent, 1) if sent >= 3 else None


@indicator(
    code="catalogue.routings_closed",
    label="Orientations clôturées",
    unit="count",
    definition="Orientations envoyées pendant le trimestre que le partenaire a clôturées ou refusées.",
    source="catalogue",
    small_count=True,
)
def routings_closed(actor, territory, period):
    return _figures(actor, territory, period)["closed"]
