"""Reads of industrial ecology: flows and synergies an actor sees, a synergy's history, the company timeline's
synergy events and the indicators per territory. Every read starts from `scope_queryset`; the regional
aggregates count what the reader may not see and go through the small-count rule (`protect_counts`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from tandem.companies.models import Company
from tandem.core.disclosure import protect_counts
from tandem.eit.models import EstimatedFlow, EstimateRefresh, Flow, Synergy, SynergyStageChange, SynergyYear
from tandem.eit.perms import estimated_flows_visible_q
from tandem.organizations.perms import Actor, scope_queryset
from tandem.territories.models import Commune


def flows_for(
    actor: Actor,
    *,
    commune_codes=None,
    siren: str = "",
    direction: str = "",
    kind: str = "",
) -> QuerySet:
    """Flows `actor` may see, in these communes or of this company, by sense and nature."""
    flows = scope_queryset(actor, Flow.objects.all()).select_related("establishment__company", "ewc", "owner")
    if commune_codes is not None:
        flows = flows.filter(commune_id__in=commune_codes)
    if siren:
        flows = flows.filter(establishment__company_id=siren)
    if direction:
        flows = flows.filter(direction=direction)
    if kind:
        flows = flows.filter(kind=kind)
    return flows.order_by("establishment__company__name", "establishment_id", "direction", "kind", "pk")


MAP_POINTS_LIMIT = 5000


def flow_map_points(flows: QuerySet, *, limit: int = MAP_POINTS_LIMIT) -> list[dict]:
    """One point per establishment of `flows` (all of them, not one page; at most `limit`), with its
    company's name, its WGS84 position and how many offers and needs it has among `flows`: one query."""
    from django.db.models import F, FloatField, Func

    rows = (
        flows.order_by()
        .exclude(establishment__point=None)
        .values("establishment_id", "establishment__company__name", "establishment__company__usual_name")
        .annotate(
            lon=Func(F("establishment__point"), function="ST_X", output_field=FloatField()),
            lat=Func(F("establishment__point"), function="ST_Y", output_field=FloatField()),
            offers=Count("pk", filter=Q(direction="offer")),
            needs=Count("pk", filter=Q(direction="need")),
        )
        .order_by("establishment_id")[:limit]
    )
    return [
        {
            "siret": r["establishment_id"],
            "name": r["establishment__company__name"] or r["establishment__company__usual_name"] or "",
            "lon": r["lon"],
            "lat": r["lat"],
            "offers": r["offers"],
            "needs": r["needs"],
        }
        for r in rows
    ]


def estimated_flows_for(
    actor: Actor,
    *,
    commune_codes=None,
    siren: str = "",
    direction: str = "",
    kind: str = "",
) -> QuerySet:
    """Estimated flows (`EstimatedFlow`, never mixed with the recorded ones) `actor` may see
    (`estimated_flows_visible_q`), in these communes or of this company, by sense and nature."""
    flows = EstimatedFlow.objects.filter(estimated_flows_visible_q(actor)).select_related(
        "establishment__company", "ewc"
    )
    if commune_codes is not None:
        flows = flows.filter(commune_id__in=commune_codes)
    if siren:
        flows = flows.filter(establishment__company_id=siren)
    if direction:
        flows = flows.filter(direction=direction)
    if kind:
        flows = flows.filter(kind=kind)
    return flows.order_by("establishment__company__name", "establishment_id", "direction", "kind", "pk")


def estimated_potential(actor: Actor, *, commune_codes=None) -> dict:
    """The estimated material deposits of a territory, for steering: per EWC chapter of the estimated material
    offers `actor` may see in these communes (all when None), the establishments and the estimated tonnes per
    year (orders of magnitude, « estimé »). Returns {"chapters": [{chapter, label, establishments, tonnes}],
    "establishments": n, "tonnes": t}, chapters by decreasing tonnes."""
    from django.db.models import Sum
    from django.db.models.functions import Left

    from tandem.eit.models import WasteCode

    offers = estimated_flows_for(actor, commune_codes=commune_codes, direction="offer", kind="material").exclude(
        ewc=None
    )
    rows = (
        offers.order_by()
        .annotate(chapter=Left("ewc_id", 2))
        .values("chapter")
        .annotate(establishments=Count("establishment_id", distinct=True), tonnes=Sum("quantity"))
    )
    labels = dict(WasteCode.objects.filter(level=WasteCode.Level.CHAPTER).values_list("code", "label_fr"))
    chapters = sorted(
        (
            {
                "chapter": r["chapter"],
                "label": labels.get(r["chapter"], ""),
                "establishments": r["establishments"],
                "tonnes": r["tonnes"] or 0.0,
            }
            for r in rows
        ),
        key=lambda c: (-c["tonnes"], c["chapter"]),
    )
    return {
        "chapters": chapters,
        "establishments": offers.order_by().values("establishment_id").distinct().count(),
        "tonnes": sum(c["tonnes"] for c in chapters),
    }


def last_estimate_refresh() -> EstimateRefresh | None:
    return EstimateRefresh.objects.order_by("-at", "-pk").first()


def installation_rubriques(sirets) -> dict[str, tuple[str, ...]]:
    """ICPE rubriques under which the classified installations of these establishments (SIRET) are
    authorised: the ONE place the detection reads installation permits from — the Géorisques installations
    table of the decarbonation module (`tandem.decarbonation.selectors.icpe_rubriques_by_siret`; public data,
    no actor). An establishment without a known installation is absent."""
    from tandem.decarbonation.selectors import icpe_rubriques_by_siret

    sirets = list(sirets)
    if not sirets:
        return {}
    return {siret: tuple(sorted(rubriques)) for siret, rubriques in icpe_rubriques_by_siret(sirets).items()}


def synergies_for(actor: Actor, *, commune_codes=None, siren: str = "", stage: str = "") -> QuerySet:
    """Synergies `actor` may see with one end in these communes, or involving this company."""
    synergies = scope_queryset(actor, Synergy.objects.all()).select_related(
        "supplier_flow__establishment__company", "receiver_flow__establishment__company", "owner"
    )
    if commune_codes is not None:
        synergies = synergies.filter(
            Q(commune_id__in=commune_codes) | Q(receiver_commune_id__in=commune_codes)
        )
    if siren:
        synergies = synergies.filter(
            Q(supplier_flow__establishment__company_id=siren)
            | Q(receiver_flow__establishment__company_id=siren)
        )
    if stage:
        synergies = synergies.filter(stage=stage)
    return synergies


def synergy_history(synergy: Synergy) -> QuerySet:
    return (
        SynergyStageChange.objects.filter(synergy=synergy)
        .select_related("by", "organization")
        .order_by("on", "at", "pk")
    )


def company_synergy_events(actor: Actor, company: Company) -> list:
    """The company timeline's events for the synergies `actor` sees that involve `company` (its référent's
    organisation sees them: `referent_shared_q`): one event per stage change."""
    from tandem.companies.selectors_followup import TimelineEvent

    events = []
    synergies = synergies_for(actor, siren=company.pk)
    changes = SynergyStageChange.objects.filter(synergy__in=synergies).select_related(
        "synergy__supplier_flow__establishment", "organization", "by"
    )
    for change in changes:
        synergy = change.synergy
        role = "fournisseur" if synergy.supplier_flow.establishment.company_id == company.pk else "receveur"
        who = (change.by.get_full_name() or change.by.username) if change.by else ""
        events.append(
            TimelineEvent(
                change.on,
                "synergy",
                f"Synergie EIT ({role}) « {synergy.title} » : {change.get_to_stage_display()}"
                + (f" ({who})" if who else ""),
                change.organization.name if change.organization else "",
                change.notes,
            )
        )
    return events


STAGES = [value for value, _ in Synergy.Stage.choices]
UNIT_FIGURES = {"t": "tonnes", "MWh": "mwh", "m3": "m3"}


@dataclass
class Indicators:
    by_stage: dict[str, int]
    by_year: list[dict] = field(default_factory=list)  # {year, tonnes, mwh, m3, co2e_t, synergies}
    total: int = 0


def synergy_indicators(actor: Actor, *, commune_codes=None) -> Indicators:
    """Synergies by stage, and per year the tonnes diverted, MWh recovered, m³ reused and CO2e avoided by
    realised synergies, over the synergies `actor` may see with one end in the communes (all when None)."""
    synergies = synergies_for(actor, commune_codes=commune_codes)
    counts = dict(synergies.order_by().values_list("stage").annotate(n=Count("pk")))
    by_stage = {stage: counts.get(stage, 0) for stage in STAGES}
    years: dict[int, dict] = defaultdict(
        lambda: {"tonnes": 0.0, "mwh": 0.0, "m3": 0.0, "co2e_t": 0.0, "synergies": 0}
    )
    for year, unit, quantity, co2e in SynergyYear.objects.filter(synergy__in=synergies).values_list(
        "year", "unit", "quantity", "co2e_t"
    ):
        row = years[year]
        if unit in UNIT_FIGURES:
            row[UNIT_FIGURES[unit]] += quantity
        row["co2e_t"] += co2e or 0.0
        row["synergies"] += 1
    return Indicators(
        by_stage=by_stage,
        by_year=[{"year": y, **years[y]} for y in sorted(years)],
        total=sum(by_stage.values()),
    )


def regional_indicators(region_code: str) -> dict:
    """The Région's view: synergies by stage over the whole region (whoever owns them), aggregates only, with
    the small-count rule applied; no flow, no company."""
    communes = Commune.objects.filter(region_id=region_code).values("pk")
    # Aggregates only, under the small-count rule, whoever owns the synergies.
    synergies = Synergy.objects.unscoped().filter(
        Q(commune_id__in=communes) | Q(receiver_commune_id__in=communes)
    )
    counts = dict(synergies.order_by().values_list("stage").annotate(n=Count("pk")))
    labels = dict(Synergy.Stage.choices)
    return protect_counts({labels[stage]: counts.get(stage, 0) for stage in STAGES})
