"""Industrial decarbonation pages (/decarbonation/): the dashboard of a territory (segments, trajectory
against the target, biggest emitters, projects, map), the installations, a site's emissions sheet, the review
list of establishment links. Views are thin: rules live in tandem.decarbonation and the permission layer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tandem.companies.exports import to_csv, to_xlsx
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.decarbonation import selectors as sel
from tandem.decarbonation.models import EmissionRecord, EstablishmentLink, Installation, Project
from tandem.decarbonation.perms import aid_amounts_visible, can_edit_major_emitters, can_review_links
from tandem.decarbonation.services import link_confirm, link_reject, major_emitters_set
from tandem.decarbonation.services import project_create as project_create_service
from tandem.organizations.perms import writable_owners
from tandem.territories.selectors import instance_region_code
from tandem.www.decarbonation import forms
from tandem.www.decarbonation.chart import trajectory_chart
from tandem.www.maps import map_config, map_tiles


def _territory(request):
    kind = request.GET.get("type") or "region"
    code = request.GET.get("code") or (sel.default_region_code(request.actor) if kind == "region" else "")
    try:
        return sel.territory_get(request.actor, kind, code)
    except UserError as exc:
        messages.error(request, exc.message)
        return sel.territory_get(request.actor, "region", sel.default_region_code(request.actor))


@login_required
def dashboard(request):
    territory = _territory(request)
    t = sel.trajectory(request.actor, territory)
    top = list(sel.installations_for(territory)[:15])
    segments = sel.segment_of_installations(territory.region_code, [i.pk for i in top])
    for inst in top:
        inst.segment_label = sel.SEGMENTS[segments[inst.pk]]
    projects = sel.projects_for(request.actor, territory=territory)
    pipeline = {label: projects.filter(status=key).count() for key, label in Project.Status.choices}
    major, own_list = sel.major_emitters(territory.region_code)
    return render(
        request,
        "www/decarbonation/dashboard.html",
        {
            "territory": territory,
            "form": forms.TerritoryForm(initial={"type": territory.kind, "code": territory.code}),
            "t": t,
            "chart": trajectory_chart(t),
            "rows": [
                {
                    "year": y,
                    "measured": t.measured.get(y),
                    "target": t.target.get(y),
                    "projected": t.projected.get(y),
                }
                for y in t.years
            ],
            "top": top,
            "pipeline": pipeline,
            "own_list": own_list,
            "map": map_config(
                label="Carte des installations, taille selon les émissions",
                tiles=map_tiles("installations"),
                list_title="Installations de la carte",
            ),
        },
    )


@login_required
def installation_list(request):
    territory = _territory(request)
    segment = request.GET.get("segment", "")
    qs = sel.installations_for(
        territory, segment=segment if segment in sel.SEGMENTS else "", q=request.GET.get("q", "").strip()
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "www/decarbonation/installations.html",
        {
            "territory": territory,
            "page": page,
            "segments": sel.SEGMENTS,
            "segment": segment,
            "q": request.GET.get("q", ""),
        },
    )


@login_required
def installation_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    territory = _territory(request)
    segment = request.GET.get("segment", "")
    rows = sel.installation_export_rows(
        territory, segment=segment if segment in sel.SEGMENTS else "", q=request.GET.get("q", "").strip()
    )
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type="decarbonation.installation",
        details={"format": fmt, "count": len(rows), "territoire": territory.name},
    )
    if fmt == "csv":
        response = HttpResponse(to_csv(sel.EXPORT_HEADERS, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            to_xlsx(sel.EXPORT_HEADERS, rows, title="installations"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = (
        f'attachment; filename="installations-{territory.kind}-{territory.code}.{fmt}"'
    )
    return response


@login_required
def installation_detail(request, pk: int):
    inst = get_object_or_404(Installation.objects.select_related("commune"), pk=pk)
    records = list(inst.emissions.order_by("-year", "source", "variant"))
    history = [r for r in records if r.retained]
    projects = list(sel.projects_for(request.actor, installation=inst))
    for p in projects:
        p.aid_visible = aid_amounts_visible(request.actor, p)
    owners = writable_owners(request.actor)
    region = inst.commune.region_id if inst.commune_id else ""
    segment = sel.segment_of_installations(region or instance_region_code(), [inst.pk])[inst.pk] if history else sel.DIFFUSE
    return render(
        request,
        "www/decarbonation/installation.html",
        {
            "inst": inst,
            "records": records,
            "history": history,
            "chart_max": max((r.value_t for r in history), default=0),
            "flags": inst.flags.all(),
            "links": inst.links.select_related("establishment__company").exclude(
                status=EstablishmentLink.Status.REJECTED
            ),
            "accounts": inst.ets_accounts.all(),
            "projects": projects,
            "segment_label": sel.SEGMENTS[segment],
            "form": forms.ProjectForm(owners=owners, current_org_id=request.actor.current_org_id)
            if owners.exists()
            else None,
            "can_review": can_review_links(request.actor),
            "sources": EmissionRecord.Source,
        },
    )


@login_required
@require_POST
def project_create(request, pk: int):
    inst = get_object_or_404(Installation, pk=pk)
    form = forms.ProjectForm(request.POST, owners=writable_owners(request.actor))
    if not form.is_valid():
        messages.error(
            request,
            "Projet non enregistré : "
            + " ; ".join(
                f"{form.fields[f].label} : {e[0]}" for f, e in form.errors.items() if f in form.fields
            ),
        )
        return redirect("www:decarbonation:installation", pk=pk)
    data = dict(form.cleaned_data)
    owner, visibility = data.pop("owner"), data.pop("visibility")
    try:
        project_create_service(
            actor=request.actor, owner=owner, installation=inst, visibility=visibility, **data
        )
    except NotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("www:decarbonation:installation", pk=pk)
    messages.success(request, "Projet de décarbonation enregistré.")
    return redirect("www:decarbonation:installation", pk=pk)


@login_required
def major_list(request):
    """The Région's list of « 15 plus gros émetteurs » (or the default proposal), and its editing."""
    region = sel.territory_get(request.actor, "region", sel.default_region_code(request.actor))
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("installation") if v.isdigit()]
        try:
            major_emitters_set(actor=request.actor, region_code=region.code, installation_ids=ids)
            messages.success(
                request, f"Liste des plus gros émetteurs enregistrée ({len(ids)} installations)."
            )
        except NotAllowed as exc:
            messages.error(request, exc.message)
        return redirect("www:decarbonation:major")
    chosen, own = sel.major_emitters(region.code)
    candidates = list(sel.installations_for(region, segment="")[:40])
    listed = set(chosen)
    return render(
        request,
        "www/decarbonation/major.html",
        {
            "region": region,
            "own": own,
            "candidates": candidates,
            "listed": listed,
            "can_edit": can_edit_major_emitters(request.actor, region.code),
        },
    )


@login_required
def link_review(request):
    installations = Paginator(sel.links_to_review(), 25).get_page(request.GET.get("page"))
    for inst in installations:
        inst.candidates = sorted(
            (link for link in inst.links.all() if link.status == EstablishmentLink.Status.PROPOSED),
            key=lambda link: -link.score,
        )
    return render(
        request,
        "www/decarbonation/links.html",
        {"page": installations, "can_review": can_review_links(request.actor)},
    )


@login_required
@require_POST
def link_decide(request, pk: int, decision: str):
    link = get_object_or_404(EstablishmentLink, pk=pk)
    try:
        if decision == "confirmer":
            link_confirm(actor=request.actor, link=link)
            messages.success(
                request, f"Lien confirmé : {link.installation.name} ↔ établissement {link.establishment_id}."
            )
        elif decision == "ecarter":
            link_reject(actor=request.actor, link=link)
            messages.success(request, f"Candidat écarté : établissement {link.establishment_id}.")
        else:
            messages.error(request, "Décision inconnue.")
    except NotAllowed as exc:
        messages.error(request, exc.message)
    target = request.POST.get("retour")
    if target == "fiche":
        return redirect("www:decarbonation:installation", pk=link.installation_id)
    return redirect("www:decarbonation:links")
