"""Steering pages: the territories followed, a territory's dashboard, its quarterly report (thin views: the
figures come from `tandem.steering.selectors` and the indicators' own modules)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tandem.core.errors import NotAllowed, UserError
from tandem.core.files import generated_file_request
from tandem.land.selectors import territory_extent, territory_resolve
from tandem.steering import registry
from tandem.steering import selectors as sel
from tandem.steering.perms import (
    can_change_convention,
    can_correct_snapshot,
    can_manage_conventions,
    can_open_report,
    can_read_steering,
    can_validate_report,
    can_write_report,
)
from tandem.steering.registry import Period
from tandem.steering.services import (
    convention_create,
    objective_add,
    report_comment,
    report_open,
    report_submit,
    report_validate,
)
from tandem.www.maps import land_tiles, map_config, map_tiles
from tandem.www.steering.forms import ConventionForm, ObjectiveForm, ReportCommentForm

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


def _quarters(*periods: Period) -> list[Period]:
    """The quarters a page offers to move to: none that has not begun yet (nothing to show there)."""
    today = dt.date.today()
    return [p for p in periods if p.start <= today]


@login_required
def index(request):
    _require_reader(request)
    return render(request, "www/steering/index.html", {"groups": sel.territory_menu(request.actor)})


@login_required
def dashboard(request, level, key):
    _require_reader(request)
    territory = territory_resolve(request.actor, level=level, key=key)
    period = _period(request)
    board = sel.territory_dashboard(territory, period=period)
    mapped = sel.map_indicator(request.GET.get("carte"))
    return render(
        request,
        "www/steering/dashboard.html",
        {
            **board,
            "kind_label": registry.KINDS[registry.territory_kind(territory)],
            "charts": sel.dashboard_charts(board),
            "similar": sel.similar_territories(territory),
            "quarters": _quarters(period.next(), period, *reversed(board["periods"][:-1])),
            "can_correct": can_correct_snapshot(request.actor),
            "mapped": mapped,
            "mapped_choices": [registry.indicator_get(c) for c in sel.MAPPED],
            "map": map_config(
                label=f"Carte de {territory.name} : EPCI selon « {mapped.label} » et sites économiques",
                tiles=map_tiles("epcis", query=urlencode({"indicateur": mapped.code})) + land_tiles("sites"),
                bounds=territory_extent(territory),
                list_title="EPCI et sites de la carte",
            ),
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


# --- Conventions and quarterly reports -----------------------------------------------------------------


def _territory_choices(actor) -> list[tuple[str, str]]:
    choices = []
    for group in sel.territory_menu(actor):
        choices.append((f"region:{group['region'].pk}", f"Région — {group['region'].name}"))
        for title, level, items in group["lists"][:3]:
            choices += [
                (f"{level}:{t.pk}", f"{title[:-1] if title.endswith('s') else title} — {t.name}")
                for t in items
            ]
    return choices


@login_required
def convention_list(request):
    _require_reader(request)
    conventions = sel.conventions_visible(request.actor)
    return render(
        request,
        "www/steering/conventions.html",
        {
            "conventions": conventions,
            "expiring": sel.conventions_expiring(request.actor),
            "can_create": can_manage_conventions(request.actor),
        },
    )


@login_required
def convention_create_view(request):
    from tandem.organizations.models import Delegation, Organization
    from tandem.organizations.perms import delegations_visible_q, region_contributor_org_ids

    if not can_manage_conventions(request.actor):
        raise NotAllowed("Seule la Région enregistre une convention.")
    owners = region_contributor_org_ids(request.actor)
    kwargs = {
        "partners": Organization.objects.exclude(kind=Organization.Kind.REGION).order_by("name"),
        "territories": _territory_choices(request.actor),
        "conventions": sel.conventions_visible(request.actor),
        "delegations": Delegation.objects.filter(delegations_visible_q(request.actor)).select_related(
            "delegator", "delegate"
        ),
    }
    form = ConventionForm(request.POST or None, request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        level, key = data["territory"].split(":", 1)
        territory = territory_resolve(request.actor, level=level, key=key)
        owner_id = (
            request.actor.current_org_id if request.actor.current_org_id in owners else min(owners or {0})
        )
        try:
            convention = convention_create(
                actor=request.actor,
                owner=Organization.objects.get(pk=owner_id),
                partner=data["partner"],
                title=data["title"],
                kind=data["kind"],
                territory=territory,
                epci=data["partner"].epci if data["partner"].epci_id else None,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                signed_on=data["signed_on"],
                region_amount_eur=data["region_amount_eur"],
                partner_amount_eur=data["partner_amount_eur"],
                aids=data["aids"],
                document=data["document"],
                renews=data["renews"],
                alert_days=data["alert_days"],
                delegations=data["delegations"],
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Convention enregistrée.")
            return redirect("www:steering:convention_detail", pk=convention.pk)
    return render(request, "www/steering/convention_form.html", {"form": form})


@login_required
def convention_detail(request, pk):
    convention = sel.convention_get(request.actor, pk)
    period = _period(request)
    return render(
        request,
        "www/steering/convention.html",
        {
            "convention": convention,
            "period": period,
            "objectives": sel.objective_rows(request.actor, convention, period),
            "reports": convention.reports.all(),
            "renewals": sel.conventions_visible(request.actor).filter(renews=convention),
            "delegations": convention.delegations.select_related("delegator", "delegate"),
            "can_change": can_change_convention(request.actor, convention),
            "can_open": can_open_report(request.actor, convention),
            "objective_form": ObjectiveForm(
                initial={"year": period.year}, territory=sel.convention_territory(convention)
            ),
            "quarters": _quarters(period.previous(), period, period.next()),
        },
    )


@login_required
def convention_document(request, pk):
    from django.http import FileResponse, Http404

    convention = sel.convention_get(request.actor, pk)
    if not convention.document:
        raise Http404
    return FileResponse(convention.document.open("rb"), as_attachment=True, filename=f"convention-{pk}.pdf")


@login_required
@require_POST
def objective_add_view(request, pk):
    convention = sel.convention_get(request.actor, pk)
    form = ObjectiveForm(request.POST, territory=sel.convention_territory(convention))
    if form.is_valid():
        try:
            objective_add(actor=request.actor, convention=convention, **form.cleaned_data)
            messages.success(request, "Objectif enregistré.")
        except UserError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(
            request, "Objectif refusé : " + " ".join(e for errs in form.errors.values() for e in errs)
        )
    return redirect("www:steering:convention_detail", pk=pk)


@login_required
@require_POST
def report_open_view(request, pk):
    convention = sel.convention_get(request.actor, pk)
    report = report_open(actor=request.actor, convention=convention, period=_period(request))
    return redirect("www:steering:report_detail", pk=report.pk)


@login_required
def report_detail(request, pk):
    report = sel.report_get(request.actor, pk)
    period = Period(report.year, report.quarter)
    return render(
        request,
        "www/steering/report.html",
        {
            "report": report,
            "period": period,
            "objectives": sel.objective_rows(request.actor, report.convention, period),
            "form": ReportCommentForm(initial={"comment": report.comment}),
            "can_write": can_write_report(request.actor, report),
            "can_validate": can_validate_report(request.actor, report),
        },
    )


@login_required
@require_POST
def report_action_view(request, pk, action):
    report = sel.report_get(request.actor, pk)
    if action == "commentaire":
        form = ReportCommentForm(request.POST)
        if form.is_valid():
            report_comment(actor=request.actor, report=report, comment=form.cleaned_data["comment"])
            messages.success(request, "Commentaire enregistré.")
    elif action == "transmettre":
        report_submit(actor=request.actor, report=report)
        messages.success(request, "Rapport transmis à la Région.")
    elif action == "valider":
        report_validate(actor=request.actor, report=report)
        messages.success(request, "Rapport validé.")
    elif action in ("pdf", "xlsx"):
        kind = f"steering.convention_report_{action}"
        generated = generated_file_request(
            actor=request.actor,
            kind=kind,
            params={"report": report.pk},
            label=f"Rapport trimestriel {report.convention.title} T{report.quarter} {report.year}",
            file_name=f"rapport-{report.convention_id}-{report.year}-T{report.quarter}.{action}",
            content_type=FORMATS[action][1],
        )
        return redirect("www:generated_file_detail", pk=generated.pk)
    else:
        from django.http import Http404

        raise Http404
    return redirect("www:steering:report_detail", pk=pk)


@login_required
@require_POST
def snapshot_correct_view(request, pk):
    from django.shortcuts import get_object_or_404

    from tandem.steering.models import IndicatorSnapshot
    from tandem.steering.services import snapshot_correct

    snapshot = get_object_or_404(IndicatorSnapshot, pk=pk, is_current=True)
    try:
        corrected = snapshot_correct(
            actor=request.actor, snapshot=snapshot, reason=request.POST.get("reason", "")
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Valeur corrigée (version {corrected.version}).")
    url = reverse("www:steering:dashboard", args=[snapshot.territory_level, snapshot.territory_key])
    return redirect(f"{url}?periode={snapshot.year}-T{snapshot.quarter}")
