"""Reads for the follow-up: the company list of an actor's perimeter, a company's file and its timeline
across organisations. Every SharedObject passes through `scope_queryset`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from tandem.companies.models import (
    Company,
    CompanyAdvisor,
    CompanyProject,
    Contact,
    Establishment,
    Exchange,
    Need,
    ParcoursJourney,
    ParcoursStep,
    RegistryChange,
    Reminder,
    Signal,
)
from tandem.companies.perms import actor_commune_codes, actor_communes, exchanges_known_to
from tandem.companies.selectors import establishments_named
from tandem.core.paging import COUNT_CAP, capped_count
from tandem.core.search import search_matches, search_results
from tandem.organizations.perms import Actor, scope_queryset


def establishments_for(
    actor: Actor, *, q: str = "", naf: str = "", state: str = "A", whole_registry=False
) -> QuerySet:
    """Establishments listed for `actor`: those of their perimeter (an EPCI sees its own, an agency what its
    delegations cover; the Région the whole registry), filtered by name, SIREN/SIRET, commune or NAF. Sorted by
    company name, but by SIRET over the whole registry unfiltered or searched for a word matching more than
    `COUNT_CAP` establishments (`tandem.core.paging`)."""
    qs = Establishment.objects.select_related("company")
    codes = None if whole_registry else actor_commune_codes(actor)
    if codes is not None:
        # The file's commune code, indexed (`commune` is not: a filter on it read the whole registry); for
        # the loaded communes an actor's perimeter holds, the two are equal.
        qs = qs.filter(commune_code__in=codes)
    if state:
        qs = qs.filter(state=state)
    if naf:
        qs = qs.filter(naf__startswith=naf.upper())
    referents = CompanyAdvisor.objects.filter(
        company_id=OuterRef("company_id"), role=CompanyAdvisor.Role.REFERENT, ended_on=None
    )
    qs = qs.annotate(has_referent=Exists(referents))
    q = (q or "").strip()
    if q:
        digits = q.replace(" ", "")
        if digits.isdigit():
            qs = qs.filter(siret__startswith=digits)
        else:
            # A perimeter's few thousand establishments in one pass; the whole registry through the union
            # of the search's index-served branches (one OR across the company join read it all: 30 s).
            narrow = codes is not None
            branches = establishments_named(qs, q, narrow=narrow)
            if not narrow:
                by_key = search_results(qs, key="siret", branches=branches)
                if capped_count(by_key) > COUNT_CAP:
                    # A frequent word over the whole registry (« mécanique »: 40,000 establishments of a
                    # region): sorting every match by name cost a second; its first rows by SIRET, each branch
                    # stopping early, and the page asks to refine the search (« plus de 1 000 »).
                    return by_key
            qs = search_matches(qs, key="siret", branches=branches, narrow=narrow)
    if codes is None and not q and not naf:
        # The whole registry (hundreds of thousands of rows for a region): page through the primary key rather
        # than sorting every row by name on each page.
        return qs.order_by("siret")
    return qs.order_by("company__name", "siret")


def company_advisors(actor: Actor, company: Company) -> QuerySet:
    return (
        scope_queryset(actor, CompanyAdvisor.objects.filter(company=company))
        .select_related("user", "organization")
        .order_by("ended_on", "role", "-started_on")
    )


def company_referent(actor: Actor, company: Company) -> CompanyAdvisor | None:
    return company_advisors(actor, company).filter(role=CompanyAdvisor.Role.REFERENT, ended_on=None).first()


def company_followup(actor: Actor, company: Company) -> dict:
    """Everything `actor` may see of a company's follow-up, for its page."""
    journey = scope_queryset(actor, ParcoursJourney.objects.filter(company=company)).first()
    return {
        "advisors": company_advisors(actor, company),
        "referent": company_referent(actor, company),
        "contacts": scope_queryset(actor, Contact.objects.filter(company=company)).select_related("owner"),
        "needs": scope_queryset(actor, Need.objects.filter(company=company)).select_related(
            "owner", "assignee"
        ),
        "reminders": scope_queryset(
            actor, Reminder.objects.filter(company=company, done_at=None)
        ).select_related("assignee"),
        "projects": scope_queryset(actor, CompanyProject.objects.filter(company=company)).select_related(
            "owner"
        ),
        "journey": journey,
        "steps": list(journey.steps.select_related("provider").order_by("step")) if journey else [],
        "signals": scope_queryset(actor, Signal.objects.filter(company=company)).select_related(
            "owner", "company"
        ),
        "establishments": company.establishments.order_by("state", "-is_head_office", "siret"),
    }


@dataclass
class TimelineEvent:
    on: date
    kind: str  # exchange, advisor, need, project, parcours, signal, registry, synergy
    title: str
    organization: str = ""
    detail: str = ""  # only what the actor may read (never another organisation's private notes)
    private: bool = False  # true when the actor sees that it happened, not its content
    exchange_id: int | None = None  # set on the exchanges the actor may read (for editing and sharing)


def routing_timeline_events(actor: Actor, company: Company) -> list[TimelineEvent]:
    """The routings of the company's needs to partners (tandem.catalogue) that `actor` may see: sent, taken,
    answered, returned « sans réponse »."""
    from tandem.catalogue.selectors import routings_visible
    from tandem.core.formats import fr_amount

    events = []
    routings = routings_visible(actor).filter(company=company)
    for r in routings.select_related("need", "owner", "partner", "office__operator"):
        partner = r.partner_name
        events.append(
            TimelineEvent(
                r.sent_on,
                "routing",
                f"Besoin « {r.need.title} » adressé à {partner}",
                r.owner.name,
                r.message,
            )
        )
        if r.answered_on and r.status != r.Status.REFUSED:
            events.append(
                TimelineEvent(
                    r.answered_on, "routing", f"{partner} prend en charge « {r.need.title} »", partner
                )
            )
        if r.status == r.Status.REFUSED:
            events.append(
                TimelineEvent(
                    r.closed_on, "routing", f"{partner} refuse « {r.need.title} »", partner, r.answer
                )
            )
        if r.status == r.Status.CLOSED:
            result = r.get_outcome_display()
            if r.amount_eur is not None:
                result += f", {fr_amount(r.amount_eur)}"
            events.append(
                TimelineEvent(
                    r.closed_on,
                    "routing",
                    f"{partner} clôture « {r.need.title} » : {result}",
                    partner,
                    r.answer,
                )
            )
        if r.status == r.Status.UNANSWERED and r.returned_at:
            events.append(
                TimelineEvent(
                    r.returned_at.date(),
                    "routing",
                    f"« {r.need.title} » sans réponse de {partner} : revenu à {r.owner.name}",
                    r.owner.name,
                )
            )
    return events


def company_timeline(actor: Actor, company: Company) -> list[TimelineEvent]:
    """One timeline per company across organisations, newest first.

    Exchanges of other organisations that `actor` may not read appear as « Échange avec <organisation> le
    <date> » only: their subject and notes follow the exchange's visibility, like any private object (see
    `perms.exchanges_known_to` and docs/permissions.md)."""
    events: list[TimelineEvent] = []
    readable = set(
        scope_queryset(actor, Exchange.objects.filter(company=company)).values_list("pk", flat=True)
    )
    exchanges = exchanges_known_to(actor, Exchange.objects.filter(company=company)).select_related(
        "owner", "author"
    )
    for ex in exchanges:
        when = f"{ex.happened_on:%d/%m/%Y}"
        if ex.pk in readable:
            author = f" ({ex.author.get_full_name() or ex.author.username})" if ex.author else ""
            events.append(
                TimelineEvent(
                    ex.happened_on,
                    "exchange",
                    f"{ex.get_kind_display().capitalize()} avec {ex.owner.name}{author} le {when} : {ex.topic}",
                    ex.owner.name,
                    ex.notes,
                    exchange_id=ex.pk,
                )
            )
        else:
            events.append(
                TimelineEvent(
                    ex.happened_on,
                    "exchange",
                    f"Échange avec {ex.owner.name} le {when}",
                    ex.owner.name,
                    "",
                    private=True,
                )
            )
    for adv in company_advisors(actor, company):
        person = adv.user.get_full_name() or adv.user.username
        events.append(
            TimelineEvent(
                adv.started_on,
                "advisor",
                f"{person} ({adv.organization.name}) devient {adv.get_role_display()}",
                adv.organization.name,
            )
        )
        if adv.ended_on:
            events.append(
                TimelineEvent(
                    adv.ended_on,
                    "advisor",
                    f"Fin du rôle de {adv.get_role_display()} de {person}",
                    adv.organization.name,
                    adv.handover_note,
                )
            )
    for need in scope_queryset(actor, Need.objects.filter(company=company)).select_related("owner"):
        events.append(
            TimelineEvent(
                need.created_at.date(),
                "need",
                f"Besoin : {need.title} ({need.get_status_display()})",
                need.owner.name,
                need.description,
            )
        )
    events += routing_timeline_events(actor, company)
    for project in scope_queryset(actor, CompanyProject.objects.filter(company=company)).select_related(
        "owner"
    ):
        events.append(
            TimelineEvent(
                project.created_at.date(),
                "project",
                f"Projet : {project.title} ({project.get_kind_display()})",
                project.owner.name,
                project.description,
            )
        )
    journeys = scope_queryset(actor, ParcoursJourney.objects.filter(company=company))
    for step in ParcoursStep.objects.filter(journey__in=journeys).select_related("journey__owner"):
        events.append(
            TimelineEvent(
                step.started_on,
                "parcours",
                f"Parcours de Transformation : {step.get_step_display()}",
                step.journey.owner.name,
            )
        )
    for signal in scope_queryset(actor, Signal.objects.filter(company=company)).select_related("owner"):
        events.append(
            TimelineEvent(
                signal.observed_on,
                "signal",
                f"Signal : {signal.get_category_display()} — source : {signal.get_source_display()}",
                signal.owner.name,
                signal.description,
            )
        )
    for change in RegistryChange.objects.filter(company=company, effective_on__isnull=False):
        events.append(
            TimelineEvent(
                change.effective_on,
                "registry",
                f"Répertoire SIRENE : {change.get_kind_display()}"
                + (f" ({change.establishment_id})" if change.establishment_id else ""),
                "INSEE",
            )
        )
    # Industrial ecology: the synergies involving the company, one event per stage change.
    from tandem.eit.selectors import company_synergy_events

    events.extend(company_synergy_events(actor, company))
    # Industrial decarbonation: the company's decarbonation projects (permission layer).
    from tandem.decarbonation.selectors import company_project_events

    events.extend(company_project_events(actor, company))
    events.sort(key=lambda e: e.on, reverse=True)
    return events


def advisor_companies(actor: Actor) -> QuerySet[CompanyAdvisor]:
    """The companies `actor`'s user follows today (référent, co-conseiller or expert), by company name."""
    return scope_queryset(
        actor, CompanyAdvisor.objects.filter(user=actor.user, ended_on=None).select_related("company")
    ).order_by("company__name", "company_id")


def reminders_due(actor: Actor, *, on: date) -> QuerySet:
    """The actor's own reminders due on or before `on`, not done."""
    return scope_queryset(
        actor, Reminder.objects.filter(assignee=actor.user, done_at=None, remind_on__lte=on)
    )


def needs_for(actor: Actor, *, status: str = "ouverts", whole_network: bool = False) -> QuerySet:
    """Needs `actor` may see, in their territory unless `whole_network`; open ones (« ouverts »), overdue ones
    (« en retard ») or all (« tous »); soonest due first."""
    needs = scope_queryset(actor, Need.objects.select_related("company", "owner", "assignee"))
    codes = None if whole_network else actor_communes(actor)
    if codes is not None:
        needs = needs.filter(commune_id__in=codes)
    if status in ("ouverts", "en-retard"):
        needs = needs.filter(status__in=Need.OPEN_STATUSES)
    if status == "en-retard":
        needs = needs.filter(due_on__lt=timezone.localdate())
    return needs.order_by(F("due_on").asc(nulls_last=True), "pk")


def followup_territory_figures(actor: Actor, territory, *, start: date, end: date) -> dict:
    """Numbers about the follow-up in `territory` (a `land.selectors.Territory`), over what `actor` may see:
    companies followed on `end` (an advisor in post), those with a named référent de proximité, exchanges
    and needs opened in `start`–`end`, needs closed then and those closed by their due date, companies in the
    Parcours de Transformation (entered by `end`)."""
    in_territory = territory.commune_q()
    advisors = scope_queryset(
        actor,
        CompanyAdvisor.objects.filter(in_territory, started_on__lte=end).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=end)
        ),
    )
    followed = advisors.values("company_id").distinct().count()
    with_referent = advisors.filter(role=CompanyAdvisor.Role.REFERENT).values("company_id").distinct().count()
    needs = scope_queryset(actor, Need.objects.filter(in_territory))
    closed = needs.filter(closed_on__range=(start, end))
    return {
        "followed": followed,
        "with_referent": with_referent,
        "referent_share_pct": round(100 * with_referent / followed, 1) if followed else None,
        "exchanges": scope_queryset(
            actor, Exchange.objects.filter(in_territory, happened_on__range=(start, end))
        ).count(),
        "needs_opened": needs.filter(created_at__date__range=(start, end)).count(),
        "needs_closed": closed.count(),
        "needs_closed_in_time": closed.filter(Q(due_on__isnull=True) | Q(closed_on__lte=F("due_on"))).count(),
        "parcours": scope_queryset(
            actor, ParcoursJourney.objects.filter(in_territory, entered_on__lte=end)
        ).count(),
    }
