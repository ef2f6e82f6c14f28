import json
from pathlib import Path

import shapely
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models import Extent
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.geo import STORED_GEOMETRIES, feature, feature_collection
from tandem.core.models import AuditEvent
from tandem.core.uploads import upload_stored
from tandem.imports.report import run_report
from tandem.organizations.perms import can_change, get_visible_or_404, scope_queryset, writable_owners
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import (
    perimeter_create,
    perimeter_delete,
    perimeter_geometry,
    perimeter_update,
    perimeters_export_csv,
    perimeters_import,
)
from tandem.territories.selectors import perimeter_search, territory_figures
from tandem.www.forms import PerimeterForm, PerimeterImportForm
from tandem.www.maps import map_config, map_tiles


def _visible(request):
    return scope_queryset(request.actor, Perimeter.objects.select_related("owner"))


@login_required
def perimeter_list(request):
    q = (request.GET.get("q") or "").strip()
    perimeters = perimeter_search(_visible(request), q=q)
    return render(
        request,
        "www/perimeters/list.html",
        {"perimeters": perimeters, "q": q, "can_create": writable_owners(request.actor).exists()},
    )


@login_required
def perimeter_detail(request, pk):
    perimeter = get_visible_or_404(request.actor, Perimeter.objects.select_related("owner"), pk=pk)
    communes = perimeter.communes.all()
    return render(
        request,
        "www/perimeters/detail.html",
        {
            "perimeter": perimeter,
            "figures": territory_figures(communes),
            "map": map_config(
                label=f"Carte du périmètre {perimeter.name}",
                tiles=map_tiles("perimetres", query=f"id={perimeter.pk}"),
                bounds=communes.aggregate(extent=Extent("geometry"))["extent"],
                list_title="Le périmètre",
            ),
            "communes": communes.defer(*STORED_GEOMETRIES).order_by("name")[:500],
            "can_change": can_change(request.actor, perimeter),
        },
    )


@login_required
def perimeter_create_view(request):
    owners = writable_owners(request.actor)
    form = PerimeterForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            perimeter = perimeter_create(
                actor=request.actor,
                owner=data["owner"],
                name=data["name"],
                members=data["members"],
                kind=data["kind"],
                code=data["code"],
                description=data["description"],
                visibility=data["visibility"],
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Périmètre créé.")
            return redirect("www:perimeter_detail", pk=perimeter.pk)
    return render(request, "www/perimeters/form.html", {"form": form, "title": "Nouveau périmètre"})


@login_required
def perimeter_edit(request, pk):
    perimeter = get_visible_or_404(request.actor, Perimeter.objects.all(), pk=pk)
    if not can_change(request.actor, perimeter):
        raise NotAllowed("Vous ne pouvez pas modifier ce périmètre.")
    initial = {
        "owner": perimeter.owner,
        "name": perimeter.name,
        "kind": perimeter.kind,
        "code": perimeter.code,
        "visibility": perimeter.visibility,
        "description": perimeter.description,
        "members": " ".join(perimeter.communes.values_list("pk", flat=True)),
    }
    form = PerimeterForm(request.POST or None, initial=initial, owners=writable_owners(request.actor))
    form.fields["owner"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            perimeter_update(
                actor=request.actor,
                perimeter=perimeter,
                members=data["members"],
                name=data["name"],
                kind=data["kind"],
                code=data["code"],
                description=data["description"],
                visibility=data["visibility"],
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Périmètre modifié.")
            return redirect("www:perimeter_detail", pk=perimeter.pk)
    return render(request, "www/perimeters/form.html", {"form": form, "title": f"Modifier « {perimeter} »"})


@require_POST
@login_required
def perimeter_delete_view(request, pk):
    perimeter = get_visible_or_404(request.actor, Perimeter.objects.all(), pk=pk)
    perimeter_delete(actor=request.actor, perimeter=perimeter)  # NotAllowed answers 403
    messages.success(request, "Périmètre supprimé.")
    return redirect("www:perimeter_list")


@login_required
def perimeter_import_view(request):
    form = PerimeterImportForm(
        request.POST or None, request.FILES or None, owners=writable_owners(request.actor)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower() or ".csv"
        with upload_stored(upload, folder="imports/perimeters", suffix=suffix) as path:
            try:
                result = perimeters_import(
                    actor=request.actor,
                    owner=form.cleaned_data["owner"],
                    path=path,
                    kind=form.cleaned_data["kind"],
                    visibility=form.cleaned_data["visibility"],
                    dry_run=form.cleaned_data.get("dry_run", False),
                )
            except UserError as exc:
                form.add_error("file", str(exc))
                refused = getattr(exc, "run", None)
                if refused is not None and refused.pk:
                    # The refused run and its report (nothing else was written).
                    return redirect("www:imports:detail", pk=refused.pk)
            else:
                if result.run.pk is None:  # a dry run: its report, nothing stored
                    report = run_report(result.run)
                    return render(request, "www/perimeters/import.html", {"form": form, "report": report})
                messages.success(
                    request,
                    f"Import terminé : {result.created} créé(s), {result.updated} modifié(s), "
                    f"{result.unchanged} inchangé(s).",
                )
                return redirect("www:imports:detail", pk=result.run.pk)
    return render(request, "www/perimeters/import.html", {"form": form})


@login_required
def perimeter_export_csv(request):
    perimeters = _visible(request)
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type="territories.perimeter",
        details={"format": "csv", "count": perimeters.count()},
    )
    response = HttpResponse(perimeters_export_csv(perimeters), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="perimetres.csv"'
    return response


@login_required
def perimeter_export_geojson(request, pk):
    perimeter = get_visible_or_404(request.actor, Perimeter.objects.all(), pk=pk)
    audit_record(
        actor=request.actor, action=AuditEvent.Action.EXPORT, obj=perimeter, details={"format": "geojson"}
    )
    geom = perimeter_geometry(perimeter)
    data = feature_collection(
        [
            feature(
                json.loads(shapely.to_geojson(geom)) if geom is not None else None,
                {
                    "nom": perimeter.name,
                    "code": perimeter.code,
                    "type": perimeter.kind,
                    "communes": list(perimeter.communes.values_list("pk", flat=True)),
                },
            )
        ]
    )
    response = JsonResponse(data)
    response["Content-Disposition"] = f'attachment; filename="perimetre-{perimeter.pk}.geojson"'
    return response
