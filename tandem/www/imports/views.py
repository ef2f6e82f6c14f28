"""The one list of import runs and the one run page, for every importer (thin: rules in tandem.imports)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tandem.imports.models import ImportRun
from tandem.imports.perms import can_cancel_import_run, can_view_import_run
from tandem.imports.report import run_report
from tandem.imports.selectors import import_runs_visible
from tandem.imports.services import import_run_cancel, import_run_rejects_text

LAND_KINDS = (ImportRun.Kind.LAND, ImportRun.Kind.LAND_SITES, ImportRun.Kind.LAND_FRICHES)


@login_required
def run_list(request):
    kind = request.GET.get("type") or ""
    runs = import_runs_visible(request.actor, kinds=[kind] if kind in ImportRun.Kind.values else None)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(
        request, "www/imports/run_list.html", {"page": page, "kinds": ImportRun.Kind.choices, "kind": kind}
    )


def _visible_run(request, pk) -> ImportRun:
    run = get_object_or_404(ImportRun.objects.select_related("created_by", "organization", "owner"), pk=pk)
    if not can_view_import_run(request.actor, run):
        raise Http404
    return run


@login_required
def run_detail(request, pk):
    run = _visible_run(request, pk)
    return render(
        request,
        "www/imports/run_detail.html",
        {
            "run": run,
            "report": run_report(run),
            "can_cancel": can_cancel_import_run(request.actor, run),
            "is_land": run.kind in LAND_KINDS,
            "suggested_renames": _suggested_renames(run.problems or []),
        },
    )


_SUGGESTION = re.compile(r"vouliez-vous dire « ([^»]+) »")


def _suggested_renames(problems: list[dict]) -> list[str]:
    """The column associations the report suggests, as lines for the land form's « Associer des colonnes »."""
    lines = []
    for p in problems:
        found = _SUGGESTION.search(p.get("message") or "")
        if found and p.get("field"):
            lines.append(f"{p['field']}={found.group(1)}")
    return list(dict.fromkeys(lines))


@login_required
def run_status(request, pk):
    run = _visible_run(request, pk)
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "percent": run.progress_percent,
            "label": run.progress_label,
            "finished": run.finished,
            "errors": run.errors_count,
            "warnings": run.warnings_count,
        }
    )


@login_required
@require_POST
def run_cancel(request, pk):
    run = _visible_run(request, pk)
    if can_cancel_import_run(request.actor, run):
        import_run_cancel(run=run)
        messages.info(request, "Annulation demandée : rien de cet import ne sera écrit.")
    return redirect("www:imports:detail", pk=run.pk)


@login_required
def run_rejects(request, pk):
    run = _visible_run(request, pk)
    text = import_run_rejects_text(run)
    if not text:
        raise Http404
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejets-import-{run.pk}.csv"'
    return response
