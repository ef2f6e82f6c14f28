"""Steering pages: the territories followed, a territory's dashboard, its quarterly report (thin views: the
figures come from `tandem.steering.selectors` and the indicators' own modules)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.core.errors import NotAllowed
from tandem.core.files import generated_file_request
from tandem.land.selectors import territory_resolve
from tandem.steering import registry
from tandem.steering import selectors as sel
from tandem.steering.perms import can_read_steering
from tandem.steering.registry import Period

FORMATS = {
    "pdf": ("steering.report_pdf", "application/pdf"),
    "xlsx": ("steering.report_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("steering.report_csv", "text/csv; charset=utf-8"),
}


def _require_reader(request) -> None:
    if not can_read_steering(request.actor):
        raise NotAllowed("Le pilotage est réservé aux membres d'une organisation.")


def _period(request) -> Period:
    text = request.GET.get("periode") or request.POST.get("periode")
    if text:
        try:
            return Period.parse(text)
        except ValueError as exc:
            messages.error(request, str(exc))
    return Period.of(dt.date.today())


@login_required
def index(request):
    _require_reader(request)
    return render(request, "www/steering/index.html", {"groups": sel.territory_menu(request.actor)})


@login_required
def dashboard(request, level, key):
    _require_reader(request)
    territory = territory_resolve(request.actor, level=level, key=key)
    period = _period(request)
    board = sel.territory_dashboard(request.actor, territory, period=period)
    return render(
        request,
        "www/steering/dashboard.html",
        {
            **board,
            "kind_label": registry.KINDS[registry.territory_kind(territory)],
            "charts": sel.dashboard_charts(board),
            "similar": sel.similar_territories(territory),
            "quarters": [period.next(), period] + [p for p in reversed(board["periods"][:-1])],
        },
    )


@login_required
@require_POST
def territory_report(request, level, key):
    _require_reader(request)
    territory = territory_resolve(request.actor, level=level, key=key)
    period = _period(request)
    fmt = request.POST.get("format", "pdf")
    if fmt not in FORMATS:
        fmt = "pdf"
    kind, content_type = FORMATS[fmt]
    generated = generated_file_request(
        actor=request.actor,
        kind=kind,
        params={"level": level, "key": key, "period": period.slug},
        label=f"Rapport trimestriel {territory.name} {period.label} ({fmt.upper()})",
        file_name=f"pilotage-{level}-{key}-{period.slug}.{fmt}",
        content_type=content_type,
    )
    return redirect("www:generated_file_detail", pk=generated.pk)
