"""Company pages (/entreprises/): list, company file with its timeline and follow-up forms, signals, Parcours
indicators and providers, project reviews, exports. Views are thin: rules live in tandem.companies."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.companies import exports
from tandem.companies.followup import (
    advisor_assign,
    advisor_end,
    contact_create,
    contact_delete,
    exchange_create,
    exchange_update,
    need_create,
    need_status_set,
    project_answer,
    project_create,
    project_land_search_open,
    reminder_create,
    reminder_done,
)
from tandem.companies.fragility import signal_create
from tandem.companies.models import (
    Company,
    CompanyAdvisor,
    CompanyProject,
    Contact,
    Exchange,
    Need,
    ParcoursJourney,
    ParcoursStep,
    ProjectReview,
    Reminder,
    ReviewAction,
    Signal,
    SolutionProvider,
)
from tandem.companies.nomenclatures import headcount_label, naf_label
from tandem.companies.parcours import (
    SKILLS_STEP,
    parcours_close,
    parcours_hiring_need,
    parcours_indicators,
    parcours_step_move,
    parcours_step_update,
    provider_create,
)
from tandem.companies.perms import (
    actor_communes,
    can_hand_over_referent,
    can_handle_signal,
    can_manage_providers,
    is_contributor,
    sees_regional_parcours_target,
)
from tandem.companies.reviews import (
    review_action_add,
    review_action_done,
    review_agenda_for,
    review_agenda_rebuild,
    review_create,
    review_decision_add,
    review_minutes_set,
)
from tandem.companies.selectors_followup import (
    company_followup,
    company_timeline,
    establishments_for,
    needs_for,
    reminders_due,
)
from tandem.companies.signals_workflow import signal_acknowledge, signal_act, signal_dismiss
from tandem.core.audit import audit_record
from tandem.core.db import interactive_query
from tandem.core.errors import UserError
from tandem.core.models import AuditEvent
from tandem.core.paging import CappedPaginator, capped_count
from tandem.organizations.models import Membership, Organization
from tandem.organizations.perms import can_change, get_visible_or_404, scope_queryset, writable_owners
from tandem.prospects.matching.text import status_text
from tandem.territories.models import Perimeter
from tandem.www.companies import forms
from tandem.www.views.files import file_response

FORMATS = {"csv", "xlsx"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _company(siren: str) -> Company:
    # The registry is public reference data: every signed-in user may open a company's file; what is shown
    # of its follow-up goes through the permission layer.
    if not (len(siren) == 9 and siren.isascii() and siren.isdigit()):
        raise Http404
    return get_object_or_404(Company, pk=siren)


def _owner_kwargs(request) -> dict:
    return {"owners": writable_owners(request.actor), "current_org_id": request.actor.current_org_id}


def _export(request, *, headers, rows, name: str, fmt: str, object_type: str, count: int) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type=object_type,
        details={"format": fmt, "count": count},
    )
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(headers, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx(headers, rows, title=name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- list and company file ------------------------------------------------------------------------------------


def _list_queryset(request):
    return establishments_for(
        request.actor,
        q=request.GET.get("q", ""),
        naf=request.GET.get("naf", "").strip(),
        state="" if request.GET.get("fermes") else "A",
        whole_registry=bool(request.GET.get("tout")),
    )


@login_required
def company_list(request):
    establishments = _list_queryset(request)
    with interactive_query():  # a search box: short queries (tandem.core.db)
        # The count stops at 1,000 (« plus de 1 000 ») — counting a broad search over the Région's registry
        # cost as much as the page (tandem.core.paging).
        page = CappedPaginator(establishments, 50).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
    return render(
        request,
        "www/companies/list.html",
        {
            "page": page,
            "by_siret": tuple(establishments.query.order_by) == ("siret",),
            "q": request.GET.get("q", ""),
            "naf": request.GET.get("naf", ""),
            "tout": bool(request.GET.get("tout")),
            "fermes": bool(request.GET.get("fermes")),
            # The signed-in advisor's reminders due within a week.
            "reminders": reminders_due(
                request.actor, on=timezone.localdate() + timedelta(days=7)
            ).select_related("company"),
        },
    )


@login_required
def company_export(request, fmt: str):
    """A large export is prepared by the job worker (`tandem.core.files`), a small one served at once."""
    if fmt not in FORMATS:
        raise Http404
    params = {
        "q": request.GET.get("q", ""),
        "naf": request.GET.get("naf", "").strip(),
        "state": "" if request.GET.get("fermes") else "A",
        "whole_registry": bool(request.GET.get("tout")),
        "format": fmt,
    }
    return file_response(
        request,
        kind="companies.establishments",
        params=params,
        # Counted up to the limit only: past it the job worker prepares the file whatever the exact number.
        size=capped_count(_list_queryset(request), settings.TANDEM_EXPORT_SYNC_MAX_ROWS),
        limit=settings.TANDEM_EXPORT_SYNC_MAX_ROWS,
        label=f"Export des établissements ({fmt.upper()})",
        file_name=f"etablissements.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )


@login_required
def company_detail(request, siren: str):
    company = _company(siren)
    actor = request.actor
    followup = company_followup(actor, company)
    journey = followup["journey"]
    owner_kwargs = _owner_kwargs(request)
    people = get_user_model().objects.filter(memberships__organization__in=owner_kwargs["owners"]).distinct()
    # One form per step, with its own ids, filled with what is recorded.
    for step in followup["steps"]:
        step.aid_form = forms.StepAidForm(
            auto_id=f"step{step.pk}_%s",
            initial={
                "provider": step.provider_id,
                "aid_granted": step.aid_granted,
                "aid_label": step.aid_label,
                "aid_amount_eur": step.aid_amount_eur,
            },
        )
    context = {
        "company": company,
        "naf_label": naf_label(company.naf),
        "headcount_label": headcount_label(company.headcount_band),
        "timeline": company_timeline(actor, company),
        "can_write": is_contributor(actor) and owner_kwargs["owners"].exists(),
        "exchange_form": forms.ExchangeForm(
            **owner_kwargs, auto_id="exchange_%s", initial={"happened_on": timezone.localdate()}
        ),
        "need_form": forms.NeedForm(**owner_kwargs, auto_id="need_%s"),
        "project_form": forms.ProjectForm(**owner_kwargs, auto_id="project_%s"),
        "contact_form": forms.ContactForm(**owner_kwargs, auto_id="contact_%s"),
        "signal_form": forms.SignalForm(
            **owner_kwargs, auto_id="signal_%s", initial={"observed_on": timezone.localdate()}
        ),
        "advisor_form": forms.AdvisorForm(**owner_kwargs, auto_id="advisor_%s", people=people),
        "parcours_form": forms.ParcoursMoveForm(
            **owner_kwargs,
            auto_id="parcours_%s",
            current_step=journey.current_step if journey else None,
            initial={"on": timezone.localdate()},
        ),
        "can_change_journey": journey is None or can_change(actor, journey),
        "handle_form": forms.SignalHandleForm(),
        "handleable": _handleable(actor, followup["signals"]),
        "need_statuses": Need.Status.choices,
        "reminder_form": forms.ReminderForm(**owner_kwargs, auto_id="reminder_%s"),
        "journey_statuses": [
            (ParcoursJourney.Status.COMPLETED, "terminé"),
            (ParcoursJourney.Status.ABANDONED, "abandonné"),
        ],
        **{f"{name}_action": reverse(f"www:companies:{name}_add", args=[siren]) for name in ACTION_FORMS},
        "parcours_action": reverse("www:companies:parcours_move", args=[siren]),
        "skills_step": next((s for s in followup["steps"] if s.step == SKILLS_STEP), None),
        "skills_step_label": SKILLS_STEP.label,
        "skills_form": forms.ParcoursHiringNeedForm(auto_id="skills_%s"),
        "skills_action": reverse("www:companies:parcours_hiring_need", args=[siren]),
        **followup,
    }
    # « Devenir référent » only where the permission layer would accept it (no offer then refusal).
    referent = followup.get("referent")
    context["can_become_referent"] = (
        context["can_write"]
        and owner_kwargs["owners"].filter(pk=actor.current_org_id).exists()
        and can_hand_over_referent(actor, referent)
        and not (
            referent
            and referent.user_id == request.user.pk
            and referent.organization_id == actor.current_org_id
        )
    )
    return render(request, "www/companies/detail.html", context)


ACTION_FORMS = ("advisor", "exchange", "need", "project", "contact", "signal", "reminder")


def _handleable(actor, signals) -> set[int]:
    """The open signals `actor` may acknowledge, act on or dismiss."""
    return {
        s.pk
        for s in signals
        if s.status in (Signal.Status.NEW, Signal.Status.ACKNOWLEDGED) and can_handle_signal(actor, s)
    }


def _done(request, company, message):
    messages.success(request, message)
    return redirect("www:companies:detail", siren=company.pk)


def _fail(request, company, exc_or_form):
    if isinstance(exc_or_form, UserError):
        messages.error(request, exc_or_form.message)
    else:
        errors = "; ".join(f"{k} : {' '.join(v)}" for k, v in exc_or_form.errors.items())
        messages.error(request, f"Formulaire incomplet — {errors}")
    return redirect("www:companies:detail", siren=company.pk)


@require_POST
@login_required
def become_referent(request, siren: str):
    """The signed-in advisor becomes the company's référent, for their current organisation."""
    company = _company(siren)
    actor = request.actor
    org = writable_owners(actor).filter(pk=actor.current_org_id).first()
    if org is None or not Membership.objects.filter(user=request.user, organization=org).exists():
        messages.error(request, "Choisissez une organisation dont vous êtes contributeur.")
        return redirect("www:companies:detail", siren=siren)
    try:
        advisor_assign(
            actor=actor,
            company=company,
            user=request.user,
            organization=org,
            handover_note=request.POST.get("handover_note", ""),
        )
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Vous êtes désormais le référent de cette entreprise.")


@require_POST
@login_required
def advisor_add(request, siren: str):
    company = _company(siren)
    owners = writable_owners(request.actor)
    people = get_user_model().objects.filter(memberships__organization__in=owners).distinct()
    form = forms.AdvisorForm(request.POST, owners=owners, people=people)
    if not form.is_valid():
        return _fail(request, company, form)
    data = form.cleaned_data
    try:
        advisor_assign(
            actor=request.actor,
            company=company,
            user=data["user"],
            organization=data["owner"],
            role=data["role"],
            expertise=data["expertise"],
            handover_note=data["handover_note"],
        )
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Conseiller ajouté.")


def _simple_create(request, siren, form_class, service, message, **extra):
    company = _company(siren)
    form = form_class(request.POST, owners=writable_owners(request.actor))
    if not form.is_valid():
        return _fail(request, company, form)
    try:
        service(actor=request.actor, company=company, **form.cleaned_data, **extra)
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, message)


@require_POST
@login_required
def exchange_add(request, siren: str):
    return _simple_create(request, siren, forms.ExchangeForm, exchange_create, "Échange enregistré.")


@login_required
def exchange_edit(request, siren: str, pk: int):
    company = _company(siren)
    exchange = get_visible_or_404(request.actor, Exchange.objects.filter(company=company), pk=pk)
    if not can_change(request.actor, exchange):
        raise Http404
    initial = {
        "topic": exchange.topic,
        "notes": exchange.notes,
        "visibility": exchange.visibility,
        "shared_with": list(exchange.shared_with.all()),
    }
    form = forms.ExchangeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            exchange_update(actor=request.actor, exchange=exchange, **form.cleaned_data)
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(request, company, "Échange modifié.")
    return render(
        request,
        "www/companies/exchange_form.html",
        {"company": company, "exchange": exchange, "form": form},
    )


@require_POST
@login_required
def need_add(request, siren: str):
    return _simple_create(
        request, siren, forms.NeedForm, need_create, "Besoin enregistré.", assignee=request.user
    )


@require_POST
@login_required
def project_add(request, siren: str):
    return _simple_create(request, siren, forms.ProjectForm, project_create, "Projet enregistré.")


@require_POST
@login_required
def contact_add(request, siren: str):
    return _simple_create(request, siren, forms.ContactForm, contact_create, "Contact enregistré.")


@require_POST
@login_required
def signal_add(request, siren: str):
    return _simple_create(request, siren, forms.SignalForm, signal_create, "Signal enregistré.")


@require_POST
@login_required
def reminder_add(request, siren: str):
    return _simple_create(
        request, siren, forms.ReminderForm, reminder_create, "Rappel enregistré.", assignee=request.user
    )


@require_POST
@login_required
def reminder_close(request, siren: str, pk: int):
    company = _company(siren)
    reminder = get_visible_or_404(request.actor, Reminder.objects.filter(company=company), pk=pk)
    try:
        reminder_done(actor=request.actor, reminder=reminder)
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Rappel marqué comme fait.")


@require_POST
@login_required
def advisor_stop(request, siren: str, pk: int):
    company = _company(siren)
    advisor = get_visible_or_404(request.actor, CompanyAdvisor.objects.filter(company=company), pk=pk)
    try:
        advisor_end(actor=request.actor, advisor=advisor, note=request.POST.get("note", ""))
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Fin de mission enregistrée.")


@require_POST
@login_required
def parcours_step_aid(request, siren: str, pk: int):
    company = _company(siren)
    journeys = scope_queryset(request.actor, ParcoursJourney.objects.filter(company=company))
    step = get_object_or_404(ParcoursStep, journey__in=journeys, pk=pk)
    form = forms.StepAidForm(request.POST)
    if not form.is_valid():
        return _fail(request, company, form)
    try:
        parcours_step_update(actor=request.actor, step=step, **form.cleaned_data)
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Étape mise à jour.")


@require_POST
@login_required
def parcours_end(request, siren: str):
    company = _company(siren)
    journey = get_visible_or_404(
        request.actor, ParcoursJourney.objects.filter(company=company), company=company
    )
    try:
        parcours_close(actor=request.actor, journey=journey, status=request.POST.get("status", ""))
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Parcours clos.")


@require_POST
@login_required
def need_status(request, siren: str, pk: int):
    company = _company(siren)
    need = get_visible_or_404(request.actor, Need.objects.filter(company=company), pk=pk)
    form = forms.NeedStatusForm(request.POST)
    if not form.is_valid():
        return _fail(request, company, form)
    try:
        need_status_set(actor=request.actor, need=need, status=form.cleaned_data["status"])
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Besoin mis à jour.")


@require_POST
@login_required
def project_answer_view(request, siren: str, pk: int):
    company = _company(siren)
    project = get_visible_or_404(request.actor, CompanyProject.objects.filter(company=company), pk=pk)
    form = forms.ProjectAnswerForm(request.POST)
    if not form.is_valid():
        return _fail(request, company, form)
    try:
        project_answer(actor=request.actor, project=project, answer=form.cleaned_data["answer"])
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Réponse enregistrée.")


@require_POST
@login_required
def project_land_search(request, siren: str, pk: int):
    """Run the site matching engine for a land or premises need and show the ranked, explained sites."""
    company = _company(siren)
    project = get_visible_or_404(request.actor, CompanyProject.objects.filter(company=company), pk=pk)
    try:
        results = project_land_search_open(actor=request.actor, project=project)
    except UserError as exc:
        return _fail(request, company, exc)
    for r in results:
        r["status_label"] = status_text(r["status"], r.get("available_on"))
    return render(
        request,
        "www/companies/land_search.html",
        {"company": company, "project": project, "results": results},
    )


@require_POST
@login_required
def contact_remove(request, siren: str, pk: int):
    company = _company(siren)
    contact = get_visible_or_404(request.actor, Contact.objects.filter(company=company), pk=pk)
    try:
        contact_delete(
            actor=request.actor,
            contact=contact,
            reason=request.POST.get("reason") or "demande de la personne",
        )
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Contact supprimé définitivement.")


@require_POST
@login_required
def parcours_move(request, siren: str):
    company = _company(siren)
    journey = scope_queryset(request.actor, ParcoursJourney.objects.filter(company=company)).first()
    form = forms.ParcoursMoveForm(
        request.POST,
        owners=writable_owners(request.actor),
        current_step=journey.current_step if journey else None,
    )
    if not form.is_valid():
        return _fail(request, company, form)
    data = form.cleaned_data
    try:
        parcours_step_move(
            actor=request.actor,
            company=company,
            owner=data["owner"],
            step=data["step"],
            on=data["on"],
            provider=data["provider"],
            aid_granted=data["aid_granted"],
            aid_label=data["aid_label"],
            aid_amount_eur=data["aid_amount_eur"],
        )
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, "Parcours de Transformation mis à jour.")


@require_POST
@login_required
def parcours_hiring_need_add(request, siren: str):
    company = _company(siren)
    journey = scope_queryset(request.actor, ParcoursJourney.objects.filter(company=company)).first()
    if journey is None:
        raise Http404
    form = forms.ParcoursHiringNeedForm(request.POST, auto_id="skills_%s")
    if not form.is_valid():
        return _fail(request, company, form)
    try:
        project = parcours_hiring_need(actor=request.actor, journey=journey, **form.cleaned_data)
    except UserError as exc:
        return _fail(request, company, exc)
    return _done(request, company, f"Besoin de recrutement du Parcours enregistré : {project.job_display}.")


# --- needs across companies -----------------------------------------------------------------------------------


def _needs(request):
    return needs_for(
        request.actor,
        status=request.GET.get("statut", "ouverts"),
        whole_network=bool(request.GET.get("tout")),
    )


@login_required
def need_list(request):
    page = Paginator(_needs(request), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "www/companies/needs.html",
        {
            "page": page,
            "statut": request.GET.get("statut", "ouverts"),
            "tout": bool(request.GET.get("tout")),
        },
    )


@login_required
def need_export(request, fmt: str):
    needs = _needs(request)
    return _export(
        request,
        headers=exports.NEED_HEADERS,
        rows=exports.need_rows(needs),
        name="besoins",
        fmt=fmt,
        object_type="companies.need",
        count=needs.count(),
    )


# --- signals --------------------------------------------------------------------------------------------------


@login_required
def signal_list(request):
    signals = scope_queryset(request.actor, Signal.objects.select_related("company", "owner", "commune"))
    # By default, the signals of one's own territory (perimeter and delegations), as for the company list.
    whole_network = bool(request.GET.get("tout"))
    codes = None if whole_network else actor_communes(request.actor)
    if codes is not None:
        signals = signals.filter(commune_id__in=codes)
    status = request.GET.get("statut", "ouverts")
    if status == "ouverts":
        signals = signals.filter(status__in=(Signal.Status.NEW, Signal.Status.ACKNOWLEDGED))
    page = Paginator(signals.order_by("-observed_on", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "www/companies/signals.html",
        {
            "page": page,
            "statut": status,
            "tout": whole_network,
            "handle_form": forms.SignalHandleForm(),
            "handleable": _handleable(request.actor, page),
        },
    )


@require_POST
@login_required
def signal_handle(request, pk: int):
    signal = get_visible_or_404(request.actor, Signal.objects.all(), pk=pk)
    form = forms.SignalHandleForm(request.POST)
    back = request.POST.get("next") or ""
    target = back if back.startswith("/entreprises/") else f"/entreprises/{signal.company_id}/"
    if not form.is_valid():
        messages.error(request, "Décision invalide.")
        return redirect(target)
    data = form.cleaned_data
    try:
        if data["decision"] == "acknowledge":
            signal_acknowledge(actor=request.actor, signal=signal, note=data["note"])
        elif data["decision"] == "act":
            signal_act(actor=request.actor, signal=signal, action=data["action"], note=data["note"])
        else:
            signal_dismiss(actor=request.actor, signal=signal, reason=data["reason"], note=data["note"])
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Signal mis à jour.")
    return redirect(target)


# --- Parcours de Transformation -----------------------------------------------------------------------------


@login_required
def parcours_page(request):
    return render(
        request,
        "www/companies/parcours.html",
        {
            "ind": parcours_indicators(actor=request.actor),
            "providers_count": SolutionProvider.objects.count(),
            "regional_view": sees_regional_parcours_target(request.actor),
        },
    )


@login_required
def parcours_export(request, fmt: str):
    journeys = scope_queryset(request.actor, ParcoursJourney.objects.all())
    return _export(
        request,
        headers=exports.JOURNEY_HEADERS,
        rows=exports.journey_rows(journeys),
        name="parcours-transformation",
        fmt=fmt,
        object_type="companies.parcoursjourney",
        count=journeys.count(),
    )


@login_required
def provider_list(request):
    form = forms.ProviderForm(request.POST or None)
    can_manage = can_manage_providers(request.actor)
    if request.method == "POST" and can_manage and form.is_valid():
        try:
            provider_create(actor=request.actor, **form.cleaned_data)
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Offreur de solutions référencé.")
            return redirect("www:companies:providers")
    domain = request.GET.get("reseau", "")
    providers = SolutionProvider.objects.filter(is_active=True)
    if domain:
        providers = providers.filter(domain=domain)
    return render(
        request,
        "www/companies/providers.html",
        {"providers": providers, "form": form, "can_manage": can_manage, "reseau": domain},
    )


# --- project reviews ------------------------------------------------------------------------------------------


def _area_organizations(actor):
    """Organisations whose territory a review may cover: one's own (and delegators), every EPCI and every Maison
    de Région. The agenda itself only ever holds what the person preparing it may see."""
    own = writable_owners(actor).values("pk")
    kinds = [Organization.Kind.EPCI, Organization.Kind.MAISON_REGION]
    return Organization.objects.filter(Q(pk__in=own) | Q(kind__in=kinds)).exclude(communes=None).distinct()


def _review_areas(request):
    actor = request.actor
    areas = [(f"org:{o.pk}", f"Territoire de {o.name}") for o in _area_organizations(actor).order_by("name")]
    areas += [
        (f"perimeter:{p.pk}", f"Périmètre : {p.name}")
        for p in scope_queryset(actor, Perimeter.objects.all()).order_by("name")[:200]
    ]
    return areas


@login_required
def review_list(request):
    reviews = scope_queryset(
        request.actor, ProjectReview.objects.select_related("owner", "area_perimeter", "area_organization")
    )
    areas = _review_areas(request)
    # The user's own territory first, not the first name in alphabetical order.
    own_area = f"org:{request.actor.current_org_id}"
    form = forms.ReviewForm(
        request.POST or None,
        **_owner_kwargs(request),
        areas=areas,
        initial={"held_on": timezone.localdate(), "area": own_area if own_area in dict(areas) else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind, _, pk = data["area"].partition(":")
        perimeter = (
            scope_queryset(request.actor, Perimeter.objects.filter(pk=pk)).first()
            if kind == "perimeter"
            else None
        )
        organization = _area_organizations(request.actor).filter(pk=pk).first() if kind == "org" else None
        try:
            review = review_create(
                actor=request.actor,
                owner=data["owner"],
                held_on=data["held_on"],
                title=data["title"],
                perimeter=perimeter,
                organization=organization,
                stall_days=data["stall_days"],
                shared_with=data["shared_with"],
            )
        except UserError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Revue préparée : l'ordre du jour a été construit.")
            return redirect("www:companies:review_detail", pk=review.pk)
    can_prepare = form.fields["owner"].queryset.exists()  # a reader has no organisation to prepare it for
    return render(
        request, "www/companies/reviews.html", {"reviews": reviews, "form": form, "can_prepare": can_prepare}
    )


def _review(request, pk):
    return get_visible_or_404(
        request.actor,
        ProjectReview.objects.select_related("owner", "area_perimeter", "area_organization", "previous"),
        pk=pk,
    )


@login_required
def review_detail(request, pk: int):
    review = _review(request, pk)
    agenda = review_agenda_for(actor=request.actor, review=review)
    return render(
        request,
        "www/companies/review_detail.html",
        {
            "review": review,
            "agenda": agenda,
            "decisions": review.decisions.select_related("company"),
            "actions": review.actions.select_related("company", "assignee", "assignee_organization"),
            "can_change": can_change(request.actor, review),
            "minutes_form": forms.MinutesForm(initial={"minutes": review.minutes}),
            "decision_form": forms.DecisionForm(prefix="decision"),
            "action_form": forms.ActionForm(prefix="action"),
        },
    )


@require_POST
@login_required
def review_update(request, pk: int, what: str):
    review = _review(request, pk)
    try:
        if what == "compte-rendu":
            form = forms.MinutesForm(request.POST)
            if form.is_valid():
                review_minutes_set(actor=request.actor, review=review, minutes=form.cleaned_data["minutes"])
        elif what == "decision":
            form = forms.DecisionForm(request.POST, prefix="decision")
            if form.is_valid():
                review_decision_add(
                    actor=request.actor,
                    review=review,
                    text=form.cleaned_data["text"],
                    company=form.cleaned_data["company"],
                )
        elif what == "action":
            form = forms.ActionForm(request.POST, prefix="action")
            if form.is_valid():
                review_action_add(
                    actor=request.actor,
                    review=review,
                    text=form.cleaned_data["text"],
                    company=form.cleaned_data["company"],
                    assignee_organization=form.cleaned_data["assignee_organization"],
                    due_on=form.cleaned_data["due_on"],
                )
        elif what == "ordre-du-jour":
            form = None
            review_agenda_rebuild(actor=request.actor, review=review)
        elif what.startswith("action-faite-"):
            form = None
            action = get_object_or_404(ReviewAction, review=review, pk=what.removeprefix("action-faite-"))
            review_action_done(actor=request.actor, action=action, on=timezone.localdate())
        else:
            raise Http404
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        if form is not None and not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label} : {error}" if label else error)
        else:
            messages.success(request, "Revue mise à jour.")
    return redirect("www:companies:review_detail", pk=review.pk)


@login_required
def review_export(request, pk: int, fmt: str):
    review = _review(request, pk)
    lines = review_agenda_for(actor=request.actor, review=review)
    return _export(
        request,
        headers=exports.AGENDA_HEADERS,
        rows=exports.review_rows(review, lines),
        name=f"revue-{review.pk}",
        fmt=fmt,
        object_type="companies.projectreview",
        count=len(lines),
    )
