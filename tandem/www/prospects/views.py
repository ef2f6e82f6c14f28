"""Prospect pages: thin views over the prospects' selectors, services and permission rules."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.core.errors import NotAllowed, UserError
from tandem.core.geo import feature, feature_collection
from tandem.core.middleware import DOCUMENT_CSP
from tandem.land.models import Friche, Site, Terrain
from tandem.land.selectors import land_search
from tandem.organizations.perms import scope_queryset
from tandem.prospects import perms, selectors, services
from tandem.prospects.answer import answer_document, answer_site_count, constraint_labels
from tandem.prospects.candidates import LAND_MODELS
from tandem.prospects.matching import CRITERIA_LABELS, KIND_NAMES
from tandem.prospects.matching.text import status_text
from tandem.prospects.value import decision_record, project_value
from tandem.territories.selectors import instance_region_code
from tandem.www.maps import map_config
from tandem.www.prospects.forms import DecisionForm, ProposalForm, ProspectForm, ShareForm, StatusForm
from tandem.www.views.files import file_response

RANKING_PAGE = 20
SHOW_ALL_MAX = 300  # « voir tout » explains every row: beyond this, pages only


def signed(value: float) -> str:
    """A contribution with its sign, French style: « +0,060 », « −0,060 »."""
    return ("−" if value < 0 else "+") + f"{abs(value):.3f}".replace(".", ",")


@login_required
def prospect_list(request):
    prospects = selectors.prospect_list(actor=request.actor)
    return render(
        request,
        "www/prospects/list.html",
        {
            "prospects": prospects,
            "pipeline": selectors.prospect_pipeline(actor=request.actor),
            "pipeline_allowed": perms.can_see_pipeline(request.actor),
            "status_labels": dict(services.Prospect.Status.choices),
            "can_create": perms.creatable_prospect_owners(request.actor).exists(),
        },
    )


@login_required
def prospect_create_view(request):
    owners = perms.creatable_prospect_owners(request.actor)
    form = ProspectForm(request.POST or None, owners=owners, current_org_id=request.actor.current_org_id)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        preferred = data.pop("preferred_epcis_codes")
        owner = data.pop("owner")
        try:
            prospect = services.prospect_create(
                actor=request.actor, owner=owner, preferred_epcis=preferred, **data
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Prospect « {prospect.code_name} » enregistré (confidentiel).")
            return redirect("www:prospects:detail", pk=prospect.pk)
    return render(request, "www/prospects/form.html", {"form": form})


def _result_layer(actor, results, *, first: int = 1) -> dict:
    """Map layer `candidats` of the ranked candidates shown on the page: only rows the actor may see (they come
    from the visible arrays, and are checked again here), each at its inner point with its rank, score, status
    and the link to its sheet (a terrain's: its site's)."""
    features = []
    rank = {(r["kind"], r["object_id"]): n for n, r in enumerate(results, start=first)}
    for kind_index, model in LAND_MODELS.items():
        kind = KIND_NAMES[kind_index]
        ids = {r["object_id"]: r for r in results if r["kind"] == kind}
        if not ids:
            continue
        site_field = "site_eco_id" if model is Terrain else "pk"
        rows = scope_queryset(actor, model.objects.filter(pk__in=ids)).values_list(
            "pk", "centroid_lon", "centroid_lat", site_field
        )
        for pk, lon, lat, site_id in rows:
            if lon is None:
                continue
            r = ids[pk]
            route = "www:land:friche_detail" if model is Friche else "www:land:site_detail"
            features.append(
                feature(
                    {"type": "Point", "coordinates": [lon, lat]},
                    {
                        "nom": r["name"],
                        "rang": rank[(kind, pk)],
                        "note": round(r["score"], 3),
                        "statut": status_text(r["status"], r.get("available_on")),
                        "lien": reverse(route, args=[pk if model is Friche else site_id]),
                    },
                )
            )
    features.sort(key=lambda f: f["properties"]["rang"])
    return {"candidats": feature_collection(features)}


# Purposes recorded by the web pages are French; the API records its action names (« retrieve »…).
WEB_PURPOSES = {
    "consultation",
    "partage",
    "proposition",
    "liste restreinte",
    "statut",
    "décision",
    "recherche de sites",
}


def _reads(prospect) -> list:
    reads = list(selectors.prospect_reads(prospect=prospect))
    for e in reads:
        purpose = (e.details or {}).get("purpose", "")
        if not e.object_id:
            e.purpose_label = "liste des prospects"
        elif purpose in WEB_PURPOSES or purpose.startswith("dossier de réponse"):
            e.purpose_label = purpose
        else:
            e.purpose_label = "accès par l'API"
    return reads


@login_required
def prospect_detail(request, pk):
    actor = request.actor
    prospect = selectors.prospect_get(actor=actor, pk=pk)
    requirements = services.requirements_of(
        prospect, epcis=tuple(prospect.preferred_epcis.values_list("pk", flat=True))
    )
    region = None if requirements.epcis else (prospect.owner.region_id or instance_region_code())
    show_all = request.GET.get("tout") == "1"
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    limit = None if show_all else page * RANKING_PAGE
    ranking, results = selectors.matching_results(
        actor=actor, requirements=requirements, region=region, limit=limit
    )
    count = ranking.count()
    if show_all and count > SHOW_ALL_MAX:  # too many to explain at once: back to pages
        show_all, results = False, results[:RANKING_PAGE]
    elif not show_all:
        results = results[(page - 1) * RANKING_PAGE :]
    proposing = perms.proposing_organizations(actor, prospect)
    # The value is computed on the first shortlisted site (else the first proposal, else the request).
    valued = prospect.proposals.filter(shortlisted=True).first() or prospect.proposals.first()
    proposed = {(p.kind, p.candidate.pk) for p in prospect.proposals.all()}
    for r in results:
        r["proposed"] = (r["kind"], r["object_id"]) in proposed
        r["status_label"] = status_text(r["status"], r.get("available_on"))
        r["contribution_rows"] = [
            (CRITERIA_LABELS[k], signed(v)) for k, v in r["contributions"].items() if round(v, 3) != 0
        ]
    excluded_count, excluded = selectors.matching_excluded(
        actor=actor, requirements=requirements, region=region
    )
    for r in excluded:
        r["status_label"] = status_text(r["status"], r.get("available_on"))
    labels = constraint_labels(requirements)
    pages = -(-count // RANKING_PAGE)
    search = request.GET.get("site", "").strip()
    found = land_search(actor, search) if (search and proposing) else []
    for f in found:
        f["proposed"] = (f["kind"], f["object_id"]) in proposed
    return render(
        request,
        "www/prospects/detail.html",
        {
            "prospect": prospect,
            "results": results,
            "count": count,
            "examined": ranking.count(True),
            "exclusions": [(labels[name], n) for name, n in ranking.exclusions().items()],
            "excluded": excluded,
            "excluded_count": excluded_count,
            "stability": ranking.stability,
            "ranking_pages": {
                "page": page,
                "pages": pages,
                "first": (page - 1) * RANKING_PAGE + 1,
                "last": min(page * RANKING_PAGE, count),
                "show_all": show_all,
                "can_show_all": RANKING_PAGE < count <= SHOW_ALL_MAX,
            },
            "proposals": _proposal_rows(actor, selectors.proposals_of(prospect)),
            "search": search,
            "found": found,
            "history": prospect.status_changes.select_related("by"),
            "members": selectors.task_force(prospect),
            "can_manage": perms.can_manage_prospect(actor, prospect),
            "proposing_orgs": proposing,
            "status_form": StatusForm(initial={"status": prospect.status}, prefix="statut"),
            "map": map_config(
                label=f"Carte des candidats classés du prospect {prospect.code_name}",
                layers=_result_layer(actor, results, first=1 if show_all else (page - 1) * RANKING_PAGE + 1),
                list_title="Candidats de la carte",
            ),
            "value": project_value(actor=actor, prospect=prospect, proposal=valued),
            "valued": valued,
            "decisions": prospect.decisions.select_related("by"),
            "decision_form": DecisionForm(),
            "reads": _reads(prospect),
        },
    )


def _proposal_rows(actor, proposals) -> list:
    """Each proposal with what a user recognises: name, commune, surface, and a link to the site's sheet
    when the viewer may open it."""
    proposals = list(proposals)
    site_ids = {p.terrain.site_eco_id if p.terrain_id else p.site_id for p in proposals} - {None}
    openable = set(scope_queryset(actor, Site.objects.filter(pk__in=site_ids)).values_list("pk", flat=True))
    for p in proposals:
        obj = p.candidate
        site_id = p.terrain.site_eco_id if p.terrain_id else p.site_id
        p.label = f"{obj.terr_id} — {obj.site_eco.site_nom}" if p.terrain_id else obj.site_nom
        p.commune_name = obj.commune.name if obj.commune_id else ""
        p.surface_ha = (
            obj.terr_surf_brute
            if p.terrain_id
            else obj.site_surf_comm_dispo
            if p.site_id
            else (obj.unite_fonciere_surface / 10_000 if obj.unite_fonciere_surface else obj.area_ha)
        )
        p.link = reverse("www:land:site_detail", args=[site_id]) if site_id in openable else ""
    return proposals


@login_required
def land_suggestions(request, pk):
    """Suggestions for « Proposer un autre site » (CNIG identifier, name, commune): JSON for the search box."""
    prospect = selectors.prospect_get(actor=request.actor, pk=pk, purpose="recherche de sites")
    if not perms.proposing_organizations(request.actor, prospect).exists():
        return JsonResponse({"results": []})
    found = land_search(request.actor, request.GET.get("q", ""), limit=10)
    return JsonResponse(
        {
            "results": [
                {
                    "label": f"{f['identifier']} — {f['name']} ({f['commune']})",
                    "kind": f["kind"],
                    "object_id": f["object_id"],
                }
                for f in found
            ]
        }
    )


@login_required
def prospect_share_view(request, pk):
    prospect = selectors.prospect_get(actor=request.actor, pk=pk, purpose="partage")
    form = ShareForm(request.POST or None, prospect=prospect)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_share(
                actor=request.actor,
                prospect=prospect,
                organizations=form.cleaned_data["organizations"],
                members=form.cleaned_data["members"],
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Prospect partagé ; les personnes désignées rejoignent la task force.")
            return redirect("www:prospects:detail", pk=prospect.pk)
    return render(request, "www/prospects/share.html", {"prospect": prospect, "form": form})


@login_required
@require_POST
def proposal_create_view(request, pk):
    prospect = selectors.prospect_get(actor=request.actor, pk=pk, purpose="proposition")
    form = ProposalForm(request.POST, organizations=perms.proposing_organizations(request.actor, prospect))
    if form.is_valid():
        try:
            services.proposal_create(actor=request.actor, prospect=prospect, **form.cleaned_data)
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Proposition enregistrée.")
    else:
        messages.error(
            request, "Proposition invalide : " + "; ".join(e for errs in form.errors.values() for e in errs)
        )
    return redirect("www:prospects:detail", pk=prospect.pk)


@login_required
@require_POST
def proposal_shortlist_view(request, pk, proposal_pk):
    prospect = selectors.prospect_get(actor=request.actor, pk=pk, purpose="liste restreinte")
    proposal = get_object_or_404(prospect.proposals, pk=proposal_pk)
    try:
        services.proposal_shortlist(
            actor=request.actor, proposal=proposal, shortlisted=request.POST.get("shortlisted") != "0"
        )
    except UserError as exc:
        messages.error(request, exc.message)
    return redirect("www:prospects:detail", pk=prospect.pk)


@login_required
@require_POST
def prospect_status_view(request, pk):
    prospect = selectors.prospect_get(actor=request.actor, pk=pk, purpose="statut")
    form = StatusForm(request.POST, prefix="statut")
    if form.is_valid():
        try:
            services.prospect_set_status(actor=request.actor, prospect=prospect, **form.cleaned_data)
        except UserError as exc:
            messages.error(request, exc.message)
    return redirect("www:prospects:detail", pk=prospect.pk)


@login_required
@require_POST
def decision_create_view(request, pk):
    prospect = selectors.prospect_get(actor=request.actor, pk=pk, purpose="décision")
    form = DecisionForm(request.POST)
    if form.is_valid():
        valued = prospect.proposals.filter(shortlisted=True).first() or prospect.proposals.first()
        try:
            decision_record(actor=request.actor, prospect=prospect, proposal=valued, **form.cleaned_data)
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Décision enregistrée.")
    else:
        messages.error(request, "Décision incomplète : la décision et ses motifs sont obligatoires.")
    return redirect("www:prospects:detail", pk=prospect.pk)


def _answer_refused(request, pk, refusal: NotAllowed):
    """A task-force member who may not generate the answer file goes back to the prospect with the reason."""
    messages.error(request, refusal.message)
    return redirect("www:prospects:detail", pk=pk)


@login_required
def prospect_answer_html(request, pk):
    try:
        html = answer_document(actor=request.actor, prospect_id=pk, fmt="html", today=timezone.localdate())
    except NotAllowed as refusal:
        return _answer_refused(request, pk, refusal)
    response = HttpResponse(html)
    response["Content-Security-Policy"] = DOCUMENT_CSP  # its inline stylesheet, and nothing else
    return response


@login_required
def prospect_answer_pdf(request, pk):
    """A PDF of more than TANDEM_PDF_SYNC_MAX_SITES sites is prepared by the job worker."""
    try:
        sites = answer_site_count(actor=request.actor, prospect_id=pk)
    except NotAllowed as refusal:
        return _answer_refused(request, pk, refusal)
    return file_response(
        request,
        kind="prospects.answer_pdf",
        params={"prospect": pk},
        size=sites,
        limit=settings.TANDEM_PDF_SYNC_MAX_SITES,
        label=f"Dossier de réponse du prospect n° {pk} (PDF)",
        file_name=f"dossier-reponse-{pk}.pdf",
        content_type="application/pdf",
    )
