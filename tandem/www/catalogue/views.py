"""Catalogue pages (/catalogue/): schemes with search and filters, scheme sheets with their eligibility in
words, operators and their offices, a need's schemes and partners with the routing form, the partner inbox and
routing indicators per territory. Views are thin: rules live in tandem.catalogue."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.catalogue.eligibility import CompanyProfile, evaluate_programme, wording
from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme, Subject
from tandem.catalogue.perms import can_answer_routing, can_edit_catalogue, can_route_need
from tandem.catalogue.selectors import (
    company_profile,
    need_subjects,
    partner_inbox,
    partners_for,
    routing_figures,
    routing_figures_by_partner,
    routings_of_need,
    routings_visible,
    scheme_programme,
    scheme_search,
    schemes_for_company,
)
from tandem.catalogue.services import (
    office_save,
    operator_save,
    routing_close,
    routing_id_from_token,
    routing_refuse,
    routing_send,
    routing_take,
)
from tandem.companies.models import Company, Need
from tandem.core.errors import NotAllowed, UserError
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor, get_visible_or_404
from tandem.territories.models import Departement, Region


class SearchForm(forms.Form):
    q = forms.CharField(label="Mots", required=False)
    sujet = forms.ChoiceField(label="Sujet", required=False)
    region = forms.ChoiceField(label="Territoire (région)", required=False)
    operateur = forms.ChoiceField(label="Opérateur", required=False)
    nature = forms.ChoiceField(
        label="Type d'aide", required=False, choices=[("", "Tous"), *Scheme.Nature.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sujet"].choices = [("", "Tous"), *Subject.objects.values_list("slug", "label")]
        self.fields["region"].choices = [
            ("", "Toutes"),
            *Region.objects.order_by("name").values_list("code", "name"),
        ]
        operators = Operator.objects.filter(schemes__isnull=False).distinct().order_by("name")
        self.fields["operateur"].choices = [("", "Tous"), *((str(o.pk), o.name) for o in operators)]


@login_required
def scheme_list(request):
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    schemes = scheme_search(
        text=filters.get("q", ""),
        subject=filters.get("sujet", ""),
        region=filters.get("region", ""),
        operator=int(filters["operateur"]) if filters.get("operateur") else None,
        nature=filters.get("nature", ""),
    )
    page = Paginator(schemes, 30).get_page(request.GET.get("page"))
    return render(
        request, "www/catalogue/schemes.html", {"form": form, "page": page, "count": schemes.count()}
    )


@login_required
def scheme_detail(request, slug: str):
    scheme = get_object_or_404(Scheme.objects.select_related("operator"), slug=slug)
    programme = scheme_programme(scheme)
    company = None
    siren = request.GET.get("entreprise", "")
    if siren.isdigit() and len(siren) == 9:
        company = Company.objects.filter(pk=siren).first()
    result = None
    if programme is not None:
        profile = company_profile(company) if company else CompanyProfile()
        result = evaluate_programme(programme, profile, today=timezone.localdate())
    context = {
        "scheme": scheme,
        "result": result,
        "company": company,
        "to_check": wording.text_conditions(scheme.data.get("conditions d'éligibilité") or {})
        if programme
        else (),
        "other_operators": scheme.other_operators.all(),
        "versions": scheme.versions.count(),
    }
    return render(request, "www/catalogue/scheme.html", context)


@login_required
def operator_list(request):
    operators = Operator.objects.order_by("name")
    departement = request.GET.get("departement", "")
    if departement:
        operators = operators.filter(offices__departements=departement).distinct()
    page = Paginator(operators, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "www/catalogue/operators.html",
        {
            "page": page,
            "departements": Departement.objects.order_by("code"),
            "departement": departement,
            "can_edit": can_edit_catalogue(request.actor),
        },
    )


@login_required
def operator_detail(request, slug: str):
    operator = get_object_or_404(Operator, slug=slug)
    offices = operator.offices.prefetch_related("departements").order_by("name")
    return render(
        request,
        "www/catalogue/operator.html",
        {
            "operator": operator,
            "offices": offices,
            "schemes": operator.schemes.order_by("title")[:50],
            "can_edit": can_edit_catalogue(request.actor),
        },
    )


@login_required
def need_routing(request, pk: int):
    """A need's schemes (eligible first, with reasons and questions) and partners covering the company."""
    actor = request.actor
    need = get_visible_or_404(actor, Need.objects.select_related("company", "owner"), pk=pk)
    company = need.company
    subjects = list(need_subjects(need))
    chosen = request.GET.get("sujet") or request.POST.get("sujet")
    if chosen:
        subjects = list(Subject.objects.filter(slug=chosen)) or subjects
    offices = partners_for(company, commune_code=need.commune_id, subjects=subjects)
    fits = schemes_for_company(company, need=need, today=timezone.localdate())
    if request.method == "POST":
        office = get_object_or_404(Office, pk=request.POST.get("antenne") or 0)
        scheme = Scheme.objects.filter(pk=request.POST.get("dispositif") or 0).first()
        try:
            routing_send(
                actor=actor, need=need, office=office, scheme=scheme, message=request.POST.get("message", "")
            )
        except UserError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Besoin adressé à {office}.")
        return redirect("www:catalogue:need", pk=need.pk)
    context = {
        "need": need,
        "company": company,
        "profile": company_profile(company, need=need),
        "fits": fits[:15],
        "fits_count": len(fits),
        "eligible_count": sum(f.eligibility.status == wording.ELIGIBLE for f in fits),
        "offices": offices,
        "subjects": subjects,
        "all_subjects": Subject.objects.all(),
        "routings": routings_of_need(actor, need),
        "can_route": can_route_need(actor, need),
    }
    return render(request, "www/catalogue/need.html", context)


@login_required
def routing_list(request):
    actor = request.actor
    inbox = partner_inbox(actor).order_by("-sent_on", "-id")
    sent = (
        routings_visible(actor)
        .filter(owner_id__in=actor.org_ids)
        .select_related("company", "need", "partner", "office__operator")
    )
    return render(
        request, "www/catalogue/routings.html", {"inbox": inbox, "sent": sent.order_by("-sent_on", "-id")}
    )


@login_required
def routing_detail(request, pk: int):
    actor = request.actor
    routing = get_visible_or_404(
        actor,
        NeedRouting.objects.select_related("company", "need", "owner", "partner", "office__operator"),
        pk=pk,
    )
    return render(
        request,
        "www/catalogue/routing.html",
        {
            "routing": routing,
            "can_answer": can_answer_routing(actor, routing),
            "outcomes": NeedRouting.Outcome.choices,
        },
    )


@require_POST
@login_required
def routing_answer(request, pk: int, action: str):
    actor = request.actor
    routing = get_visible_or_404(actor, NeedRouting.objects.all(), pk=pk)
    answer = request.POST.get("reponse", "")
    try:
        if action == "prendre":
            routing_take(actor=actor, routing=routing)
            messages.success(request, "Besoin pris en charge.")
        elif action == "refuser":
            routing_refuse(actor=actor, routing=routing, answer=answer)
            messages.success(request, "Besoin refusé : l'organisation qui l'a adressé est prévenue.")
        elif action == "cloturer":
            raw = (request.POST.get("montant") or "").replace("\u202f", "").replace(" ", "").replace(",", ".")
            try:
                amount = Decimal(raw) if raw else None
            except InvalidOperation as error:
                raise UserError(
                    f"Montant illisible : « {request.POST.get('montant')} » (champ « montant accordé »)."
                ) from error
            routing_close(
                actor=actor,
                routing=routing,
                outcome=request.POST.get("resultat", ""),
                amount_eur=amount,
                answer=answer,
            )
            messages.success(request, "Besoin clôturé.")
        else:
            raise Http404
    except UserError as error:
        messages.error(request, error.message)
    return redirect("www:catalogue:routing", pk=routing.pk)


@login_required
def routing_indicators(request):
    actor = request.actor
    region = request.GET.get("region") or None
    departement = request.GET.get("departement") or None
    context = {
        "figures": routing_figures(actor, region=region, departement=departement),
        "by_partner": routing_figures_by_partner(actor, region=region),
        "regions": Region.objects.order_by("name"),
        "departements": Departement.objects.order_by("code"),
        "region": region or "",
        "departement": departement or "",
    }
    return render(request, "www/catalogue/indicators.html", context)


class OperatorForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=200)
    siren = forms.CharField(label="SIREN", max_length=9, required=False)
    kind = forms.ChoiceField(label="Type", choices=Operator.Kind.choices)
    category = forms.CharField(label="Catégorie", max_length=120, required=False)
    website = forms.URLField(label="Site internet", required=False, assume_scheme="https")
    email = forms.EmailField(label="Boîte fonctionnelle (jamais l'adresse d'une personne)", required=False)
    organization = forms.ModelChoiceField(
        label="Organisation partenaire dans Tandem",
        queryset=Organization.objects.order_by("name"),
        required=False,
    )
    subjects = forms.ModelMultipleChoiceField(
        label="Sujets traités",
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_employees = forms.IntegerField(label="Effectif minimum (salariés)", min_value=0, required=False)
    max_employees = forms.IntegerField(label="Effectif maximum (salariés)", min_value=0, required=False)
    naf_sections = forms.CharField(
        label="Sections NAF servies (lettres séparées par des virgules ; vide : toutes)", required=False
    )
    min_age_years = forms.IntegerField(label="Ancienneté minimale (années)", min_value=0, required=False)

    def clean_naf_sections(self):
        return [s.strip().upper() for s in self.cleaned_data["naf_sections"].split(",") if s.strip()]


class OfficeForm(forms.Form):
    organization = forms.ModelChoiceField(
        label="Organisation partenaire dans Tandem",
        queryset=Organization.objects.order_by("name"),
        required=False,
    )
    email = forms.EmailField(label="Boîte fonctionnelle", required=False)
    subjects = forms.ModelMultipleChoiceField(
        label="Sujets traités (aucun : ceux de l'opérateur)",
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _require_editor(request):
    if not can_edit_catalogue(request.actor):
        raise NotAllowed("Le catalogue des opérateurs et des dispositifs est tenu par la Région.")


@login_required
def operator_edit(request, slug: str | None = None):
    """The Région creates or edits an operator."""
    _require_editor(request)
    operator = get_object_or_404(Operator, slug=slug) if slug else None
    initial = {}
    if operator is not None:
        initial = {
            f: getattr(operator, f) for f in OperatorForm.base_fields if f not in ("subjects", "naf_sections")
        }
        initial["subjects"] = list(operator.subjects.all())
        initial["naf_sections"] = ", ".join(operator.naf_sections)
    form = OperatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        subjects = values.pop("subjects")
        try:
            operator = operator_save(actor=request.actor, operator=operator, subjects=subjects, **values)
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Opérateur enregistré.")
            return redirect("www:catalogue:operator", slug=operator.slug)
    return render(request, "www/catalogue/operator_form.html", {"form": form, "operator": operator})


@login_required
def office_edit(request, pk: int):
    _require_editor(request)
    office = get_object_or_404(Office.objects.select_related("operator"), pk=pk)
    form = OfficeForm(
        request.POST or None,
        initial={
            "organization": office.organization,
            "email": office.email,
            "subjects": list(office.subjects.all()),
        },
    )
    if request.method == "POST" and form.is_valid():
        office_save(actor=request.actor, office=office, **form.cleaned_data)
        messages.success(request, "Antenne enregistrée.")
        return redirect("www:catalogue:operator", slug=office.operator.slug)
    return render(request, "www/catalogue/office_form.html", {"form": form, "office": office})


def routing_answer_link(request, token: str):
    """The page a partner outside Tandem opens from its e-mail's secure link: the need, and its answer (take,
    refuse, close) without an account. An invalid, expired or used link answers 404."""
    pk = routing_id_from_token(token)
    routing = (
        # Unscoped on purpose: the signed link is the capability (no account, no organisation reads it).
        NeedRouting.objects.unscoped()
        .select_related("company", "need", "owner", "office__operator")
        .filter(pk=pk, partner=None)
        .first()
    )
    if routing is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action", "")
        system = Actor.system_actor()
        try:
            if action == "prendre":
                routing_take(actor=system, routing=routing, token=token)
            elif action == "refuser":
                routing_refuse(
                    actor=system, routing=routing, answer=request.POST.get("reponse", ""), token=token
                )
            elif action == "cloturer":
                raw = (
                    (request.POST.get("montant") or "")
                    .replace("\u202f", "")
                    .replace(" ", "")
                    .replace(",", ".")
                )
                try:
                    amount = Decimal(raw) if raw else None
                except InvalidOperation as error:
                    raise UserError("Montant illisible (champ « montant accordé »).") from error
                routing_close(
                    actor=system,
                    routing=routing,
                    outcome=request.POST.get("resultat", ""),
                    amount_eur=amount,
                    answer=request.POST.get("reponse", ""),
                    token=token,
                )
            else:
                raise UserError("Action inconnue.")
            messages.success(request, "Réponse enregistrée : merci.")
        except UserError as error:
            messages.error(request, error.message)
        return redirect("www:catalogue:answer_link", token=token)
    return render(
        request,
        "www/catalogue/answer_link.html",
        {
            "routing": routing,
            "open": routing.status in NeedRouting.OPEN_STATUSES,
            "outcomes": NeedRouting.Outcome.choices,
        },
    )
