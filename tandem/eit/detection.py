"""Synergy detection for a territory or a company: the flows the actor may see, loaded in one PostGIS query,
handed to the pure engine (`tandem.eit.engine.detect`), ranked with their French reasons.

- Territory: an EPCI, a perimeter (communes), a radius around an establishment, or a company (its
  establishments and what lies within the radius around them; only synergies involving it are kept).
- Capacity: what an offer (or a need) already promises to synergies still alive is taken off before the run,
  and the engine's allocation never promises the rest twice across proposals.
- Precedents: realised synergies of the platform, counted by NACE divisions (a count, never a detail).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.gis.measure import D
from django.db.models import F, FloatField, Func, Q, Sum
from django.utils import timezone

from tandem.companies.models import Establishment
from tandem.core.errors import UserError
from tandem.eit.engine import Actor as EngineActor
from tandem.eit.engine import Detection, Permit, Precedents, Quality, detect
from tandem.eit.engine import Flow as EngineFlow
from tandem.eit.engine import Synergy as Suggestion
from tandem.eit.engine import model as engine
from tandem.eit.models import FLOW_FIELDS, Flow, Synergy
from tandem.eit.reference import engine_reference
from tandem.organizations.perms import Actor, scope_queryset
from tandem.territories.models import Commune, Epci

DEFAULT_RADIUS_KM = 30.0
MAX_RADIUS_KM = 150.0


@dataclass(frozen=True)
class Territory:
    """Where to look: communes, or a radius (km) around a Lambert-93 point, or both; a company restricts the
    result to its own synergies."""

    label: str
    commune_codes: frozenset[str] | None = None
    center_siret: str = ""
    radius_km: float | None = None
    company_siren: str = ""


def territory_for_epci(siren: str) -> Territory:
    epci = Epci.objects.filter(pk=siren).first()
    if epci is None:
        raise UserError(f"EPCI inconnu : « {siren} ».")
    codes = frozenset(Commune.objects.filter(epci=epci, is_current=True).values_list("pk", flat=True))
    return Territory(label=epci.name, commune_codes=codes)


def territory_for_perimeter(actor: Actor, pk: int) -> Territory:
    from tandem.territories.models import Perimeter

    perimeter = scope_queryset(actor, Perimeter.objects.filter(pk=pk)).first()
    if perimeter is None:
        raise UserError("Périmètre introuvable.")
    return Territory(
        label=perimeter.name, commune_codes=frozenset(perimeter.communes.values_list("pk", flat=True))
    )


def territory_around(siret: str, radius_km: float) -> Territory:
    establishment = Establishment.objects.filter(pk=siret).select_related("company").first()
    if establishment is None or establishment.point_l93 is None:
        raise UserError(f"Établissement inconnu ou non géolocalisé : « {siret} ».")
    return Territory(
        label=f"{_radius(radius_km)} km autour de {establishment.company.display_name}",
        center_siret=siret,
        radius_km=_radius(radius_km),
    )


def territory_for_company(siren: str, radius_km: float = DEFAULT_RADIUS_KM) -> Territory:
    from tandem.companies.models import Company

    company = Company.objects.filter(pk=siren).first()
    if company is None:
        raise UserError(f"Entreprise inconnue : « {siren} ».")
    return Territory(
        label=f"{company.display_name} (rayon de {_radius(radius_km):g} km)",
        radius_km=_radius(radius_km),
        company_siren=siren,
    )


def _radius(radius_km) -> float:
    try:
        value = float(radius_km)
    except (TypeError, ValueError) as exc:
        raise UserError("Rayon : nombre de kilomètres attendu.") from exc
    if not 0 < value <= MAX_RADIUS_KM:
        raise UserError(f"Rayon : entre 0 et {MAX_RADIUS_KM:g} km.")
    return value


def _place_q(territory: Territory) -> Q:
    """Where `territory` lies, for a model placed by `commune` and `establishment` (flows, estimates)."""
    place = Q()
    if territory.commune_codes is not None:
        place &= Q(commune_id__in=territory.commune_codes)
    if territory.center_siret:
        center = Establishment.objects.values_list("point_l93", flat=True).get(pk=territory.center_siret)
        place &= Q(establishment__point_l93__dwithin=(center, D(km=territory.radius_km)))
    if territory.company_siren:
        own = Establishment.objects.filter(company_id=territory.company_siren).exclude(point_l93=None)
        near = Q(establishment__company_id=territory.company_siren)
        for point in own.values_list("point_l93", flat=True)[:20]:
            near |= Q(establishment__point_l93__dwithin=(point, D(km=territory.radius_km)))
        place &= near
    return place


def visible_flows(actor: Actor, territory: Territory):
    """The flows `actor` may see in `territory`, valid today, as a queryset (one query once evaluated)."""
    today = timezone.localdate()
    flows = scope_queryset(actor, Flow.objects.all()).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    return flows.filter(_place_q(territory))


def visible_estimates(actor: Actor, territory: Territory):
    """The estimated flows `actor` may see in `territory` (`estimated_flows_for`), as a queryset."""
    from tandem.eit.selectors import estimated_flows_for

    return estimated_flows_for(actor).filter(_place_q(territory))


@dataclass
class DetectionInput:
    actors: list[EngineActor]
    flows: list[EngineFlow]
    permits: list[Permit]
    by_id: dict[str, dict] = field(default_factory=dict)  # flow id -> its row (names, siret, what)


FLOW_COLUMNS = (
    "pk",
    "establishment_id",
    "establishment__company__name",
    "establishment__company__usual_name",
    "establishment__naf",
    "establishment__commune_label",
    "commune_id",
    *FLOW_FIELDS,
)


ESTIMATE_COLUMNS = (
    "pk",
    "establishment_id",
    "establishment__company__name",
    "establishment__company__usual_name",
    "establishment__naf",
    "establishment__commune_label",
    "commune_id",
    "direction",
    "kind",
    "ewc_id",
    "resource",
    "label",
    "quantity",
    "unit",
    "temperature_c",
    "water_class",
    "legal_status",
    "confidence",
)
# What an estimate does not hold, as a recorded flow's row would say it (the engine reads both alike).
ESTIMATE_DEFAULTS = {
    "period": "year",
    "months": engine.ALL_MONTHS,
    "physical_state": "",
    "purity": "",
    "origin": engine.ESTIMATED,
    "valid_from": None,
    "valid_until": None,
    "icpe_rubriques": "",
    "waste_operations": "",
}
ESTIMATE_PREFIX = "e"  # engine id of an estimated flow: « e<pk> », never a recorded flow's id


def _with_point(qs):
    return qs.annotate(
        lat=Func(F("establishment__point"), function="ST_Y", output_field=FloatField()),
        lon=Func(F("establishment__point"), function="ST_X", output_field=FloatField()),
    )


def is_estimate_id(flow_id: str) -> bool:
    return flow_id.startswith(ESTIMATE_PREFIX)


def detection_input(flows_qs, estimates_qs=None) -> DetectionInput:
    """The engine's actors, flows and permits from a queryset of flows: ONE query (flows joined with their
    establishment and company; coordinates read from the establishment's PostGIS point), plus one aggregate of
    the quantities already promised to synergies still alive, plus (when asked) one query of estimated flows,
    marked `origin=estimated` with their confidence and ids « e<pk> », and one of the receivers' permits."""
    rows = list(_with_point(flows_qs).values(*FLOW_COLUMNS, "lat", "lon"))
    if estimates_qs is not None:
        for r in _with_point(estimates_qs).values(*ESTIMATE_COLUMNS, "lat", "lon"):
            r.update(ESTIMATE_DEFAULTS, pk=f"{ESTIMATE_PREFIX}{r['pk']}", estimated=True)
            rows.append(r)
    ids = [r["pk"] for r in rows if not r.get("estimated")]
    # Capacity already promised counts every organisation's live synergies (a total, never their detail).
    promised = Synergy.objects.unscoped().filter(stage__in=Synergy.ACTIVE_STAGES)
    promised_offer = dict(
        promised.filter(supplier_flow_id__in=ids)
        .values_list("supplier_flow_id")
        .annotate(total=Sum("quantity"))
    )
    promised_need = dict(
        promised.filter(receiver_flow_id__in=ids)
        .values_list("receiver_flow_id")
        .annotate(total=Sum("quantity"))
    )
    actors: dict[str, EngineActor] = {}
    permits: dict[str, tuple[set, set]] = {}
    flows = []
    by_id = {}
    for r in rows:
        siret = r["establishment_id"]
        if siret not in actors:
            actors[siret] = EngineActor(
                id=siret,
                name=r["establishment__company__name"] or r["establishment__company__usual_name"] or siret,
                nace=r["establishment__naf"] or "",
                latitude=r["lat"],
                longitude=r["lon"],
                zone=r["commune_id"] or "",
            )
        if r["direction"] == engine.NEED and (r["icpe_rubriques"] or r["waste_operations"]):
            held = permits.setdefault(siret, (set(), set()))
            held[0].update(r["icpe_rubriques"].split())
            held[1].update(r["waste_operations"].split())
        quantity, unit, period = r["quantity"], r["unit"], r["period"]
        promised = (promised_offer if r["direction"] == engine.OFFER else promised_need).get(r["pk"])
        if quantity is not None:
            # Yearly, in the kind's unit, less what synergies still alive already hold.
            quantity = quantity * engine.UNITS[unit][1] * engine.PERIODS[period]
            unit, period = engine.CANONICAL_UNIT[r["kind"]], "year"
            quantity = max(quantity - (promised or 0.0), 0.0)
        flows.append(
            EngineFlow(
                id=str(r["pk"]),
                actor_id=siret,
                direction=r["direction"],
                kind=r["kind"],
                ewc=r["ewc_id"] or "",
                resource=r["resource"],
                label=r["label"],
                quantity=quantity,
                unit=unit,
                period=period,
                months=r["months"],
                quality=Quality(
                    temperature_c=r["temperature_c"],
                    water_class=r["water_class"] or None,
                    state=r["physical_state"],
                    purity=r["purity"],
                ),
                legal_status=r["legal_status"],
                origin=r["origin"],
                confidence=r["confidence"],
                valid_from=r["valid_from"],
                valid_until=r["valid_until"],
            )
        )
        by_id[str(r["pk"])] = r
    return DetectionInput(list(actors.values()), flows, receiver_permits(rows, permits), by_id)


DECLARED_PERMIT_SOURCE = "rubriques déclarées sur le besoin du receveur"
INSTALLATION_PERMIT_SOURCE = "installations classées du receveur (Géorisques)"


def receiver_permits(rows: list[dict], declared: dict[str, tuple[set, set]]) -> list[Permit]:
    """The engine's permits of the receivers among `rows`: what their needs declare (ICPE rubriques and R/D
    operations typed on the need) and the rubriques of their classified installations
    (`selectors.installation_rubriques`), each saying where it was read."""
    from tandem.eit.selectors import installation_rubriques

    permits = [
        Permit(siret, tuple(sorted(held[0])), tuple(sorted(held[1])), DECLARED_PERMIT_SOURCE)
        for siret, held in declared.items()
    ]
    receivers = sorted({r["establishment_id"] for r in rows if r["direction"] == engine.NEED})
    for siret, rubriques in installation_rubriques(receivers).items():
        if rubriques:
            permits.append(Permit(siret, tuple(sorted(rubriques)), (), INSTALLATION_PERMIT_SOURCE))
    return permits


def platform_precedents() -> Precedents:
    """Realised synergies of the platform counted by (supplier NACE division, receiver NACE division): a count,
    whoever owns them, never their detail."""
    pairs = Counter()
    # A count over the platform, whoever owns the synergies, never their detail.
    realised = Synergy.objects.unscoped().filter(stage=Synergy.Stage.REALISED)
    for supplier_naf, receiver_naf in realised.values_list(
        "supplier_flow__establishment__naf", "receiver_flow__establishment__naf"
    ):
        if supplier_naf and receiver_naf:
            pairs[(supplier_naf[:2], receiver_naf[:2])] += 1
    return Precedents(pairs=dict(pairs))


@dataclass
class DetectionResult:
    territory: Territory
    detection: Detection
    input: DetectionInput
    suggestions: list[Suggestion]
    existing: dict[tuple[str, str], Synergy]  # (offer id, need id) -> synergy already in the pipeline
    flows_count: int

    def row(self, flow_id: str) -> dict:
        return self.input.by_id[flow_id]


def run_detection(
    actor: Actor, territory: Territory, *, limit: int = 100, with_estimates: bool = False
) -> DetectionResult:
    """Ranked synergies (best first, at most `limit`) among the flows `actor` may see in `territory`; with
    `with_estimates`, the estimated flows of the territory's establishments too (their reasons say so)."""
    data = detection_input(
        visible_flows(actor, territory), visible_estimates(actor, territory) if with_estimates else None
    )
    detection = detect(
        data.actors, data.flows, engine_reference(), permits=data.permits, precedents=platform_precedents()
    )
    suggestions = []
    company_sirets = (
        set(Establishment.objects.filter(company_id=territory.company_siren).values_list("siret", flat=True))
        if territory.company_siren
        else None
    )
    for suggestion in detection.synergies:
        if company_sirets is not None and not {suggestion.supplier, suggestion.receiver} & company_sirets:
            continue
        suggestions.append(suggestion)
        if len(suggestions) >= limit:
            break
    pairs = [
        (int(s.offer_id), int(s.need_id))
        for s in suggestions
        if not (is_estimate_id(s.offer_id) or is_estimate_id(s.need_id))
    ]
    existing = {}
    if pairs:
        q = Q(pk__in=[])
        for offer, need in pairs:
            q |= Q(supplier_flow_id=offer, receiver_flow_id=need)
        for synergy in scope_queryset(actor, Synergy.objects.filter(q)):
            existing[(str(synergy.supplier_flow_id), str(synergy.receiver_flow_id))] = synergy
    if company_sirets is not None:
        detection.exclusions = [e for e in detection.exclusions if {e.supplier, e.receiver} & company_sirets]
    return DetectionResult(territory, detection, data, suggestions, existing, len(data.flows))


def evaluate_pair(offer: Flow, need: Flow) -> tuple[Suggestion | None, str]:
    """The engine's verdict on one offer and one need (on what is still free of both): the suggestion with its
    reasons, or None and the reason it is refused."""
    # The two flows in hand, already read through the permission layer by the caller.
    data = detection_input(Flow.objects.unscoped().filter(pk__in=[offer.pk, need.pk]))
    detection = detect(
        data.actors,
        data.flows,
        engine_reference(),
        permits=data.permits,
        precedents=platform_precedents(),
        pools=False,
    )
    for suggestion in detection.synergies:
        if suggestion.offer_id == str(offer.pk) and suggestion.need_id == str(need.pk):
            return suggestion, ""
    for exclusion in detection.exclusions:
        return None, exclusion.reason
    return None, (
        "l'offre ne répond pas au besoin (nature, code déchet, température, qualité, période de validité ou "
        "distance incompatibles)"
    )


def suggestion_figures(suggestion: Suggestion) -> dict:
    """Figures of a suggestion for pages and the API (None when unknown)."""

    def clean(value):
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value

    return {
        "score": round(suggestion.score, 1),
        "quantity": clean(suggestion.quantity),
        "unit": suggestion.unit,
        "road_km": clean(suggestion.road_km),
        "co2e_t": clean(suggestion.co2e_t),
        "money_eur": clean(suggestion.money_eur),
        "payback_years": clean(suggestion.payback_years),
        "heat_pump": suggestion.heat_pump,
    }
