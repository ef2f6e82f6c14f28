"""Industrial ecology pages (/eit/): flows of a territory, a company's flows, workshop sheet import, detection
with its reasons, the synergy sheet and pipeline board, indicators, CSV export. Views are thin: rules live in
tandem.eit and the permission layer."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tandem.companies import exports
from tandem.companies.models import Company
from tandem.companies.perms import actor_commune_codes
from tandem.core.audit import audit_record
from tandem.core.errors import UserError
from tandem.core.models import AuditEvent
from tandem.core.uploads import upload_stored
from tandem.eit import detection as det
from tandem.eit.models import Flow, Synergy
from tandem.eit.perms import can_read_regional_indicators, can_write_eit, territory_epcis
from tandem.eit.selectors import (
    estimated_flows_for,
    flow_map_points,
    flows_for,
    last_estimate_refresh,
    regional_indicators,
    synergies_for,
    synergy_history,
    synergy_indicators,
)
from tandem.eit.services import (
    flows_import,
    synergy_agreement_set,
    synergy_create,
    synergy_stage_move,
    synergy_year_set,
)
from tandem.organizations.perms import can_change, get_visible_or_404, scope_queryset, writable_owners
from tandem.territories.models import Commune
from tandem.territories.selectors import instance_region_code
from tandem.www.eit import forms
from tandem.www.maps import map_config


def _epcis(actor):
    """The EPCIs offered in the territory selectors (`eit.perms.territory_epcis`)."""
    return territory_epcis(actor).order_by("name")


def _territory_codes(request):
    """Communes of the chosen EPCI (`?epci=`), else of the actor's perimeter (None: no restriction)."""
    siren = request.GET.get("epci", "")
    if siren:
        return det.territory_for_epci(siren).commune_codes, siren
    return actor_commune_codes(request.actor), ""


OFFER_COLOUR, NEED_COLOUR = "#000091", "#e1000f"


def _point(lon, lat, **properties) -> dict | None:
    if lon is None or lat is None:
        return None
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _collection(features) -> dict:
    return {"type": "FeatureCollection", "features": [f for f in features if f]}


def _flows_layer(flows) -> dict:
    """Every establishment with flows in the territory (not only the page's), as a point: blue when it offers,
    red when it only needs; the label counts its offers and needs."""
    features = []
    for p in flow_map_points(flows):
        company = p["siret"][:9]
        features.append(
            _point(
                p["lon"],
                p["lat"],
                nom=p["name"],
                libelle=f"{p['offers']} offre(s), {p['needs']} besoin(s)",
                couleur=OFFER_COLOUR if p["offers"] else NEED_COLOUR,
                lien=reverse("www:eit:company", args=[company]),
            )
        )
    return _collection(features)


ESTIMATES_SHOWN = 200


def _estimates_context(estimates) -> dict:
    return {
        "estimates": list(estimates[:ESTIMATES_SHOWN]),
        "estimates_count": estimates.count(),
        "last_refresh": last_estimate_refresh(),
    }


@login_required
def flow_list(request):
    try:
        codes, siren = _territory_codes(request)
    except UserError as exc:
        messages.error(request, exc.message)
        codes, siren = actor_commune_codes(request.actor), ""
    flows = flows_for(
        request.actor,
        commune_codes=codes,
        direction=request.GET.get("sens", ""),
        kind=request.GET.get("nature", ""),
    )
    page = Paginator(flows, 50).get_page(request.GET.get("page"))
    estimates = estimated_flows_for(
        request.actor,
        commune_codes=codes,
        direction=request.GET.get("sens", ""),
        kind=request.GET.get("nature", ""),
    )
    return render(
        request,
        "www/eit/flows.html",
        {
            "page": page,
            **_estimates_context(estimates),
            "map": map_config(label="Carte des flux du territoire", layers={"flux": _flows_layer(flows)}),
            "epcis": _epcis(request.actor),
            "epci": siren,
            "directions": Flow.Direction.choices,
            "kinds": Flow.Kind.choices,
            "can_write": can_write_eit(request.actor),
        },
    )


FLOW_HEADERS = [
    "siret",
    "entreprise",
    "commune",
    "sens",
    "nature",
    "code_dechet",
    "dangereux",
    "ressource",
    "description",
    "quantite",
    "unite",
    "periode",
    "temperature_c",
    "qualite_eau",
    "statut",
    "origine",
    "confiance",
    "organisation",
]


def _flow_rows(flows):
    for f in flows.iterator(chunk_size=2000):
        yield [
            f.establishment_id,
            f.establishment.company.display_name,
            f.establishment.commune_label,
            f.get_direction_display(),
            f.get_kind_display(),
            f.ewc.display if f.ewc_id else "",
            "oui" if f.ewc_id and f.ewc.hazardous else "non",
            f.get_resource_display() if f.resource else "",
            f.label,
            f.quantity,
            f.get_unit_display(),
            f.get_period_display(),
            f.temperature_c,
            f.get_water_class_display() if f.water_class else "",
            f.get_legal_status_display(),
            f.get_origin_display(),
            f.confidence,
            f.owner.name,
        ]


@login_required
def flow_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    codes, _ = _territory_codes(request)
    flows = flows_for(
        request.actor,
        commune_codes=codes,
        direction=request.GET.get("sens", ""),
        kind=request.GET.get("nature", ""),
    )
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type="eit.flow",
        details={"format": fmt, "count": flows.count()},
    )
    if fmt == "csv":
        response = HttpResponse(
            exports.to_csv(FLOW_HEADERS, _flow_rows(flows)), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            exports.to_xlsx(FLOW_HEADERS, _flow_rows(flows), title="flux EIT"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="flux-eit.{fmt}"'
    return response


@login_required
def flow_detail(request, pk: int):
    flow = get_visible_or_404(
        request.actor, Flow.objects.select_related("establishment__company", "ewc", "owner"), pk=pk
    )
    synergies = synergies_for(request.actor).filter(supplier_flow=flow) | synergies_for(request.actor).filter(
        receiver_flow=flow
    )
    return render(request, "www/eit/flow_detail.html", {"flow": flow, "synergies": synergies.distinct()})


@login_required
def flow_import(request):
    owners = writable_owners(request.actor)
    form = forms.FlowImportForm(
        request.POST or None,
        request.FILES or None,
        owners=owners,
        current_org_id=request.actor.current_org_id,
    )
    result = None
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with upload_stored(upload, folder="imports/eit", suffix=suffix) as path:
            try:
                result = flows_import(
                    actor=request.actor,
                    owner=form.cleaned_data["owner"],
                    path=path,
                    name=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                )
                messages.success(request, result.summary)
                if not result.dry_run:
                    return redirect(reverse("www:eit:flows"))
            except UserError as exc:
                form.add_error(None, exc.message)
                problems = [str(p) for p in exc.problems]
    context = {"form": form, "result": result, "problems": problems, "can_import": owners.exists()}
    return render(request, "www/eit/import.html", context)


@login_required
def company_flows(request, siren: str):
    if not (len(siren) == 9 and siren.isdigit()):
        raise Http404
    company = get_object_or_404(Company, pk=siren)
    return render(
        request,
        "www/eit/company.html",
        {
            "company": company,
            "flows": flows_for(request.actor, siren=siren),
            "synergies": synergies_for(request.actor, siren=siren),
            **_estimates_context(estimated_flows_for(request.actor, siren=siren)),
        },
    )


def _territory_from(request):
    """The detection's territory from the query string: EPCI, perimeter, radius around an establishment, or a
    company. None when nothing was asked."""
    get = request.GET
    if get.get("epci"):
        return det.territory_for_epci(get["epci"])
    if get.get("perimetre"):
        try:
            return det.territory_for_perimeter(request.actor, int(get["perimetre"]))
        except ValueError as exc:
            raise UserError("Périmètre introuvable.") from exc
    if get.get("siret"):
        return det.territory_around(get["siret"].replace(" ", ""), get.get("rayon") or det.DEFAULT_RADIUS_KM)
    if get.get("siren"):
        return det.territory_for_company(get["siren"], get.get("rayon") or det.DEFAULT_RADIUS_KM)
    return None


@login_required
def detection(request):
    result = None
    try:
        territory = _territory_from(request)
        if territory is not None:
            result = det.run_detection(
                request.actor, territory, limit=100, with_estimates=bool(request.GET.get("estimes"))
            )
    except UserError as exc:
        messages.error(request, exc.message)
    rows = []
    if result is not None:
        for rank, s in enumerate(result.suggestions, start=1):
            rows.append(
                {
                    "rank": rank,
                    "s": s,
                    "figures": det.suggestion_figures(s),
                    "supplier": result.row(s.offer_id),
                    "receiver": result.row(s.need_id),
                    "existing": result.existing.get((s.offer_id, s.need_id)),
                    "estimated": det.is_estimate_id(s.offer_id) or det.is_estimate_id(s.need_id),
                }
            )
    points, links = {}, []
    for r in rows:
        ends = []
        for side, colour in (("supplier", OFFER_COLOUR), ("receiver", NEED_COLOUR)):
            row = r[side]
            if row["lon"] is not None:
                points[row["establishment_id"]] = _point(
                    row["lon"], row["lat"], nom=row["establishment__company__name"], couleur=colour
                )
                ends.append([row["lon"], row["lat"]])
        if len(ends) == 2:
            links.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": ends},
                    "properties": {
                        "nom": f"{r['supplier']['establishment__company__name']} → {r['receiver']['establishment__company__name']}",
                        "libelle": r["s"].label,
                        **(
                            {}
                            if r["estimated"]
                            else {"lien": reverse("www:eit:suggestion", args=[r["s"].offer_id, r["s"].need_id])}
                        ),
                    },
                }
            )
    layers = {"flux": _collection(points.values()), "liens": _collection(links)}
    exclusions = []
    if result is not None:
        for e in result.detection.exclusions[:50]:
            exclusions.append(
                {"supplier": result.row(e.offer_id), "receiver": result.row(e.need_id), "reason": e.reason}
            )
    return render(
        request,
        "www/eit/detection.html",
        {
            "result": result,
            "rows": rows,
            "map": map_config(label="Carte des liens proposés", layers=layers),
            "exclusions": exclusions,
            "pools": result.detection.pools[:30] if result else [],
            "epcis": _epcis(request.actor),
            "epci": request.GET.get("epci", ""),
            "asked": {k: request.GET.get(k, "") for k in ("siret", "rayon", "siren", "estimes")},
        },
    )


@login_required
def suggestion(request, offer: int, need: int):
    supplier = get_visible_or_404(
        request.actor, Flow.objects.select_related("establishment__company", "ewc"), pk=offer
    )
    receiver = get_visible_or_404(
        request.actor, Flow.objects.select_related("establishment__company", "ewc"), pk=need
    )
    found, refusal = det.evaluate_pair(supplier, receiver)
    existing = scope_queryset(
        request.actor, Synergy.objects.filter(supplier_flow=supplier, receiver_flow=receiver)
    ).first()
    owners = writable_owners(request.actor)
    form = forms.SynergyCreateForm(
        request.POST or None, owners=owners, current_org_id=request.actor.current_org_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            synergy = synergy_create(
                actor=request.actor,
                owner=form.cleaned_data["owner"],
                supplier_flow=supplier,
                receiver_flow=receiver,
                notes=form.cleaned_data["notes"],
            )
            messages.success(request, "Synergie créée (étape « idée »).")
            return redirect(reverse("www:eit:synergy", args=[synergy.pk]))
        except UserError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "www/eit/suggestion.html",
        {
            "supplier": supplier,
            "receiver": receiver,
            "found": found,
            "figures": det.suggestion_figures(found) if found else None,
            "refusal": refusal,
            "existing": existing,
            "form": form,
            "can_write": can_write_eit(request.actor) and owners.exists(),
        },
    )


@login_required
def synergy_board(request):
    try:
        codes, siren = _territory_codes(request)
    except UserError as exc:
        messages.error(request, exc.message)
        codes, siren = actor_commune_codes(request.actor), ""
    synergies = list(synergies_for(request.actor, commune_codes=codes).order_by("-stage_since", "-pk")[:500])
    columns = [
        (value, label, [s for s in synergies if s.stage == value]) for value, label in Synergy.Stage.choices
    ]
    return render(
        request, "www/eit/board.html", {"columns": columns, "epcis": _epcis(request.actor), "epci": siren}
    )


SYNERGY_HEADERS = [
    "intitule",
    "etape",
    "depuis_le",
    "nature",
    "fournisseur",
    "siret_fournisseur",
    "receveur",
    "siret_receveur",
    "quantite_par_an",
    "unite",
    "distance_routiere_km",
    "co2e_evite_t_par_an",
    "economie_eur_par_an",
    "accord_fournisseur",
    "accord_receveur",
    "organisation",
]


def _synergy_rows(synergies):
    for s in synergies.iterator(chunk_size=2000):
        supplier, receiver = s.supplier_flow.establishment, s.receiver_flow.establishment
        yield [
            s.title,
            s.get_stage_display(),
            s.stage_since,
            s.get_kind_display(),
            supplier.company.display_name,
            supplier.siret,
            receiver.company.display_name,
            receiver.siret,
            s.quantity,
            s.unit,
            s.road_km,
            s.co2e_t,
            s.money_eur,
            s.supplier_agreed_on,
            s.receiver_agreed_on,
            s.owner.name,
        ]


@login_required
def synergy_export(request, fmt: str):
    """The synergies of the board (territory filter) the actor sees, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    codes, _ = _territory_codes(request)
    synergies = synergies_for(request.actor, commune_codes=codes).order_by("stage", "-stage_since", "pk")
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type="eit.synergy",
        details={"format": fmt, "count": synergies.count()},
    )
    if fmt == "csv":
        response = HttpResponse(
            exports.to_csv(SYNERGY_HEADERS, _synergy_rows(synergies)), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            exports.to_xlsx(SYNERGY_HEADERS, _synergy_rows(synergies), title="synergies EIT"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="synergies-eit.{fmt}"'
    return response


def _synergy(request, pk):
    return get_visible_or_404(
        request.actor,
        Synergy.objects.select_related(
            "supplier_flow__establishment__company", "receiver_flow__establishment__company", "owner"
        ),
        pk=pk,
    )


@login_required
def synergy_detail(request, pk: int):
    synergy = _synergy(request, pk)
    return render(
        request,
        "www/eit/synergy.html",
        {
            "synergy": synergy,
            "history": synergy_history(synergy),
            "years": synergy.years.all(),
            "can_change": can_change(request.actor, synergy),
            "stage_form": forms.StageMoveForm(auto_id="stage_%s"),
            "agreement_form": forms.AgreementForm(auto_id="agreement_%s"),
            "year_form": forms.YearForm(auto_id="year_%s"),
        },
    )


@login_required
@require_POST
def synergy_update(request, pk: int, what: str):
    synergy = _synergy(request, pk)
    form_class = {"etape": forms.StageMoveForm, "accord": forms.AgreementForm, "annee": forms.YearForm}.get(
        what
    )
    if form_class is None:
        raise Http404
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Formulaire incomplet : " + " ; ".join(str(e) for errs in form.errors.values() for e in errs),
        )
        return redirect(reverse("www:eit:synergy", args=[pk]))
    data = form.cleaned_data
    try:
        if what == "etape":
            synergy_stage_move(
                actor=request.actor, synergy=synergy, stage=data["stage"], on=data["on"], notes=data["notes"]
            )
            messages.success(request, f"Étape enregistrée : {dict(Synergy.Stage.choices)[data['stage']]}.")
        elif what == "accord":
            synergy_agreement_set(actor=request.actor, synergy=synergy, side=data["side"], on=data["on"])
            messages.success(request, "Accord enregistré.")
        else:
            synergy_year_set(
                actor=request.actor,
                synergy=synergy,
                year=data["year"],
                quantity=data["quantity"],
                co2e_t=data["co2e_t"],
            )
            messages.success(request, "Bilan annuel enregistré.")
    except UserError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("www:eit:synergy", args=[pk]))


@login_required
def indicators(request):
    try:
        codes, siren = _territory_codes(request)
    except UserError as exc:
        messages.error(request, exc.message)
        codes, siren = actor_commune_codes(request.actor), ""
    region = None
    if can_read_regional_indicators(request.actor):
        code = (
            Commune.objects.filter(organizations__in=request.actor.org_ids)
            .values_list("region_id", flat=True)
            .first()
        )
        region = regional_indicators(code or instance_region_code())
    return render(
        request,
        "www/eit/indicators.html",
        {
            "indicators": synergy_indicators(request.actor, commune_codes=codes),
            "stage_labels": dict(Synergy.Stage.choices),
            "region": region,
            "epcis": _epcis(request.actor),
            "epci": siren,
        },
    )
