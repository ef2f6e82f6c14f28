"""Project reviews of an area: the agenda built from the data, minutes, decisions, and actions carried forward
from one review to the next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from tandem.companies.models import (
    AgendaRule,
    Company,
    CompanyProject,
    Establishment,
    Need,
    ParcoursJourney,
    ParcoursStep,
    ProjectReview,
    ReviewAction,
    ReviewAgendaItem,
    ReviewDecision,
    Signal,
)
from tandem.companies.parcours import stalled_steps
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import (
    Actor,
    can_change,
    can_create,
    can_share,
    scope_queryset,
    sharing_requested,
)
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


# --- agenda labels: built from the referenced object, for whoever reads it --------------------------------------


def _need_label(need: Need) -> str:
    return f"Besoin en retard : {need.title} ({need.get_topic_display()}), échéance {need.due_on:%d/%m/%Y}"


def _signal_label(signal: Signal) -> str:
    return (
        f"Signal : {signal.get_category_display()} ({signal.get_source_display()}, "
        f"{signal.observed_on:%d/%m/%Y})"
    )


def _step_label(step: ParcoursStep, on: date) -> str:
    return f"Parcours : « {step.get_step_display()} » en cours depuis {(on - step.started_on).days} jours"


def _project_label(project: CompanyProject) -> str:
    return (
        f"{project.get_kind_display().capitalize()} sans réponse : {project.title} "
        f"({project.surface_needed_m2} m²)"
    )


def _created_label(est: Establishment) -> str:
    return f"Établissement créé le {est.created_on:%d/%m/%Y} à {est.commune_label} ({est.siret})"


def _closed_label(est: Establishment) -> str:
    return f"Établissement fermé le {est.closed_on:%d/%m/%Y} à {est.commune_label} ({est.siret})"


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
                _need_label(need),
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
                _signal_label(signal),
                signal.observed_on,
                "companies.signal",
                str(signal.pk),
                signal.establishment_id,
            )
        )
    journeys = scope_queryset(actor, ParcoursJourney.objects.all()).filter(commune__in=communes)
    for step in stalled_steps(journeys=journeys, on=on, stall_days=stall_days).select_related("journey"):
        entries.append(
            AgendaEntry(
                AgendaRule.PARCOURS_STALLED,
                step.journey.company_id,
                _step_label(step, on),
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
                _project_label(project),
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
                _created_label(est),
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
                _closed_label(est),
                est.closed_on,
                "companies.establishment",
                est.siret,
                est.siret,
            )
        )
    return entries


@dataclass(frozen=True)
class AgendaLine:
    """One agenda item as a given reader sees it (the page, the API and the exports show these)."""

    rule: str
    company: Company
    label: str
    on: date | None

    @property
    def company_id(self) -> str:
        return self.company.pk

    def get_rule_display(self) -> str:
        return AgendaRule(self.rule).label


def _visible_objects(actor: Actor, items) -> dict[tuple[str, str], object]:
    """The objects the agenda items refer to that `actor` may see now, keyed by (object type, id). Another
    organisation's private follow-up is not visible, so its item is not shown. Unknown types: nothing."""
    ids: dict[str, set[str]] = {}
    for item in items:
        ids.setdefault(item.object_type, set()).add(item.object_id)
    found: dict[tuple[str, str], object] = {}
    shared_models = {
        "companies.need": Need,
        "companies.signal": Signal,
        "companies.companyproject": CompanyProject,
        "companies.parcoursjourney": ParcoursJourney,
    }
    for object_type, type_ids in ids.items():
        if object_type in shared_models:
            pks = [int(i) for i in type_ids if i.isdigit()]
            visible = scope_queryset(actor, shared_models[object_type].objects.all()).filter(pk__in=pks)
            if object_type == "companies.parcoursjourney":
                # A stalled journey is shown by its step in progress.
                visible = ParcoursStep.objects.filter(
                    journey__in=visible, status=ParcoursStep.Status.IN_PROGRESS
                ).select_related("journey")
                found.update({(object_type, str(step.journey_id)): step for step in visible})
            else:
                found.update({(object_type, str(obj.pk)): obj for obj in visible})
        elif object_type == "companies.establishment":
            # The registry is public: every reader sees the same creations and closures.
            found.update(
                {(object_type, e.siret): e for e in Establishment.objects.filter(siret__in=type_ids)}
            )
    return found


def review_agenda_for(*, actor: Actor, review: ProjectReview) -> list[AgendaLine]:
    """The review's agenda as `actor` sees it: each stored reference is checked against the permission layer
    at read time and labelled from the live object. An item about an object `actor` may not see is left out,
    so the page, the API and the exports never show another organisation's private follow-up."""
    items = list(review.agenda.select_related("company"))
    objects = _visible_objects(actor, items)
    label_of = {
        AgendaRule.NEED_PAST_DUE: _need_label,
        AgendaRule.SIGNAL_OPEN: _signal_label,
        AgendaRule.PARCOURS_STALLED: lambda step: _step_label(step, review.held_on),
        AgendaRule.LAND_UNANSWERED: _project_label,
        AgendaRule.ESTABLISHMENT_CREATED: lambda e: _created_label(e) if e.created_on else "",
        AgendaRule.ESTABLISHMENT_CLOSED: lambda e: _closed_label(e) if e.closed_on else "",
    }
    lines = []
    for item in items:
        obj = objects.get((item.object_type, item.object_id))
        label = label_of[item.rule](obj) if obj is not None and item.rule in label_of else ""
        if label:
            lines.append(AgendaLine(rule=item.rule, company=item.company, label=label, on=item.on))
    return lines


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
    visibility: str | None = None,
    shared_with=(),
) -> ProjectReview:
    """Prepare a review of an area on a date: its agenda is built from the data, and the unfinished actions of
    the previous review of the same area are carried forward.

    Who sees the review is the owner's decision (`can_share`). By default (`visibility=None`) the owner's own
    members share it with the Région, which coordinates the reviews; a delegate preparing it for the owner
    keeps it private to the owner. Either way each reader sees only the agenda items they may see."""
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
        raise NotAllowed(f"Vous ne pouvez pas préparer de revue pour {owner}.")
    if visibility is None:
        visibility = Visibility.REGION if can_share(actor, owner=owner) else Visibility.PRIVATE
    if sharing_requested(visibility, shared_with) and not can_share(actor, owner=owner):
        raise NotAllowed(
            f"Seule l'organisation propriétaire ({owner}) décide avec qui la revue est partagée : "
            "préparez-la sans organisation participante, elle restera visible de cette organisation."
        )
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
    # References only, never the labels: each reader sees the items they may see (`review_agenda_for`).
    ReviewAgendaItem.objects.bulk_create(
        [
            ReviewAgendaItem(
                review=review,
                rule=e.rule,
                company_id=e.company_id,
                establishment_id=e.establishment_id,
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
        raise NotAllowed("Vous ne pouvez pas modifier cette revue.")


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
