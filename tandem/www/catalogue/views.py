"""Catalogue pages (/catalogue/): schemes with search and filters, scheme sheets with their eligibility in
words, operators and their offices, a need's schemes and partners with the routing form, the partner inbox and
routing indicators per territory. Views are thin: rules live in tandem.catalogue."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import yaml
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.catalogue.eligibility import OBJECTIVES, CompanyProfile, evaluate_programme, wording
from tandem.catalogue.eligibility.authoring import (
    NATURE_AMOUNT_KEYS,
    TEXT_CONDITION_KEYS,
    AuthoringError,
    EligibilityFields,
    build_rules,
    read_fields,
    tee_record,
)
from tandem.catalogue.eligibility.profile import NAF_SECTIONS
from tandem.catalogue.exports import INDICATOR_HEADERS, SCHEME_HEADERS, indicator_rows, scheme_rows
from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme, Subject
from tandem.catalogue.perms import can_answer_routing, can_edit_catalogue, can_route_need
from tandem.catalogue.selectors import (
    company_profile,
    need_subjects,
    operator_search,
    partner_inbox,
    partners_for,
    routing_figures,
    routing_figures_by_partner,
    routings_of_need,
    routings_visible,
    scheme_programme,
    scheme_search,
    schemes_for_company,
    tee_interface,
    tee_region_names,
)
from tandem.catalogue.services import (
    office_save,
    operator_save,
    routing_close,
    routing_id_from_token,
    routing_refuse,
    routing_send,
    routing_take,
    scheme_save,
)
from tandem.companies.exports import to_csv, to_xlsx
from tandem.companies.models import Company, Need
from tandem.companies.nomenclatures import naf_section_label
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor, get_visible_or_404
from tandem.territories.models import Commune, Departement, Epci, Region


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
        request,
        "www/catalogue/schemes.html",
        {
            "form": form,
            "page": page,
            "count": schemes.count(),
            "query": request.GET.urlencode(),
            "can_edit": can_edit_catalogue(request.actor),
        },
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
        "version_list": scheme.versions.select_related("run")[:20],
        "can_edit": can_edit_catalogue(request.actor),
    }
    return render(request, "www/catalogue/scheme.html", context)


@login_required
def operator_list(request):
    departement = request.GET.get("departement", "")
    kind = request.GET.get("type", "")
    skill = request.GET.get("competence", "").strip()
    operators = operator_search(departement=departement, kind=kind, skill=skill)
    page = Paginator(operators, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "www/catalogue/operators.html",
        {
            "page": page,
            "departements": Departement.objects.order_by("code"),
            "departement": departement,
            "kinds": Operator.Kind.choices,
            "kind": kind,
            "skill": skill,
            "can_edit": can_edit_catalogue(request.actor),
        },
    )


@login_required
def operator_detail(request, slug: str):
    operator = get_object_or_404(Operator, slug=slug)
    offices = operator.offices.prefetch_related("departements", "regions").order_by("name")
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


def _indicator_filters(request) -> dict:
    return {
        "region": request.GET.get("region") or None,
        "departement": request.GET.get("departement") or None,
    }


@login_required
def routing_indicators(request):
    actor = request.actor
    filters = _indicator_filters(request)
    context = {
        "figures": routing_figures(actor, **filters),
        "by_partner": routing_figures_by_partner(actor, **filters),
        "regions": Region.objects.order_by("name"),
        "departements": Departement.objects.order_by("code"),
        "region": filters["region"] or "",
        "departement": filters["departement"] or "",
        "query": request.GET.urlencode(),
    }
    return render(request, "www/catalogue/indicators.html", context)


def _export(request, *, headers, rows, name: str, fmt: str, object_type: str) -> HttpResponse:
    """A CSV or XLSX file through the one export writer, recorded in the audit log."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = list(rows)
    audit_record(
        actor=request.actor,
        action=AuditEvent.Action.EXPORT,
        object_type=object_type,
        details={"format": fmt, "count": len(rows)},
    )
    if fmt == "csv":
        response = HttpResponse(to_csv(headers, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            to_xlsx(headers, rows, title=name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
def scheme_export(request, fmt: str):
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    schemes = scheme_search(
        text=filters.get("q", ""),
        subject=filters.get("sujet", ""),
        region=filters.get("region", ""),
        operator=int(filters["operateur"]) if filters.get("operateur") else None,
        nature=filters.get("nature", ""),
    )
    return _export(
        request,
        headers=SCHEME_HEADERS,
        rows=scheme_rows(schemes),
        name="dispositifs",
        fmt=fmt,
        object_type="catalogue.scheme",
    )


@login_required
def indicators_export(request, fmt: str):
    actor = request.actor
    filters = _indicator_filters(request)
    if filters["departement"]:
        territory = f"département {filters['departement']}"
    elif filters["region"]:
        territory = Region.objects.filter(pk=filters["region"]).values_list("name", flat=True).first() or ""
    else:
        territory = "tous les territoires visibles"
    rows = indicator_rows(
        routing_figures(actor, **filters), routing_figures_by_partner(actor, **filters), territory=territory
    )
    return _export(
        request,
        headers=INDICATOR_HEADERS,
        rows=rows,
        name="indicateurs-orientation",
        fmt=fmt,
        object_type="catalogue.needrouting",
    )


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
    get_programme = forms.CharField(
        label="Programme Grand Est Transformation (offreurs de solution)", max_length=200, required=False
    )
    skills = forms.CharField(
        label="Compétences (séparées par des virgules ; offreurs de solution)",
        max_length=2000,
        required=False,
    )

    def clean_naf_sections(self):
        return [s.strip().upper() for s in self.cleaned_data["naf_sections"].split(",") if s.strip()]

    def clean_skills(self):
        return list(dict.fromkeys(s.strip() for s in self.cleaned_data["skills"].split(",") if s.strip()))


def _codes(text: str) -> list[str]:
    return list(dict.fromkeys(c.strip() for c in re.split(r"[,;\s]+", text or "") if c.strip()))


class OfficeForm(forms.Form):
    name = forms.CharField(label="Nom de l'antenne", max_length=200)
    address = forms.CharField(label="Adresse", max_length=300, required=False)
    website = forms.CharField(label="Site internet", max_length=300, required=False)
    organization = forms.ModelChoiceField(
        label="Organisation partenaire dans Tandem",
        queryset=Organization.objects.order_by("name"),
        required=False,
    )
    email = forms.EmailField(label="Boîte fonctionnelle (jamais l'adresse d'une personne)", required=False)
    subjects = forms.ModelMultipleChoiceField(
        label="Sujets traités (aucun : ceux de l'opérateur)",
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.ModelMultipleChoiceField(
        label="Régions couvertes",
        queryset=Region.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    departements = forms.ModelMultipleChoiceField(
        label="Départements couverts",
        queryset=Departement.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    epcis = forms.CharField(label="EPCI couverts (SIREN séparés par des virgules)", required=False)
    communes = forms.CharField(
        label="Communes couvertes (codes INSEE séparés par des virgules)", required=False
    )

    def clean_epcis(self):
        codes = _codes(self.cleaned_data["epcis"])
        known = set(Epci.objects.filter(pk__in=codes).values_list("pk", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise forms.ValidationError(f"EPCI inconnu : « {unknown[0]} » (SIREN de l'EPCI attendu).")
        return codes

    def clean_communes(self):
        codes = _codes(self.cleaned_data["communes"])
        known = set(Commune.objects.filter(pk__in=codes).values_list("pk", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise forms.ValidationError(f"Commune inconnue : « {unknown[0]} » (code INSEE attendu).")
        return codes


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
def office_edit(request, pk: int | None = None, slug: str | None = None):
    """The Région creates an office of an operator (`slug`) or edits one (`pk`), with the territories it covers."""
    _require_editor(request)
    office = get_object_or_404(Office.objects.select_related("operator"), pk=pk) if pk else None
    operator = office.operator if office else get_object_or_404(Operator, slug=slug)
    initial = {}
    if office is not None:
        initial = {
            "name": office.name,
            "address": office.address,
            "website": office.website,
            "organization": office.organization,
            "email": office.email,
            "subjects": list(office.subjects.all()),
            "regions": list(office.regions.all()),
            "departements": list(office.departements.all()),
            "epcis": ", ".join(office.epcis.values_list("pk", flat=True)),
            "communes": ", ".join(office.communes.values_list("pk", flat=True)),
        }
    form = OfficeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        territories = {
            "regions": [r.pk for r in values.pop("regions")],
            "departements": [d.pk for d in values.pop("departements")],
            "epcis": values.pop("epcis"),
            "communes": values.pop("communes"),
        }
        try:
            office_save(
                actor=request.actor, office=office, operator=operator, territories=territories, **values
            )
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Antenne enregistrée.")
            return redirect("www:catalogue:operator", slug=operator.slug)
    return render(
        request, "www/catalogue/office_form.html", {"form": form, "office": office, "operator": operator}
    )


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


# --- schemes written by the Région (TEE format) ---------------------------------------------------------

RULES_FROM_FIELDS, RULES_AS_PUBLICODES = "champs", "publicodes"
TEXT_CONDITION_FIELDS = {
    "cond_taille": ("taille de l'entreprise", "Taille de l'entreprise"),
    "cond_territoire": ("secteur géographique", "Secteur géographique"),
    "cond_activite": ("secteur d'activité", "Secteur d'activité"),
    "cond_anciennete": ("nombre d'années d'activité", "Nombre d'années d'activité"),
    "cond_autres": ("autres critères d'éligibilité", "Autres critères"),
}
assert {key for key, _label in TEXT_CONDITION_FIELDS.values()} == set(TEXT_CONDITION_KEYS)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class SchemeForm(forms.Form):
    """A scheme in the TEE programme format: its sheet, its conditions in words and its eligibility rules,
    generated from the fields below or written in publicodes."""

    titre = forms.CharField(label="Titre", max_length=400)
    promesse = forms.CharField(label="Promesse (une phrase)", max_length=400)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 4}))
    operateur = forms.ChoiceField(label="Opérateur de contact")
    nature = forms.ChoiceField(
        label="Nature de l'aide", choices=[(key, key[:1].upper() + key[1:]) for key in NATURE_AMOUNT_KEYS]
    )
    montant = forms.CharField(label="Montant (ou coût de l'accompagnement)", max_length=400)
    duree = forms.CharField(
        label="Durée (de l'accompagnement ou du prêt ; requise pour une étude, une formation, un prêt)",
        max_length=200,
        required=False,
    )
    url = forms.URLField(label="Page de l'aide", required=False, assume_scheme="https")
    debut = forms.DateField(
        label="Début de validité (jj/mm/aaaa)",
        required=False,
        input_formats=["%d/%m/%Y"],
        widget=forms.DateInput(format="%d/%m/%Y"),
    )
    fin = forms.DateField(
        label="Fin de validité (jj/mm/aaaa)",
        required=False,
        input_formats=["%d/%m/%Y"],
        widget=forms.DateInput(format="%d/%m/%Y"),
    )
    etapes = forms.CharField(
        label="Étapes pour l'entreprise (une par ligne)", widget=forms.Textarea(attrs={"rows": 4})
    )
    cond_taille = forms.CharField(label="", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cond_territoire = forms.CharField(label="", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cond_activite = forms.CharField(label="", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cond_anciennete = forms.CharField(label="", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cond_autres = forms.CharField(label="", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    regles = forms.ChoiceField(
        label="Règles d'éligibilité vérifiées par Tandem",
        choices=[
            (RULES_FROM_FIELDS, "générées depuis les champs ci-dessous"),
            (RULES_AS_PUBLICODES, "écrites en publicodes (champ « règles publicodes »)"),
        ],
        widget=forms.RadioSelect,
        initial=RULES_FROM_FIELDS,
    )
    effectif_min = forms.IntegerField(label="Effectif minimum (salariés)", min_value=0, required=False)
    effectif_max = forms.IntegerField(label="Effectif maximum (salariés)", min_value=0, required=False)
    hors_micro = forms.BooleanField(label="Hors régime de la micro-entreprise", required=False)
    regions = forms.MultipleChoiceField(
        label="Régions (aucune : toute la France)", required=False, widget=forms.CheckboxSelectMultiple
    )
    sections = forms.MultipleChoiceField(
        label="Sections NAF ciblées",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=list(NAF_SECTIONS),
    )
    naf_exclus = forms.CharField(
        label="Codes NAF exclus (divisions ou classes, ex. : 35, 41, 47.91 à 53)",
        max_length=400,
        required=False,
    )
    objectifs = forms.MultipleChoiceField(
        label="Objectifs du projet (aucun : tous)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, label) for code, (_rule, label) in OBJECTIVES.items()],
    )
    publicodes = forms.CharField(
        label="Règles publicodes (YAML, format TEE)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )

    def __init__(self, *args, interface: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (_key, label) in TEXT_CONDITION_FIELDS.items():
            self.fields[name].label = f"Conditions écrites — {label.lower()} (une par ligne)"
        self.fields["operateur"].choices = [
            (name, name)
            for name in Operator.objects.order_by("name").values_list("name", flat=True).distinct()
        ]
        self.fields["regions"].choices = [(name, name) for name in tee_region_names(interface)]
        self.fields["sections"].choices = [(s, f"{s} — {naf_section_label(s)}") for s in NAF_SECTIONS]

    def own_rules(self) -> dict:
        data = self.cleaned_data
        if data["regles"] == RULES_AS_PUBLICODES:
            try:
                rules = yaml.safe_load(data["publicodes"] or "")
            except yaml.YAMLError as error:
                raise AuthoringError(
                    f"Règles publicodes illisibles ({error}) (champ « règles publicodes »)."
                ) from error
            if not isinstance(rules, dict):
                raise AuthoringError(
                    "Les règles publicodes doivent être un objet YAML (champ « règles publicodes »)."
                )
            return rules
        return build_rules(
            EligibilityFields(
                min_employees=data["effectif_min"],
                max_employees=data["effectif_max"],
                exclude_micro=data["hors_micro"],
                regions=data["regions"],
                naf_sections=data["sections"],
                naf_exclusions=data["naf_exclus"],
                objectives=data["objectifs"],
            )
        )

    def record(self, base: dict | None) -> dict:
        data = self.cleaned_data
        return tee_record(
            base=base,
            title=data["titre"],
            promise=data["promesse"],
            description=data["description"],
            operator=data["operateur"],
            nature=data["nature"],
            amount=data["montant"],
            duration=data["duree"],
            url=data["url"],
            valid_from=data["debut"].strftime("%d/%m/%Y") if data["debut"] else "",
            valid_until=data["fin"].strftime("%d/%m/%Y") if data["fin"] else "",
            steps=_lines(data["etapes"]),
            text_conditions={
                key: _lines(data[name]) for name, (key, _label) in TEXT_CONDITION_FIELDS.items()
            },
            own_rules=self.own_rules(),
        )


def _scheme_initial(scheme: Scheme) -> dict:
    record = scheme.data or {}
    nature = record.get("nature de l'aide", "")
    amount_key, duration_key = NATURE_AMOUNT_KEYS.get(nature, ("", None))
    conditions = record.get("conditions d'éligibilité") or {}
    own = {name: scheme.rules[name] for name in scheme.own_rules if name in scheme.rules}
    fields = read_fields(own) if own else None
    initial = {
        "titre": record.get("titre", scheme.title),
        "promesse": record.get("promesse", scheme.promise),
        "description": record.get("description", scheme.description),
        "operateur": record.get("opérateur de contact", scheme.operator.name if scheme.operator else ""),
        "nature": nature,
        "montant": record.get(amount_key, scheme.amount) if amount_key else scheme.amount,
        "duree": record.get(duration_key, "") if duration_key else "",
        "url": record.get("url", scheme.url),
        "debut": scheme.valid_from,
        "fin": scheme.valid_until,
        "etapes": "\n".join(
            " ".join(str(step.get("description", "")).split())
            for step in record.get("objectifs") or []
            if isinstance(step, dict)
        ),
        "publicodes": yaml.safe_dump(own, allow_unicode=True, sort_keys=False) if own else "",
        "regles": RULES_FROM_FIELDS if fields is not None or not own else RULES_AS_PUBLICODES,
    }
    for name, (key, _label) in TEXT_CONDITION_FIELDS.items():
        initial[name] = "\n".join(" ".join(str(line).split()) for line in conditions.get(key) or [])
    if fields is not None:
        initial.update(
            effectif_min=fields.min_employees,
            effectif_max=fields.max_employees,
            hors_micro=fields.exclude_micro,
            regions=fields.regions,
            sections=fields.naf_sections,
            naf_exclus=fields.naf_exclusions,
            objectifs=fields.objectives,
        )
    return initial


@login_required
def scheme_edit(request, slug: str | None = None):
    """The Région writes a scheme in the TEE format, or its own version of an existing one (versions kept)."""
    _require_editor(request)
    scheme = get_object_or_404(Scheme, slug=slug) if slug else None
    interface = tee_interface()
    form = SchemeForm(
        request.POST or None, interface=interface, initial=_scheme_initial(scheme) if scheme else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = form.record(dict(scheme.data) if scheme and scheme.data else None)
            scheme = scheme_save(actor=request.actor, record=record, scheme=scheme)
        except AuthoringError as error:
            form.add_error(None, str(error))
        except UserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Dispositif enregistré : une nouvelle version est conservée.")
            return redirect("www:catalogue:scheme", slug=scheme.slug)
    return render(
        request,
        "www/catalogue/scheme_form.html",
        {"form": form, "scheme": scheme, "has_interface": bool(interface)},
    )


@login_required
def scheme_yaml(request, slug: str):
    """A scheme's record in the TEE YAML format (as published, or as the Région wrote it)."""
    scheme = get_object_or_404(Scheme.objects.exclude(data={}), slug=slug)
    body = yaml.safe_dump(scheme.data, allow_unicode=True, sort_keys=False)
    response = HttpResponse(body, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scheme.slug}.yaml"'
    return response
