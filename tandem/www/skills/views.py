"""Jobs and skills pages (/competences/): the choice of a territory, a territory's page (hiring needs, tensions,
needs of followed companies and prospects, gaps with their actions), recording and moving on an action.
Views are thin: figures come from tandem.skills.selectors, writes from tandem.skills.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.companies import exports
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.perms import get_visible_or_404, writable_owners
from tandem.prospects.models import BmoJob
from tandem.skills import selectors, services
from tandem.skills.jobs import job_suggestions as suggest_jobs
from tandem.skills.models import RomeFapReview, SkillAction
from tandem.skills.perms import can_review_crosswalk
from tandem.skills.territory import territory_get
from tandem.territories.models import Departement, Epci, ZoneEmploi
from tandem.www.maps import map_config, map_tiles
from tandem.www.skills.forms import ActionForm, ActionUpdateForm


@login_required
def skills_index(request):
    zones = ZoneEmploi.objects.order_by("name")
    deps = Departement.objects.filter(code__in=BmoJob.objects.values("departement")).order_by("code")
    epcis = Epci.objects.filter(is_current=True, communes__departement__in=deps).distinct().order_by("name")
    carte = map_config(
        label="Zones d'emploi : projets de recrutement et part jugée difficile (enquête BMO)",
        tiles=map_tiles("zones_emploi"),
        list_title="Zones d'emploi de la carte",
    )
    return render(
        request, "www/skills/index.html", {"zones": zones, "deps": deps, "epcis": epcis, "map": carte}
    )


@login_required
def job_suggestions(request):
    """The ROME appellations nearest to a typed job title, for the suggestion list of the hiring-need forms
    (public referential): {"results": [{"label": "Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse", …}]}."""
    found = suggest_jobs(request.GET.get("q", "")[:120])
    return JsonResponse(
        {"results": [{"label": m.display, "code": m.code, "confiance": m.confidence} for m in found]}
    )


@login_required
def territory_page(request, kind: str, code: str):
    territory = territory_get(kind, code)
    actor = request.actor
    owners = writable_owners(actor)
    found = selectors.gaps(actor=actor, territory=territory)
    sessions = list(selectors.training_sessions(actor=actor, territory=territory))
    for gap in found:
        if gap.get("unresolved"):
            continue
        gap["form"] = ActionForm(
            owners=owners,
            current_org_id=actor.current_org_id,
            auto_id=f"action-{gap['code']}-%s",
            initial={"job_code": gap["code"]},
        )
    return render(
        request,
        "www/skills/territory.html",
        {
            "territory": territory,
            "bmo": selectors.hiring_needs(actor=actor, territory=territory),
            "tensions": selectors.tensions(actor=actor, territory=territory, minimum=4),
            "sectors": selectors.seekers_by_sector(actor=actor, territory=territory),
            "gaps": found,
            "actions": selectors.actions_for(actor=actor, territory=territory),
            "flagged": sum(g["flagged"] for g in found),
            "can_act": owners.exists(),
            "update_form": ActionUpdateForm(),
            "training": sessions[:50],
            "training_places": sum(s.places_open for s in sessions),
        },
    )


@require_POST
@login_required
def action_add(request, kind: str, code: str):
    territory = territory_get(kind, code)
    form = ActionForm(request.POST, owners=writable_owners(request.actor))
    if not form.is_valid():
        messages.error(
            request, "Action non enregistrée : " + " ".join(" ".join(e) for e in form.errors.values())
        )
        return redirect("www:skills:territory", kind=kind, code=code)
    data = form.cleaned_data
    label = BmoJob.objects.filter(job_code=data["job_code"]).values_list("job_name", flat=True).first()
    try:
        services.skill_action_create(
            actor=request.actor,
            owner=data["owner"],
            territory=territory,
            job_code=data["job_code"],
            job_label=label or data["job_code"],
            kind=data["kind"],
            description=data["description"],
            people=data["people"],
            due_on=data["due_on"],
            visibility=data["visibility"],
        )
    except (UserError, NotAllowed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Action enregistrée.")
    return redirect("www:skills:territory", kind=kind, code=code)


@require_POST
@login_required
def action_update(request, pk: int):
    action = get_visible_or_404(request.actor, SkillAction.objects.all(), pk=pk)
    form = ActionUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.skill_action_update(actor=request.actor, action=action, **form.cleaned_data)
        except (UserError, NotAllowed) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Action mise à jour.")
    return redirect("www:skills:territory", kind=action.territory_kind, code=action.territory_code)


GAP_HEADERS = [
    "Métier (code FAP 2021 ou ROME)", "Métier", "Besoins annoncés", "Projets de recrutement BMO", "Part jugée difficile",
    "Métiers ROME retenus", "Places de formation (12 mois)", "Tension (1 à 5)", "Écart signalé", "Motifs",
    "Actions", "Demandeurs d'emploi (métiers ROME retenus)",
]  # fmt: skip
BMO_HEADERS = ["Métier (code FAP 2021)", "Métier", "Projets de recrutement", "Jugés difficiles (part)",
               "Saisonniers", "Chiffre couvert par le secret"]  # fmt: skip


def _spreadsheet(fmt: str, headers, rows, *, title: str, filename: str) -> HttpResponse:
    """CSV or XLSX through the one export rule (companies.exports, formulas neutralised by core.spreadsheet)."""
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(headers, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx(headers, rows, title=title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _share(value):
    return None if value is None else round(value, 3)


@login_required
def territory_export(request, kind: str, code: str, table: str, fmt: str):
    """The gaps (« ecarts ») or the BMO hiring needs (« bmo ») of a territory as CSV or XLSX."""
    if fmt not in ("csv", "xlsx") or table not in ("ecarts", "bmo"):
        raise Http404
    territory = territory_get(kind, code)
    actor = request.actor
    if table == "ecarts":
        headers = GAP_HEADERS
        rows = [
            [g["code"], g["name"], g["needs"],
             None if g["bmo"] is None or g["bmo"]["projects"] is None else round(g["bmo"]["projects"]),
             None if g["bmo"] is None else _share(g["bmo"]["difficult_share"]), ", ".join(g["rome_codes"]),
             g["training_places"], None if g["tension"] is None else round(g["tension"], 1),
             "oui" if g["flagged"] else "non", " ; ".join(g["reasons"]),
             " ; ".join(f"{a.get_kind_display()} ({a.get_status_display()})" for a in g["actions"]),
             None if g["seekers"] is None else round(g["seekers"])]
            for g in selectors.gaps(actor=actor, territory=territory)
        ]  # fmt: skip
    else:
        headers = BMO_HEADERS
        rows = [
            [j["code"], j["name"], None if j["secret"] else round(j["projects"]), _share(j["difficult_share"]),
             None if j["secret"] else round(j["seasonal"]), "oui" if j["secret"] else ("en partie" if j["secret_cells"] else "non")]
            for j in selectors.hiring_needs(actor=actor, territory=territory)["jobs"]
        ]  # fmt: skip
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="skills.territory",
        details={"territoire": str(territory), "tableau": table, "format": fmt, "count": len(rows)},
    )
    return _spreadsheet(
        fmt,
        headers,
        rows,
        title=f"{table} {territory.name}"[:31],
        filename=f"competences-{table}-{kind}-{code}",
    )


@login_required
def job_page(request, code: str):
    """A job (FAP 2021) across the zones d'emploi: BMO, tension and training places side by side."""
    sheet = selectors.job_sheet(actor=request.actor, job_code=code.upper())
    if not sheet["known"]:
        raise Http404
    return render(request, "www/skills/job.html", {"sheet": sheet})


JOB_HEADERS = ["Zone d'emploi", "Projets de recrutement BMO", "Part jugée difficile", "Cases couvertes par le secret",
               "Tension (1 à 5)", "Places de formation (12 mois)"]  # fmt: skip


@login_required
def job_export(request, code: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    sheet = selectors.job_sheet(actor=request.actor, job_code=code.upper())
    if not sheet["known"]:
        raise Http404
    rows = [
        [z["name"], None if z["secret_only"] else round(z["projects"]), _share(z["difficult_share"]), z["secret"],
         None if z["tension"] is None else round(z["tension"], 1), z["places"]]
        for z in sheet["zones"]
    ]  # fmt: skip
    audit_record(actor=request.actor, action=AuditEvent.Action.EXPORT, object_type="skills.job",
                 details={"métier": sheet["code"], "format": fmt})  # fmt: skip
    return _spreadsheet(
        fmt, JOB_HEADERS, rows, title=f"métier {sheet['code']}", filename=f"metier-{sheet['code']}"
    )


@login_required
def crosswalk_review(request):
    """The ROME ↔ FAP 2021 review screen: the proposal with its confidence and alternatives, the official pairs,
    the Région's decisions and the proposal's measured precision; forms for the Région only."""
    state = request.GET.get("etat", "a_revoir")
    if state not in selectors.REVIEW_STATES:
        state = "a_revoir"
    query = request.GET.get("q", "").strip()
    found = selectors.crosswalk_review_rows(state=state, query=query)
    return render(
        request,
        "www/skills/crosswalk.html",
        {
            "rows": found["rows"],
            "total": found["total"],
            "state": state,
            "states": selectors.REVIEW_STATES,
            "query": query,
            "precision": selectors.crosswalk_precision(),
            "families": sorted(selectors.family_labels().items()),
            "can_review": can_review_crosswalk(request.actor),
            "decisions": RomeFapReview.Decision,
        },
    )


@require_POST
@login_required
def crosswalk_decide(request, rome: str):
    if not can_review_crosswalk(request.actor):
        raise NotAllowed("Seule la Région revoit la correspondance ROME ↔ FAP 2021.")
    try:
        review = services.rome_fap_review(
            actor=request.actor,
            rome_code=rome.upper(),
            decision=request.POST.get("decision", ""),
            family_code=request.POST.get("famille", ""),
            comment=request.POST.get("commentaire", ""),
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{review.rome_code} : correspondance {review.get_decision_display()}.")
    back = request.POST.get("retour", "")
    return redirect(back if back.startswith("/competences/correspondances/") else "www:skills:crosswalk")
