"""Land observatory pages (/foncier/): thin views over tandem.land selectors and services."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models import GeometryField
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.formats import fr_number
from tandem.core.geo import STORED_GEOMETRIES, feature, feature_collection
from tandem.core.models import AuditEvent
from tandem.imports.selectors import import_runs_visible
from tandem.land import availability as av
from tandem.land import selectors as sel
from tandem.land.editing import (
    creation_columns,
    editable_columns,
    friche_editable_columns,
    friche_record,
    friche_update,
    inventory_record_create,
    terrain_record,
    terrain_update,
)
from tandem.land.labels import label_decide, label_propose, site_sector_priorities_set
from tandem.land.models import Friche, LabelDecision, Pole, Site, Terrain
from tandem.land.perms import can_decide_label, can_propose_label
from tandem.land.readiness import NETWORK_CRITERIA, STUDY_CRITERIA
from tandem.land.services import land_import_stored_run, land_import_submit
from tandem.land.tasks import land_import_defer
from tandem.organizations.models import Organization
from tandem.organizations.perms import (
    INVENTORY_PRODUCER_KINDS,
    Actor,
    can_change,
    get_visible_or_404,
    scope_queryset,
    writable_owners,
)
from tandem.territories.models import Epci, Perimeter, Region
from tandem.territories.selectors import instance_region_code
from tandem.www.imports.views import LAND_KINDS
from tandem.www.land.forms import (
    FricheFilterForm,
    LabelDecisionForm,
    LabelProposalForm,
    LandImportForm,
    SiteFilterForm,
    creation_form_class,
    terrain_form_class,
)
from tandem.www.maps import land_tiles, map_config, map_tiles
from tandem.www.views.files import file_response
from tandem.www.views.maps import tile_not_modified, tile_response

# Imports run in the job worker (tandem/land/tasks.py) so the page can poll their progress; tests of the views
# (whose transaction the worker could not see) run them inline.
IMPORT_IN_BACKGROUND = True


def _actor(request) -> Actor:
    """A plain Actor (the request's is lazy) that can travel to a background thread."""
    return Actor.for_user(request.user, request.actor.current_org_id)


def _region_code(request) -> str:
    code = request.GET.get("region")
    if code:
        return code
    org = Organization.objects.filter(pk=request.actor.current_org_id).only("region_id").first()
    return (org.region_id if org and org.region_id else None) or instance_region_code()


def _filters(request):
    form = SiteFilterForm(request.GET or None, epci_choices=sel.epci_choices(request.actor))
    data = form.cleaned_data if form.is_valid() else {}
    cle = data.get("cle_en_main")
    return form, {
        "q": data.get("q") or None,
        "epci": data.get("epci") or None,
        "vocation": data.get("vocation") or None,
        "state": data.get("etat") or None,
        "min_available_ha": data.get("min_available_ha"),
        "label": data.get("label") or None,
        "cle_en_main": None if not cle else cle == "oui",
        "min_readiness": data.get("min_readiness"),
    }


def _window_page(sites, number, per_page: int = 50):
    """The page `number` of `sites` (a query) read in one query: each row carries the count and the total
    available surface of the whole list (`COUNT(*) OVER ()`, `SUM(…) OVER ()`); a page past the end gives
    the last one, as `Paginator.get_page` does."""
    rows_of = sites.annotate(
        list_count=models.Window(models.Count("pk")), list_total=models.Window(models.Sum("available_ha"))
    )
    try:
        number = max(1, int(number or 1))
    except ValueError:
        number = 1
    rows = list(rows_of[(number - 1) * per_page : number * per_page])
    count = rows[0].list_count if rows else 0
    if not rows and number > 1:
        count = sites.count()
        number = max(1, -(-count // per_page))
        rows = list(rows_of[(number - 1) * per_page : number * per_page])
    paginator = Paginator(sites, per_page)
    paginator.count = count  # known from the rows: no COUNT query
    page = paginator._get_page(rows, number, paginator)
    page.total = (rows[0].list_total or 0.0) if rows else 0.0
    return page


@login_required
def site_list(request):
    form, filters = _filters(request)
    if filters["min_readiness"] is None:
        # One query: the page's rows, each carrying the list's count and total (window functions), then the
        # readiness of the rows shown only.
        sites = sel.site_rows(request.actor, **{k: v for k, v in filters.items() if k != "min_readiness"})
        page = _window_page(sites, request.GET.get("page"))
        total = page.total
    else:  # the readiness of every site decides which are listed
        sites = sel.site_list(request.actor, **filters)
        total = sum(s.available_ha for s in sites)
        page = Paginator(sites, 50).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
    sel.sites_readiness(page.object_list)
    return render(
        request,
        "www/land/site_list.html",
        {
            "form": form,
            "page": page,
            "count": page.paginator.count,
            "total_available_ha": round(total, 2),
            "can_create_inventory": bool(_epci_owner_choices(request.actor)),
            "classes": av.CLASSES,
        },
    )


@login_required
def land_tile(request, layer: str, z: int, x: int, y: int):
    """A vector tile (Mapbox Vector Tile) of sites, terrains or friches — or of several of them, one MVT layer
    each (`sites,terrains,friches`) —, as the user may see them, narrowed by the filters of the page that shows
    it: the friche list's friche filters for a tile of friches alone, else the land map's site filters (sites
    and terrains; the friches of a tile of several layers are not filtered)."""
    site_filters = friches = None
    if request.GET:
        if sel.land_tile_layers(layer) == ["friches"]:
            _, friches = _friches_filtered(request)
        else:
            _, site_filters = _filters(request)
    # An unfiltered tile carries its version (ETag): a map panned back revalidates it, « not modified ».
    etag = None if request.GET else f'"{sel.land_tile_etag(request.actor, layer=layer, z=z, x=x, y=y)}"'
    if etag is not None and etag in request.headers.get("If-None-Match", ""):
        return tile_not_modified(etag)
    data = sel.land_tile(
        request.actor, layer=layer, z=z, x=x, y=y, site_filters=site_filters, friches=friches
    )
    return tile_response(data, etag=etag)


def _query(request) -> str:
    """The page's filters as a query string (without the page number), for its map's tiles."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def land_map(request):
    form, filters = _filters(request)
    filtered = any(v is not None for v in filters.values())
    sites = sel.site_list(request.actor, **filters) if filtered else None
    site_qs = Site.objects.filter(pk__in=[s.pk for s in sites]) if filtered else None
    config = map_config(
        label="Carte du foncier économique : sites, terrains et friches",
        tiles=[
            # One tile for the three layers: the page's filters narrow its sites and terrains, not its friches.
            *land_tiles("sites", "terrains", "friches", query=_query(request)),
            *map_tiles("etablissements"),
        ],
        bounds=sel.land_extent(
            request.actor, sites=site_qs, friches=Friche.objects.none() if filtered else None
        ),
        list_title="Sites, terrains et friches de la carte",
    )
    return render(
        request,
        "www/land/map.html",
        {
            "form": form,
            "map": config,
            "legend": [(av.CLASSES[k], av.COLOURS[k]) for k in av.CLASSES],
            "terrains_min_zoom": sel.TERRAINS_MIN_ZOOM,
        },
    )


@login_required
def site_detail(request, pk):
    context = sel.site_detail(request.actor, pk)
    site = context["site"]
    context.update(
        {
            "map": map_config(
                label=f"Carte du site {site.site_nom} : ses terrains et les friches proches",
                layers=_linked(
                    sel.map_layers(
                        request.actor,
                        sites=Site.objects.filter(pk=site.pk),
                        friches=Friche.objects.filter(pk__in=[f.pk for f in context["friches_nearby"]]),
                    )
                ),
                tiles=map_tiles("etablissements"),
                list_title="Le site, ses terrains et les friches proches",
            ),
            "can_edit": can_change(request.actor, site),
            "can_propose": can_propose_label(request.actor, site),
            "can_decide": can_decide_label(request.actor),
            "proposal_form": LabelProposalForm(),
            "decision_form": LabelDecisionForm(),
            "site_fields": _fields(site, exclude=set(STORED_GEOMETRIES)),
            **_vacancy(site, context["indicators"]["terrains"].get("vacancy_rate")),
            "weights": [(label, points) for _, label, points, *_ in NETWORK_CRITERIA]
            + [(label, points) for _, label, points, *_ in STUDY_CRITERIA],
            "legend": [(av.CLASSES[k], av.COLOURS[k]) for k in av.CLASSES],
        }
    )
    return render(request, "www/land/site_detail.html", context)


def _vacancy(site: Site, computed_rate: float | None) -> dict:
    """One vacancy figure on the sheet: the rate the producer declares (`site_taux_vacance`, in %) when it
    gives one, else the rate computed from the built terrains (a fraction, shown in %), with its source."""
    if site.site_taux_vacance is not None:
        return {"vacancy_percent": site.site_taux_vacance, "vacancy_source": "déclaré"}
    if computed_rate is not None:
        return {"vacancy_percent": computed_rate * 100, "vacancy_source": "calculé sur les terrains bâtis"}
    return {"vacancy_percent": None, "vacancy_source": ""}


def _fields(obj, *, exclude=()) -> list[tuple[str, object]]:
    rows = []
    for f in obj._meta.concrete_fields:
        if (
            f.name in exclude
            or f.name in ("id", "geometry_digest")
            or f.name.startswith(("bbox_", "centroid_", "calc_"))
            # drawn on the map, never printed as WKT (generated Lambert-93 copies included)
            or isinstance(f, GeometryField)
            or isinstance(getattr(f, "output_field", None), GeometryField)
        ):
            continue
        value = getattr(obj, f.name if f.is_relation else f.attname)
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            value = "oui" if value else "non"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif f.choices:
            value = getattr(obj, f"get_{f.name}_display")()
        if isinstance(value, (float, Decimal)) or (
            isinstance(value, int) and not isinstance(f, models.PositiveSmallIntegerField)  # years stay 2024
        ):
            value = fr_number(value, 2)
        label = str(f.verbose_name)
        rows.append((label[:1].upper() + label[1:], value))
    return rows


@login_required
def terrain_edit(request, pk):
    terrain = get_visible_or_404(request.actor, Terrain.objects.select_related("site_eco"), pk=pk)
    if not can_change(request.actor, terrain):
        raise NotAllowed("Vous ne pouvez pas modifier ce terrain.")
    return _record_edit(
        request,
        columns=editable_columns(request.actor, terrain),
        record=terrain_record(terrain),
        update=lambda changes: terrain_update(actor=request.actor, terrain=terrain, changes=changes),
        done=(f"Terrain {terrain.terr_id} modifié.", "www:land:site_detail", terrain.site_eco_id),
        template="www/land/terrain_form.html",
        context={"terrain": terrain},
    )


def _record_edit(request, *, columns, record, update, done, template, context):
    """The edit page of one inventory record (terrain, friche): a form of the editable standard columns whose
    changes go through the importer's validation (`update`); its problems are shown under their fields."""
    Form = terrain_form_class(columns)  # noqa: N806
    form = Form(request.POST or None, initial={c["name"]: record.get(c["name"], "") for c in columns})
    problems = []
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if (v or "") != record.get(k, "")}
        try:
            _, warnings = update(changes)
        except UserError as exc:
            problems = _form_problems(form, exc)
        else:
            for warning in warnings:
                messages.warning(request, _problem_text(warning))
            message, url_name, pk = done
            messages.success(request, message)
            return redirect(url_name, pk=pk)
    return render(request, template, {"form": form, "problems": problems, **context})


# --- Friches ---------------------------------------------------------------------------------------------


def _linked(layers: dict) -> dict:
    """Map layers whose sites and friches carry the link to their sheet (the popup shows it)."""
    for name, route in (("sites", "www:land:site_detail"), ("friches", "www:land:friche_detail")):
        for f in layers.get(name, {}).get("features", []):
            pk = f["properties"].get("id")
            if isinstance(pk, int):
                f["properties"]["lien"] = reverse(route, args=[pk])
    return layers


def _friches_filtered(request):
    """The friche list's filters applied to the visible friches (the list and its map's tiles)."""
    form = FricheFilterForm(request.GET or None, epci_choices=sel.friche_epci_choices(request.actor))
    data = form.cleaned_data if form.is_valid() else {}
    friches = sel.friche_list(
        request.actor,
        q=data.get("q") or None,
        epci=data.get("epci") or None,
        statut=data.get("statut") or None,
        site_type=data.get("type") or None,
        pollution=data.get("pollution") or None,
    )
    return form, friches


@login_required
def friche_list(request):
    form, friches = _friches_filtered(request)
    page = Paginator(friches, 50).get_page(request.GET.get("page"))
    query = _query(request)
    return render(
        request,
        "www/land/friche_list.html",
        {
            "form": form,
            "page": page,
            "count": page.paginator.count,
            "query": query,
            "map": map_config(
                label="Carte des friches de la liste",
                tiles=land_tiles("friches", query=query),
                bounds=sel.land_extent(request.actor, sites=Site.objects.none(), friches=friches),
                list_title="Friches de la carte",
            ),
        },
    )


@login_required
def friche_detail(request, pk):
    context = sel.friche_detail(request.actor, pk)
    friche = context["friche"]
    context.update(
        {
            "can_edit": can_change(request.actor, friche),
            "links": _friche_links(friche),
            "fields": _fields(
                friche,
                exclude={
                    "geometry",
                    "owner",
                    "last_vintage",
                    "site_eco",
                    "terrain_eco",
                    "personal_shared",
                    "visibility",
                    *([] if context["show_personal"] else friche.PERSONAL_FIELDS),
                },
            ),
            "map": map_config(
                label=f"Carte de la friche {friche.site_nom}",
                layers=_linked(
                    sel.map_layers(
                        request.actor, sites=Site.objects.none(), friches=Friche.objects.filter(pk=friche.pk)
                    )
                ),
                list_title="La friche",
            ),
        }
    )
    return render(request, "www/land/friche_detail.html", context)


def _friche_links(friche) -> list[tuple[str, str, str]]:
    """(label, URL, text) of a friche's sheets elsewhere; only http(s) addresses become links (a file could
    carry a `javascript:` one), anything else is shown as text."""
    links = []
    for label, value in (
        ("Fiche de l'ADEME (sites et sols pollués)", friche.site_ademe_url),
        ("Fiche de dépollution (BASOL)", friche.sol_depollution_fiche),
        ("Page du site", friche.site_url),
        ("Projet sur le site", friche.site_projet_url),
        (f"Source : {friche.source_nom}", friche.source_url),
    ):
        value = (value or "").strip()
        if value:
            is_url = value.lower().startswith(("https://", "http://"))
            links.append((label, value if is_url else "", "" if is_url else value))
    return links


@login_required
def friche_edit(request, pk):
    friche = get_visible_or_404(request.actor, Friche.objects.all(), pk=pk)
    if not can_change(request.actor, friche):
        raise NotAllowed("Vous ne pouvez pas modifier cette friche.")
    return _record_edit(
        request,
        columns=friche_editable_columns(request.actor, friche),
        record=friche_record(friche),
        update=lambda changes: friche_update(actor=request.actor, friche=friche, changes=changes),
        done=(f"Friche « {friche.site_nom} » modifiée.", "www:land:friche_detail", friche.pk),
        template="www/land/friche_form.html",
        context={"friche": friche},
    )


def _problem_text(problem) -> str:
    """An importer's problem worded for a form: the field's message, without file and line."""
    value = f" (« {problem.value} »)" if getattr(problem, "value", None) not in (None, "") else ""
    return f"{problem.message}{value}"


def _form_problems(form, exc: UserError) -> list[str]:
    """Put each of the importer's problems on its form field (as a form shows errors), the others on top."""
    general = []
    for problem in exc.problems or []:
        field = getattr(problem, "field", None)
        if field in form.fields:
            form.add_error(field, _problem_text(problem))
        else:
            general.append(_problem_text(problem) if hasattr(problem, "message") else str(problem))
    form.add_error(None, exc.message)
    return general


# --- Creating pôles and sites -----------------------------------------------------------------------------


def _epci_owner_choices(actor: Actor) -> list[tuple[int, str]]:
    return list(
        writable_owners(actor).filter(kind=Organization.Kind.EPCI).order_by("name").values_list("pk", "name")
    )


def _create(request, table: str, title: str):
    owners = _epci_owner_choices(request.actor)
    if not owners:
        raise NotAllowed("Vous ne pouvez pas créer d'objet de l'inventaire foncier.")
    pole_choices = None
    if table == "site-eco":
        poles = scope_queryset(request.actor, Pole.objects.filter(owner_id__in=[pk for pk, _ in owners]))
        pole_choices = [(p.pole_id, f"{p.pole_nom} ({p.pole_id})") for p in poles.order_by("pole_nom")]
    Form = creation_form_class(creation_columns(table), owner_choices=owners, pole_choices=pole_choices)  # noqa: N806
    initial = {"owner": request.actor.current_org_id} if request.actor.current_org_id in dict(owners) else {}
    form = Form(request.POST or None, initial=initial)
    problems = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        owner = Organization.objects.get(pk=data.pop("owner"))
        try:
            obj, warnings = inventory_record_create(
                actor=request.actor, table=table, owner=owner, values=data
            )
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        except UserError as exc:
            problems = _form_problems(form, exc)
        else:
            for warning in warnings:
                messages.warning(request, _problem_text(warning))
            if table == "site-eco":
                messages.success(request, f"Site « {obj.site_nom} » créé.")
                return redirect("www:land:site_detail", pk=obj.pk)
            messages.success(request, f"Pôle « {obj.pole_nom} » créé : vous pouvez y rattacher des sites.")
            return redirect("www:land:site_create")
    return render(request, "www/land/create_form.html", {"form": form, "title": title, "problems": problems})


@login_required
def site_create(request):
    return _create(request, "site-eco", "Créer un site économique")


@login_required
def pole_create(request):
    return _create(request, "pole-eco", "Créer un pôle économique")


# --- Import ----------------------------------------------------------------------------------------------


def _epci_choices(actor: Actor) -> list[tuple[str, str]]:
    owners = writable_owners(actor).filter(kind=Organization.Kind.EPCI, epci__isnull=False)
    return list(Epci.objects.filter(organization__in=owners).order_by("name").values_list("pk", "name"))


def _producer_choices(actor: Actor) -> list[tuple[int, str]]:
    """State services and the Région the actor may import a departmental or regional friches file for."""
    producers = writable_owners(actor).filter(kind__in=INVENTORY_PRODUCER_KINDS).order_by("name")
    return list(producers.values_list("pk", "name"))


@login_required
def import_start(request):
    actor = request.actor
    if not writable_owners(actor).exists():
        raise NotAllowed("Vous ne pouvez pas importer de données foncières.")
    producers = _producer_choices(actor)
    # A State service's or the Région's members import, by default, as their organisation.
    initial = (
        {"producer": actor.current_org_id} if actor.current_org_id in {pk for pk, _ in producers} else {}
    )
    form = LandImportForm(
        request.POST or None,
        request.FILES or None,
        epci_choices=_epci_choices(actor),
        producer_choices=producers,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = land_import_submit(
            actor=_actor(request),
            uploads=data["files"],
            epci_siren=data["epci"] or None,
            dry_run=data["dry_run"],
            skip_invalid=data["skip_invalid"],
            sets=data["sets"],
            renames=data["renames"],
            producer_id=data.get("producer"),
            visibility=data["visibility"],
        )
        if IMPORT_IN_BACKGROUND:
            land_import_defer(run)
        else:
            land_import_stored_run(run_id=run.pk)
        return redirect("www:imports:detail", pk=run.pk)
    runs = import_runs_visible(actor, kinds=LAND_KINDS)[:20]
    return render(request, "www/land/import.html", {"form": form, "runs": runs})


# --- Labels ----------------------------------------------------------------------------------------------


def _sectors(text: str) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


@require_POST
@login_required
def label_propose_view(request, pk):
    site = get_visible_or_404(request.actor, Site.objects.all(), pk=pk)
    form = LabelProposalForm(request.POST)
    if form.is_valid():
        try:
            label_propose(
                actor=request.actor,
                site=site,
                label=form.cleaned_data["label"],
                proposal_text=form.cleaned_data["proposal_text"],
                sector_priorities=_sectors(form.cleaned_data["sector_priorities"]),
            )
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Proposition transmise à la Région.")
    else:
        messages.error(request, "Proposition incomplète : l'argumentaire est obligatoire.")
    return redirect("www:land:site_detail", pk=site.pk)


@require_POST
@login_required
def label_decide_view(request, pk):
    decision = get_object_or_404(LabelDecision, pk=pk)
    site = get_visible_or_404(request.actor, Site.objects.all(), pk=decision.site_id)
    form = LabelDecisionForm(request.POST)
    if form.is_valid():
        try:
            label_decide(
                actor=request.actor,
                decision=decision,
                accept=form.cleaned_data["accept"],
                decision_text=form.cleaned_data["decision_text"],
                valid_until=form.cleaned_data["valid_until"],
                sector_priorities=_sectors(form.cleaned_data["sector_priorities"]) or None,
            )
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Décision enregistrée.")
    else:
        messages.error(request, "Décision incomplète : choisissez et motivez la décision.")
    return redirect("www:land:site_detail", pk=site.pk)


@require_POST
@login_required
def site_sectors_view(request, pk):
    site = get_visible_or_404(request.actor, Site.objects.all(), pk=pk)
    try:
        site_sector_priorities_set(
            actor=request.actor, site=site, sectors=_sectors(request.POST.get("sector_priorities", ""))
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Filières prioritaires enregistrées.")
    return redirect("www:land:site_detail", pk=site.pk)


@login_required
def label_list(request):
    decisions = sel.label_decisions_visible(request.actor)
    return render(
        request,
        "www/land/labels.html",
        {
            "pending": decisions.filter(status=LabelDecision.Status.PROPOSED),
            "decided": decisions.exclude(status=LabelDecision.Status.PROPOSED)[:100],
            "can_decide": can_decide_label(request.actor),
        },
    )


# --- Dashboard and indicators ----------------------------------------------------------------------------

CHART_WIDTH = 520


def _chart(rows: list[dict]) -> dict:
    """Geometry of a horizontal stacked bar chart (now / short / medium term), drawn as inline SVG."""
    keys = [av.NOW, av.SHORT, av.MEDIUM]
    top = max((sum(r[f"{k}_ha"] for k in keys) for r in rows), default=0) or 1
    bars = []
    for i, row in enumerate(rows[:25]):
        x = 0.0
        parts = []
        for k in keys:
            width = CHART_WIDTH * row[f"{k}_ha"] / top
            parts.append(
                {
                    "x": round(x, 1),
                    "width": round(width, 1),
                    "colour": av.COLOURS[k],
                    "ha": row[f"{k}_ha"],
                    "label": av.CLASSES[k],
                }
            )
            x += width
        bars.append(
            {
                "y": i * 22,
                "name": row["name"],
                "parts": parts,
                "total": round(sum(row[f"{k}_ha"] for k in keys), 2),
            }
        )
    return {
        "bars": bars,
        "height": len(bars) * 22 + 4,
        "width": CHART_WIDTH,
        "legend": [(av.CLASSES[k], av.COLOURS[k]) for k in keys],
    }


@login_required
def dashboard(request):
    region_code = _region_code(request)
    board = sel.regional_dashboard(request.actor, region_code=region_code)
    epcis = Epci.objects.filter(pk__in=[r["code"] for r in board["epci"]])
    available = {r["code"]: r["now_ha"] for r in board["epci"]}
    top = max(available.values(), default=0) or 1
    epci_features = [
        feature(
            e.geometry,
            {
                "nom": e.name,
                "siren": e.pk,
                "disponible_ha": available.get(e.pk, 0),
                "couleur": _shade(available.get(e.pk, 0) / top),
            },
        )
        for e in epcis
    ]
    region = Region.objects.filter(pk=region_code).first()
    config = map_config(
        label="Carte du foncier disponible par EPCI de la région",
        layers={"epcis": feature_collection(epci_features)},
        tiles=land_tiles("sites", "terrains", "friches"),
        bounds=region.geometry.extent if region and region.geometry else None,
        list_title="EPCI et foncier de la carte",
    )
    return render(
        request,
        "www/land/dashboard.html",
        {
            "board": board,
            "region_code": region_code,
            "chart": _chart(board["epci"]),
            "chart_dep": _chart(board["departement"]),
            "map": config,
            "classes": av.CLASSES,
            "perimeters": scope_queryset(request.actor, Perimeter.objects.order_by("name"))[:50],
        },
    )


def _shade(ratio: float) -> str:
    """A green ramp from pale (little available land) to dark (the most)."""
    ratio = max(0.0, min(1.0, ratio))
    light, dark = (0xE6, 0xF4, 0xEA), (0x18, 0x75, 0x3C)
    return "#" + "".join(f"{round(a + (b - a) * ratio):02x}" for a, b in zip(light, dark, strict=True))


@login_required
def territory_indicators(request, level, key):
    if level not in ("epci", "departement", "region", "perimeter"):
        raise Http404
    territory = sel.territory_resolve(request.actor, level=level, key=key)
    return render(
        request,
        "www/land/indicators.html",
        {
            "territory": territory,
            "ind": sel.territory_indicators(request.actor, territory),
            "map": map_config(
                label=f"Carte du foncier : {territory.name}",
                tiles=[
                    *land_tiles("sites", "terrains", "friches"),
                    *(map_tiles("perimetres", query=f"id={territory.key}") if level == "perimeter" else []),
                ],
                bounds=sel.territory_extent(territory),
                list_title="Foncier de la carte",
            ),
            "classes": av.CLASSES,
        },
    )


# --- Downloads -------------------------------------------------------------------------------------------


@login_required
def download_sites_csv(request):
    """The site list as a CSV file: at once for a few sites, by the job worker over
    `TANDEM_EXPORT_SYNC_MAX_SITES` (the Région's 3,000 sites cost seconds: readiness of each)."""
    from tandem.land.exports import sites_csv_params

    _, filters = _filters(request)
    rows = {k: v for k, v in filters.items() if k != "min_readiness"}
    return file_response(
        request,
        kind="land.sites_csv",
        params=sites_csv_params(filters),
        size=sel.site_rows(request.actor, **rows).count(),
        limit=settings.TANDEM_EXPORT_SYNC_MAX_SITES,
        label="Export des sites économiques (CSV)",
        file_name="sites-economiques.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
def download_geojson(request, layer):
    if layer not in ("sites", "terrains", "friches"):
        raise Http404
    _, filters = _filters(request)
    sites = sel.site_list(request.actor, **filters)
    layers = sel.map_layers(request.actor, sites=Site.objects.filter(pk__in=[s.pk for s in sites]))
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type=f"land.{layer}",
        details={"format": "geojson", "count": len(layers[layer]["features"])},
    )
    response = JsonResponse(layers[layer])
    response["Content-Disposition"] = f'attachment; filename="{layer}.geojson"'
    return response


@login_required
def download_cnig(request):
    """The inventory in the exact CNIG layouts (one file per table, zipped), through land A's exporter: only what
    the user may see, personal fields only for their owner. `strict=1` leaves the `tdm_*` extensions out. A
    large export is prepared by the job worker (`tandem.core.files`)."""
    from tandem.land.exports import land_export_row_count

    fmt = request.GET.get("format", "csv")
    epci = request.GET.get("epci") or None
    region = None if epci else (request.GET.get("region") or _region_code(request))
    if fmt not in ("csv", "geojson", "gpkg") or (epci and not epci.isdigit()) or (region and len(region) > 3):
        raise Http404
    strict = request.GET.get("strict") == "1"
    actor = _actor(request)
    scope = f"epci-{epci}" if epci else f"region-{region}"
    return file_response(
        request,
        kind="land.cnig",
        params={"format": fmt, "epci": epci, "region": region, "strict": strict},
        size=land_export_row_count(actor=actor, epci_siren=epci, region_code=region),
        limit=settings.TANDEM_EXPORT_SYNC_MAX_ROWS,
        label=f"Inventaire au format CNIG ({'EPCI ' + epci if epci else 'région ' + str(region)}, {fmt})",
        file_name=f"inventaire-{scope}-{fmt}{'-cnig-strict' if strict else ''}.zip",
        content_type="application/zip",
    )
