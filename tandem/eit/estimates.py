"""Estimated flows (writes): what the engine estimates an establishment offers and needs from its registry
activity (NAF) and headcount band, stored as `EstimatedFlow` apart from the recorded flows (docs/eit.md,
« Flux estimés »).

- Which establishments: active, with a NAF code the engine has a profile for and a headcount band of at least
  `TANDEM_EIT_ESTIMATE_MIN_HEADCOUNT` employees (10 by default: the scope of INSEE's waste surveys the
  quantity factors come from).
- Headcount: `tandem.companies.nomenclatures.headcount_estimate` (the one rule from a band to a number).
- Replaced: a recorded flow (declared, workshop) of the same establishment, direction and kind (a material: of
  the same EWC sub-chapter, or chapter) removes the estimates it covers, at once (`estimates_supersede`) and at
  every refresh.
- Refreshed: `estimated_flows_refresh` recomputes only the establishments whose NAF code or headcount band
  changed (or that entered or left the scope); the periodic job runs it when a registry import finished since
  the last refresh (`tandem.eit.tasks`).

The refresh reads the registry and every recorded flow whoever owns them (`_recorded_keys_unscoped`): it is a
job, not a reader; nothing it writes reveals a recorded flow beyond the disappearance of an estimate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tandem.companies.models import Establishment
from tandem.companies.nomenclatures import HEADCOUNT_BANDS, headcount_estimate
from tandem.core.errors import UserError
from tandem.eit.engine import Actor as EngineActor
from tandem.eit.engine import estimated_flows, knowledge, normalise_nace, resolve_activity, with_quantities
from tandem.eit.engine import model as engine
from tandem.eit.models import EstimatedFlow, EstimateRefresh, Flow, WasteCode

SOURCE_ACTIVITY = (
    "profil d'activité du moteur Tandem (nomenclature européenne des déchets organisée par activité source ; "
    "opérations de valorisation R de la directive 2008/98/CE)"
)


def cover_key(kind: str, ewc: str | None, resource: str) -> str:
    """What a flow stands for when recorded flows replace estimates: a material by its EWC code (an estimate
    names a sub-chapter; a recorded code covers the estimates whose code starts with its sub-chapter, or its
    chapter when it gives only a chapter), another kind by itself. One rule for the refresh and the writes."""
    if kind == engine.MATERIAL and ewc:
        return f"ewc:{ewc[:4]}"
    if kind == engine.MATERIAL:
        return f"resource:{resource}"
    return f"kind:{kind}"


def is_covered(estimate_key: str, recorded_keys) -> bool:
    return any(estimate_key.startswith(key) for key in recorded_keys)


def eligible_bands() -> list[str]:
    least = getattr(settings, "TANDEM_EIT_ESTIMATE_MIN_HEADCOUNT", 10)
    return [code for code, band in HEADCOUNT_BANDS.items() if (band.minimum or 0) >= least]


def estimates_for(naf: str, band: str, ref_codes: set[str]) -> list[dict]:
    """The estimated flows of an establishment of this NAF code and headcount band, as field dicts (pure
    computation from the engine: the same for every establishment of that activity and band)."""
    code = normalise_nace(naf)
    if not code:
        return []
    actor = EngineActor(id="estimate", nace=naf)
    headcount = headcount_estimate(band)
    flows = with_quantities(estimated_flows(actor, resolve_activity(actor)), code, headcount)
    rows = []
    for f in flows:
        ewc = f.ewc if f.kind == engine.MATERIAL and not f.resource else ""
        if ewc and ewc not in ref_codes:
            continue
        source = SOURCE_ACTIVITY
        if f.quantity is not None:
            source += f" ; quantité : effectif ≈ {headcount:g} salariés × {knowledge.WASTE_FACTOR_SOURCE}"
        rows.append(
            {
                "direction": f.direction,
                "kind": f.kind,
                "ewc_id": ewc or None,
                "resource": f.resource,
                "label": f.label[:255],
                "quantity": f.quantity,
                "unit": engine.CANONICAL_UNIT[f.kind],
                "temperature_c": f.quality.temperature_c,
                "water_class": f.quality.water_class or "",
                "legal_status": f.legal_status,
                "confidence": f.confidence,
                "naf": naf,
                "headcount_band": band,
                "headcount": headcount,
                "factor_source": source,
            }
        )
    return rows


def _recorded_keys_unscoped(sirets) -> dict[tuple[str, str], set[str]]:
    """(siret, direction) -> cover keys of the recorded flows (declared or from a workshop) of these
    establishments, WHOEVER owns them."""
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    rows = (
        # Unscoped on purpose: a job, not a read for a user; it only learns which kinds of flow are recorded,
        # to drop the estimates they replace (no flow detail leaves this function).
        Flow.objects.unscoped()
        .filter(establishment_id__in=sirets)
        .exclude(origin=engine.ESTIMATED)
        .values_list("establishment_id", "direction", "kind", "ewc_id", "resource")
    )
    for siret, direction, kind, ewc, resource in rows:
        keys[(siret, direction)].add(cover_key(kind, ewc, resource))
    return keys


@dataclass
class _Counts:
    establishments: int = 0
    created: int = 0
    deleted: int = 0
    unchanged: int = 0


def estimated_flows_refresh(*, commune_codes=None, reason: str = "") -> EstimateRefresh:
    """Make the estimates of the establishments in scope (in these communes, or everywhere) agree with the
    registry and the recorded flows: new or changed establishments (NAF code, headcount band) estimated again,
    those out of scope lose their estimates, estimates covered by a recorded flow removed. Running it twice
    changes nothing the second time."""
    ref_codes = set(WasteCode.objects.values_list("code", flat=True))
    if not ref_codes:
        raise UserError(
            "Nomenclature européenne des déchets absente : lancez « tandem load_eit_reference » avant d'estimer "
            "les flux."
        )
    in_scope = Establishment.objects.filter(
        state=Establishment.State.ACTIVE, headcount_band__in=eligible_bands()
    )
    in_scope = in_scope.exclude(naf="")
    current = EstimatedFlow.objects.all()
    if commune_codes is not None:
        in_scope = in_scope.filter(commune_id__in=commune_codes)
        current = current.filter(commune_id__in=commune_codes)
    registry = {
        siret: (naf, band, commune)
        for siret, naf, band, commune in in_scope.values_list("siret", "naf", "headcount_band", "commune_id")
    }
    stored: dict[str, tuple[str, str]] = {}
    stored_keys: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for pk, siret, naf, band, direction, kind, ewc, resource in current.values_list(
        "pk", "establishment_id", "naf", "headcount_band", "direction", "kind", "ewc_id", "resource"
    ):
        stored[siret] = (naf, band)
        stored_keys[siret].append((pk, direction, cover_key(kind, ewc, resource)))
    counts = _Counts(establishments=len(registry))
    to_delete: list[int] = []
    to_redo = []
    for siret in stored.keys() - registry.keys():
        to_delete += [pk for pk, _, _ in stored_keys[siret]]
    for siret, (naf, band, _commune) in registry.items():
        if stored.get(siret) == (naf, band):
            counts.unchanged += 1
        else:
            to_redo.append(siret)
            to_delete += [pk for pk, _, _ in stored_keys.get(siret, ())]
    recorded = _recorded_keys_unscoped(list(registry))
    # estimates kept but now covered by a recorded flow
    for siret, rows in stored_keys.items():
        if siret in registry and siret not in to_redo:
            to_delete += [pk for pk, d, key in rows if is_covered(key, recorded.get((siret, d), ()))]
    now = timezone.now()
    new = []
    by_basis: dict[tuple[str, str], list[dict]] = {}  # establishments of one activity and band: one estimate
    for siret in to_redo:
        naf, band, commune = registry[siret]
        if (naf, band) not in by_basis:
            by_basis[(naf, band)] = estimates_for(naf, band, ref_codes)
        for fields in by_basis[(naf, band)]:
            key = cover_key(fields["kind"], fields["ewc_id"], fields["resource"])
            if is_covered(key, recorded.get((siret, fields["direction"]), ())):
                continue
            new.append(EstimatedFlow(establishment_id=siret, commune_id=commune, computed_at=now, **fields))
    with transaction.atomic():
        counts.deleted = EstimatedFlow.objects.filter(pk__in=to_delete).delete()[0] if to_delete else 0
        EstimatedFlow.objects.bulk_create(new, batch_size=2000)
        counts.created = len(new)
        return EstimateRefresh.objects.create(
            reason=reason[:100],
            establishments=counts.establishments,
            created=counts.created,
            deleted=counts.deleted,
            unchanged=counts.unchanged,
        )


def estimates_supersede(flow: Flow) -> int:
    """Remove the estimates of `flow`'s establishment that the recorded `flow` covers (same direction and kind;
    a material of the same sub-chapter or chapter). A recorded flow itself marked « estimé » replaces nothing.
    Returns how many."""
    if flow.origin == engine.ESTIMATED:
        return 0
    key = cover_key(flow.kind, flow.ewc_id, flow.resource)
    doomed = [
        pk
        for pk, kind, ewc, resource in EstimatedFlow.objects.filter(
            establishment_id=flow.establishment_id, direction=flow.direction
        ).values_list("pk", "kind", "ewc_id", "resource")
        if cover_key(kind, ewc, resource).startswith(key)
    ]
    if doomed:
        EstimatedFlow.objects.filter(pk__in=doomed).delete()
    return len(doomed)


SIRENE_KINDS = ("sirene", "etablissement", "unite_legale", "geolocalisation")


def estimated_flows_refresh_if_registry_changed() -> EstimateRefresh | None:
    """Refresh the estimates when a registry (SIRENE) import finished after the last refresh (or when none was
    ever made and the registry holds establishments); otherwise do nothing and return None. What the periodic
    job runs."""
    from tandem.eit.selectors import last_estimate_refresh
    from tandem.imports.models import ImportRun

    last = last_estimate_refresh()
    imports = ImportRun.objects.filter(
        kind__in=SIRENE_KINDS, status=ImportRun.Status.DONE, dry_run=False, finished_at__isnull=False
    )
    if last is not None:
        imports = imports.filter(finished_at__gt=last.at)
    latest = imports.order_by("-finished_at").first()
    if latest is None and (last is not None or not Establishment.objects.exists()):
        return None
    if not WasteCode.objects.exists():
        return None  # nothing to estimate with until the reference is loaded (`load_eit_reference`)
    reason = f"import du répertoire du {latest.finished_at:%d/%m/%Y}" if latest else "première estimation"
    return estimated_flows_refresh(reason=reason)
