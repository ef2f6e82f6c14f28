"""Project reviews of an area: the agenda built from the data, minutes, decisions, and actions carried forward
from one review to the next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from tandem.companies.models import (
    AgendaRule,
    CompanyProject,
    Establishment,
    Need,
    ParcoursJourney,
    ProjectReview,
    ReviewAction,
    ReviewAgendaItem,
    ReviewDecision,
    Signal,
)
from tandem.companies.parcours import stalled_steps
from tandem.core.audit import audit_record
from tandem.core.errors import UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor, can_change, can_create, scope_queryset
from tandem.territories.models import Commune, Perimeter

# Without a previous review, « since the last review » means this many days before the review date.
DEFAULT_LOOKBACK_DAYS = 90
OPEN_SIGNAL_STATUSES = (Signal.Status.NEW, Signal.Status.ACKNOWLEDGED)


@dataclass(frozen=True)
class AgendaEntry:
    rule: str
    company_id: str
    label: str
    on: date | None
    object_type: str = ""
    object_id: str = ""
    establishment_id: str | None = None


def area_communes(*, perimeter: Perimeter | None = None, organization: Organization | None = None):
    """The commune codes of a review area, as a subquery."""
    if perimeter is not None:
        return Commune.objects.filter(perimeters=perimeter).values("pk")
    if organization is not None:
        return Commune.objects.filter(organizations=organization).values("pk")
    raise UserError("Une revue porte sur un périmètre ou sur le territoire d'une organisation.")


def review_agenda(*, actor: Actor, communes, on: date, since: date, stall_days: int) -> list[AgendaEntry]:
    """The agenda of a review of the area `communes` held on `on`, from what `actor` may see:
    needs past due, open fragility signals, Parcours steps stalled for more than `stall_days` days, land or
    premises needs without answer, and establishments created or closed since `since` (the last review)."""
    entries: list[AgendaEntry] = []
    needs = scope_queryset(actor, Need.objects.all()).filter(
        commune__in=communes, status__in=Need.OPEN_STATUSES, due_on__lt=on
    )
    for need in needs.order_by("due_on", "pk"):
        entries.append(
            AgendaEntry(
                AgendaRule.NEED_PAST_DUE,
                need.company_id,
                f"Besoin en retard : {need.title} ({need.get_topic_display()}), échéance {need.due_on:%d/%m/%Y}",
                need.due_on,
                "companies.need",
                str(need.pk),
            )
        )
    signals = scope_queryset(actor, Signal.objects.all()).filter(
        commune__in=communes, status__in=OPEN_SIGNAL_STATUSES, observed_on__lte=on
    )
    for signal in signals.order_by("observed_on", "pk"):
        entries.append(
            AgendaEntry(
                AgendaRule.SIGNAL_OPEN,
                signal.company_id,
                f"Signal : {signal.get_category_display()} ({signal.get_source_display()}, "
                f"{signal.observed_on:%d/%m/%Y})",
                signal.observed_on,
                "companies.signal",
                str(signal.pk),
                signal.establishment_id,
            )
        )
    journeys = scope_queryset(actor, ParcoursJourney.objects.all()).filter(commune__in=communes)
    for step in stalled_steps(journeys=journeys, on=on, stall_days=stall_days).select_related("journey"):
        days = (on - step.started_on).days
        entries.append(
            AgendaEntry(
                AgendaRule.PARCOURS_STALLED,
                step.journey.company_id,
                f"Parcours : « {step.get_step_display()} » en cours depuis {days} jours",
                step.started_on,
                "companies.parcoursjourney",
                str(step.journey_id),
            )
        )
    projects = scope_queryset(actor, CompanyProject.objects.all()).filter(
        commune__in=communes,
        kind__in=CompanyProject.LAND_KINDS,
        status=CompanyProject.Status.OPEN,
        answered_on=None,
        created_at__date__lte=on,
    )
    for project in projects.order_by("created_at", "pk"):
        entries.append(
            AgendaEntry(
                AgendaRule.LAND_UNANSWERED,
                project.company_id,
                f"{project.get_kind_display().capitalize()} sans réponse : {project.title} "
                f"({project.surface_needed_m2} m²)",
                project.created_at.date(),
                "companies.companyproject",
                str(project.pk),
            )
        )
    # The registry is public: every member of the review sees the same creations and closures.
    created = Establishment.objects.filter(
        commune_code__in=communes, created_on__gt=since, created_on__lte=on
    )
    for est in created.order_by("created_on", "siret"):
        entries.append(
            AgendaEntry(
                AgendaRule.ESTABLISHMENT_CREATED,
                est.company_id,
                f"Établissement créé le {est.created_on:%d/%m/%Y} à {est.commune_label} ({est.siret})",
                est.created_on,
                "companies.establishment",
                est.siret,
                est.siret,
            )
        )
    closed = Establishment.objects.filter(
        commune_code__in=communes, state=Establishment.State.CLOSED, closed_on__gt=since, closed_on__lte=on
    )
    for est in closed.order_by("closed_on", "siret"):
        entries.append(
            AgendaEntry(
                AgendaRule.ESTABLISHMENT_CLOSED,
                est.company_id,
                f"Établissement fermé le {est.closed_on:%d/%m/%Y} à {est.commune_label} ({est.siret})",
                est.closed_on,
                "companies.establishment",
                est.siret,
                est.siret,
            )
        )
    return entries


def previous_review(*, actor: Actor, perimeter=None, organization=None, before: date) -> ProjectReview | None:
    """The last review of the same area held before `before` that `actor` may see."""
    reviews = scope_queryset(actor, ProjectReview.objects.all()).filter(held_on__lt=before)
    if perimeter is not None:
        reviews = reviews.filter(area_perimeter=perimeter)
    else:
        reviews = reviews.filter(area_organization=organization, area_perimeter=None)
    return reviews.order_by("-held_on", "-pk").first()


@transaction.atomic
def review_create(
    *,
    actor: Actor,
    owner: Organization,
    held_on: date,
    title: str = "",
    perimeter: Perimeter | None = None,
    organization: Organization | None = None,
    stall_days: int = 120,
    visibility: str = Visibility.REGION,
    shared_with=(),
) -> ProjectReview:
    """Prepare a review of an area on a date: its agenda is built from the data, and the unfinished actions of
    the previous review of the same area are carried forward."""
    if perimeter is None and organization is None:
        raise UserError(
            "Choisissez le périmètre de la revue (un périmètre ou le territoire d'une organisation)."
        )
    if (
        perimeter is not None
        and not scope_queryset(actor, Perimeter.objects.filter(pk=perimeter.pk)).exists()
    ):
        raise UserError("Périmètre introuvable.")
    if not can_create(actor, ProjectReview, owner=owner):
        raise UserError(f"Vous ne pouvez pas préparer de revue pour {owner}.")
    previous = previous_review(actor=actor, perimeter=perimeter, organization=organization, before=held_on)
    since = previous.held_on if previous else held_on - timedelta(days=DEFAULT_LOOKBACK_DAYS)
    area = perimeter or organization
    review = ProjectReview.objects.create(
        owner=owner,
        visibility=visibility,
        area_perimeter=perimeter,
        area_organization=None if perimeter is not None else organization,
        title=title or f"Revue de projets — {area}",
        held_on=held_on,
        stall_days=stall_days,
        previous=previous,
        since=since,
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    if shared_with:
        review.shared_with.set(shared_with)
    _agenda_store(actor, review)
    if previous is not None:
        for action in previous.actions.filter(done_on=None).order_by("pk"):
            ReviewAction.objects.create(
                review=review,
                company_id=action.company_id,
                text=action.text,
                assignee_id=action.assignee_id,
                assignee_organization_id=action.assignee_organization_id,
                due_on=action.due_on,
                carried_from=action,
            )
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=review, details={"agenda": review.agenda.count()}
    )
    return review


def _agenda_store(actor: Actor, review: ProjectReview) -> None:
    communes = area_communes(perimeter=review.area_perimeter, organization=review.area_organization)
    entries = review_agenda(
        actor=actor, communes=communes, on=review.held_on, since=review.since, stall_days=review.stall_days
    )
    review.agenda.all().delete()
    ReviewAgendaItem.objects.bulk_create(
        [
            ReviewAgendaItem(
                review=review,
                rule=e.rule,
                company_id=e.company_id,
                establishment_id=e.establishment_id,
                label=e.label[:255],
                on=e.on,
                object_type=e.object_type,
                object_id=e.object_id,
            )
            for e in entries
        ]
    )


def review_agenda_rebuild(*, actor: Actor, review: ProjectReview) -> ProjectReview:
    """Rebuild the agenda from today's data (before the meeting)."""
    _require(actor, review)
    with transaction.atomic():
        _agenda_store(actor, review)
        audit_record(
            actor=actor, action=AuditEvent.Action.UPDATE, obj=review, details={"agenda_rebuilt": True}
        )
    return review


def _require(actor: Actor, review: ProjectReview) -> None:
    if not can_change(actor, review):
        raise UserError("Vous ne pouvez pas modifier cette revue.")


def review_minutes_set(*, actor: Actor, review: ProjectReview, minutes: str) -> ProjectReview:
    """Record the minutes of the meeting."""
    _require(actor, review)
    review.minutes = minutes
    review.save(update_fields=["minutes", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=review, details={"minutes": True})
    return review


def review_decision_add(*, actor: Actor, review: ProjectReview, text: str, company=None) -> ReviewDecision:
    _require(actor, review)
    if not text.strip():
        raise UserError("La décision est vide.")
    decision = ReviewDecision.objects.create(review=review, text=text, company=company)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=review, details={"decision": decision.pk})
    return decision


def review_action_add(
    *,
    actor: Actor,
    review: ProjectReview,
    text: str,
    company=None,
    assignee=None,
    assignee_organization: Organization | None = None,
    due_on: date | None = None,
) -> ReviewAction:
    """An action decided in the review, with who does it and by when."""
    _require(actor, review)
    if not text.strip():
        raise UserError("L'action est vide.")
    action = ReviewAction.objects.create(
        review=review,
        text=text,
        company=company,
        assignee=assignee,
        assignee_organization=assignee_organization,
        due_on=due_on,
    )
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=review, details={"action": action.pk})
    return action


def review_action_done(*, actor: Actor, action: ReviewAction, on: date) -> ReviewAction:
    _require(actor, action.review)
    action.done_on = on
    action.save(update_fields=["done_on"])
    audit_record(
        actor=actor, action=AuditEvent.Action.UPDATE, obj=action.review, details={"action_done": action.pk}
    )
    return action
