"""Reads of the catalogue: search, scheme sheets with their eligibility, the schemes that fit a company and the
partners that handle a need in its territory, routings visible to an actor and per-territory routing figures.

The catalogue (operators, offices, subjects, schemes) is reference data of the instance, readable by every
signed-in user; routings are organisation-owned and read through `scope_queryset` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from tandem.catalogue.eligibility import CompanyProfile, Programme, evaluate_programme
from tandem.catalogue.eligibility.wording import ELIGIBLE, UNDETERMINED
from tandem.catalogue.models import NeedRouting, Office, Operator, Scheme, Subject
from tandem.catalogue.subjects import OBJECTIVES_BY_NEED_TOPIC, subjects_for_need_topic
from tandem.companies.nomenclatures import HEADCOUNT_BANDS, naf_section
from tandem.organizations.perms import Actor, scope_queryset
from tandem.territories.models import Commune, Region

# Deadlines of a routing (days after it was sent), like Conseillers-Entreprises.
FIRST_REMINDER_DAYS, SECOND_REMINDER_DAYS, RETURN_DAYS = 9, 21, 45


def scheme_search(
    *, text: str = "", subject: str = "", region: str = "", operator: int | None = None, nature: str = ""
) -> QuerySet:
    """Schemes matching the filters: words in the title or promise, a subject (slug), a region (INSEE code:
    national schemes and those open in that region), an operator (contact or other), a nature."""
    schemes = Scheme.objects.select_related("operator")
    for word in text.split():
        schemes = schemes.filter(Q(title__unaccent_icontains=word) | Q(promise__unaccent_icontains=word))
    if subject:
        schemes = schemes.filter(subjects__slug=subject)
    if region:
        name = Region.objects.filter(pk=region).values_list("name", flat=True).first() or ""
        schemes = schemes.filter(Q(national=True) | Q(regions__contains=[name]))
    if operator:
        schemes = schemes.filter(Q(operator_id=operator) | Q(other_operators=operator))
    if nature:
        schemes = schemes.filter(nature=nature)
    return schemes.distinct().order_by("title")


def operator_search(*, departement: str = "", kind: str = "", skill: str = "") -> QuerySet:
    """Operators: those with an office covering a département, of a kind (e.g. the solution providers), or with a
    skill or Grand Est Transformation programme containing the words."""
    operators = Operator.objects.order_by("name")
    if departement:
        operators = operators.filter(offices__departements=departement)
    if kind:
        operators = operators.filter(kind=kind)
    for word in skill.split():
        operators = operators.filter(
            Q(get_programme__unaccent_icontains=word)
            | Q(skills__icontains=word)
            | Q(name__unaccent_icontains=word)
        )
    return operators.distinct()


def tee_interface() -> dict:
    """The interface rules every TEE programme shares (the inputs its rules read), as imported with the TEE
    programmes: the Région's own schemes are written on the same inputs. Empty before the first TEE import."""
    scheme = Scheme.objects.filter(source=Scheme.Source.TEE).exclude(own_rules=[]).order_by("pk").first()
    if scheme is None:
        return {}
    return {name: rule for name, rule in scheme.rules.items() if name not in scheme.own_rules}


def tee_region_names(interface: dict) -> list[str]:
    """The region names the TEE rules know (string constants of the interface, e.g. « Grand Est »)."""
    return sorted(name for name, rule in interface.items() if isinstance(rule, str) and rule == f'"{name}"')


def scheme_programme(scheme: Scheme) -> Programme | None:
    """The TEE programme of a stored scheme, for the eligibility engine (None when it has no rules)."""
    if not scheme.own_rules:
        return None
    return Programme(
        id=scheme.slug,
        data=scheme.data,
        rules=scheme.rules,
        own_rule_names=tuple(scheme.own_rules),
        published=scheme.published,
        source_file=f"programs/{scheme.slug}.yaml",
    )


def company_profile(company, *, need=None) -> CompanyProfile:
    """What Tandem knows of a company for eligibility: its SIRENE headcount band, NAF code, region (of its head
    office, else of any establishment) and, from the need's theme, its objectives. What is unknown stays None
    and becomes a question (micro-enterprise regime is not in SIRENE)."""
    band = company.headcount_band if company.headcount_band in HEADCOUNT_BANDS else None
    naf = company.naf if company.naf and naf_section(company.naf) else None
    commune_id = (
        company.establishments.exclude(commune_id=None)
        .order_by("state", "-is_head_office", "siret")
        .values_list("commune_id", flat=True)
        .first()
    )
    region = None
    if commune_id:
        region = Commune.objects.filter(pk=commune_id).values_list("region__name", flat=True).first()
    objectives = OBJECTIVES_BY_NEED_TOPIC.get(need.topic) if need is not None else None
    return CompanyProfile(
        headcount_band=band,
        naf_code=naf,
        region=region,
        objectives=objectives,
        creation_date=company.created_on,
    )


@dataclass(frozen=True)
class SchemeFit:
    scheme: Scheme
    eligibility: object  # tandem.catalogue.eligibility.Eligibility


def schemes_for_company(company, *, need=None, today: dt.date, limit: int | None = None) -> list[SchemeFit]:
    """The schemes with machine-checkable rules that fit the company: eligible first, then those to confirm
    (with the questions to ask); the not eligible are left out."""
    profile = company_profile(company, need=need)
    fits = []
    for scheme in Scheme.objects.exclude(own_rules=[]).select_related("operator").order_by("title"):
        result = evaluate_programme(scheme_programme(scheme), profile, today=today)
        if result.status in (ELIGIBLE, UNDETERMINED):
            fits.append(SchemeFit(scheme, result))
    fits.sort(key=lambda f: (f.eligibility.status != ELIGIBLE, f.scheme.title))
    return fits[:limit] if limit else fits


def need_subjects(need) -> QuerySet:
    return Subject.objects.filter(slug__in=subjects_for_need_topic(need.topic))


def offices_covering(commune_code: str) -> QuerySet:
    """Offices whose territory holds the commune (the commune itself, its EPCI, département or région)."""
    commune = Commune.objects.filter(pk=commune_code).values("epci_id", "departement_id", "region_id").first()
    if commune is None:
        return Office.objects.none()
    # One semi-join per territory table (an OR over joined many-to-many tables plus DISTINCT took seconds).
    covered = [
        Office.communes.through.objects.filter(commune_id=commune_code),
        Office.departements.through.objects.filter(departement_id=commune["departement_id"]),
        Office.regions.through.objects.filter(region_id=commune["region_id"]),
    ]
    if commune["epci_id"]:
        covered.append(Office.epcis.through.objects.filter(epci_id=commune["epci_id"]))
    q = Q()
    for rows in covered:
        q |= Q(pk__in=rows.values("office_id"))
    return Office.objects.filter(q)


def partners_for(company, *, commune_code: str | None, subjects) -> list[Office]:
    """The offices covering the company's commune for one of `subjects` (the office's own subjects, else its
    operator's), whose operator serves a company of this size and activity."""
    if not commune_code:
        return []
    slugs = [s.slug for s in subjects]
    offices = (
        offices_covering(commune_code)
        .filter(
            Q(pk__in=Office.subjects.through.objects.filter(subject__slug__in=slugs).values("office_id"))
            | (
                ~Q(pk__in=Office.subjects.through.objects.values("office_id"))
                & Q(
                    operator_id__in=Operator.subjects.through.objects.filter(subject__slug__in=slugs).values(
                        "operator_id"
                    )
                )
            )
        )
        .select_related("operator", "organization", "operator__organization")
    )
    band = HEADCOUNT_BANDS.get(company.headcount_band)
    section = naf_section(company.naf) if company.naf else ""
    result = []
    for office in offices.order_by("operator__name", "name"):
        if not operator_serves(office.operator, band=band, section=section, created_on=company.created_on):
            continue
        result.append(office)
    return result


def operator_serves(operator: Operator, *, band, section: str, created_on: dt.date | None) -> bool:
    """The operator's filters (headcount, NAF sections, age): a fact Tandem does not know does not exclude."""
    if band is not None:
        if (
            operator.min_employees is not None
            and band.maximum is not None
            and band.maximum < operator.min_employees
        ):
            return False
        if operator.max_employees is not None and (band.minimum or 0) > operator.max_employees:
            return False
    if operator.naf_sections and section and section not in operator.naf_sections:
        return False
    if operator.min_age_years and created_on:
        age = (timezone.localdate() - created_on).days / 365.25
        if age < operator.min_age_years:
            return False
    return True


def office_partner(office: Office):
    """The Tandem organisation that answers for an office (its own, else its operator's), or None."""
    return office.organization or office.operator.organization


# --- routings ----------------------------------------------------------------------------------------------


def routings_visible(actor: Actor) -> QuerySet:
    return scope_queryset(actor, NeedRouting.objects.all())


def partner_inbox(actor: Actor) -> QuerySet:
    """Routings sent to the actor's organisations (what a partner answers)."""
    return (
        routings_visible(actor)
        .filter(partner_id__in=actor.org_ids)
        .select_related("company", "need", "owner")
    )


def routings_of_need(actor: Actor, need) -> QuerySet:
    return routings_visible(actor).filter(need=need).select_related("partner", "office__operator")


def routing_figures(
    actor: Actor,
    *,
    region: str | None = None,
    departement: str | None = None,
    epci: str | None = None,
    zone_emploi: str | None = None,
    commune_codes=None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict:
    """Routing indicators over the routings `actor` may see, placed in a territory (commune of the company:
    a région, département, EPCI, zone d'emploi or a list of communes) and sent between `start` and `end`
    (included) when given: needs sent, taken within 9 days, answered (closed or refused) within 45 days,
    closed (a closing date recorded), unanswered, outcomes and amounts granted. Read by steering (issue 17)
    through this selector."""
    routings = routings_visible(actor)
    if region:
        routings = routings.filter(commune__region_id=region)
    if departement:
        routings = routings.filter(commune__departement_id=departement)
    if epci:
        routings = routings.filter(commune__epci_id=epci)
    if zone_emploi:
        routings = routings.filter(commune__zone_emploi_id=zone_emploi)
    if commune_codes is not None:
        routings = routings.filter(commune_id__in=list(commune_codes))
    if start:
        routings = routings.filter(sent_on__gte=start)
    if end:
        routings = routings.filter(sent_on__lte=end)
    within_9 = Q(
        answered_on__isnull=False, answered_on__lte=F("sent_on") + dt.timedelta(days=FIRST_REMINDER_DAYS)
    )
    within_45 = Q(closed_on__isnull=False, closed_on__lte=F("sent_on") + dt.timedelta(days=RETURN_DAYS))
    figures = routings.aggregate(
        sent=Count("pk"),
        needs=Count("need", distinct=True),
        taken_in_time=Count("pk", filter=within_9),
        answered_in_time=Count("pk", filter=within_45),
        closed=Count("pk", filter=Q(closed_on__isnull=False)),
        unanswered=Count("pk", filter=Q(status=NeedRouting.Status.UNANSWERED)),
        open=Count("pk", filter=Q(status__in=NeedRouting.OPEN_STATUSES)),
        granted=Count("pk", filter=Q(outcome=NeedRouting.Outcome.GRANTED)),
        amount_granted=Sum("amount_eur", filter=Q(outcome=NeedRouting.Outcome.GRANTED)),
    )
    figures["amount_granted"] = figures["amount_granted"] or 0
    return figures


def routing_figures_by_partner(
    actor: Actor, *, region: str | None = None, departement: str | None = None
) -> list[dict]:
    """Routing indicators per partner (organisation, else office) over the routings `actor` may see."""
    routings = routings_visible(actor)
    if region:
        routings = routings.filter(commune__region_id=region)
    if departement:
        routings = routings.filter(commune__departement_id=departement)
    within_9 = Q(
        answered_on__isnull=False, answered_on__lte=F("sent_on") + dt.timedelta(days=FIRST_REMINDER_DAYS)
    )
    return list(
        routings.values("partner__name", "office__name")
        .annotate(
            sent=Count("pk"),
            taken_in_time=Count("pk", filter=within_9),
            unanswered=Count("pk", filter=Q(status=NeedRouting.Status.UNANSWERED)),
            granted=Count("pk", filter=Q(outcome=NeedRouting.Outcome.GRANTED)),
            amount_granted=Sum("amount_eur", filter=Q(outcome=NeedRouting.Outcome.GRANTED)),
        )
        .order_by("partner__name", "office__name")
    )
