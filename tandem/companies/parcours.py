"""The Parcours de Transformation: writes (enter, move to a step, record the aid) and the indicators."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from tandem.companies.followup import _create, _require_change, project_create
from tandem.companies.models import (
    STEP_ORDER,
    Company,
    CompanyProject,
    ParcoursJourney,
    ParcoursStep,
    ParcoursStepKind,
    SolutionProvider,
)
from tandem.companies.perms import can_manage_providers
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor, scope_queryset
from tandem.skills.jobs import job_resolve

# The Région's objective: 1,500 companies in the Parcours by 2030 (about 600 when Tandem started).
TARGET_COMPANIES = 1500
TARGET_YEAR = 2030


@transaction.atomic
def parcours_step_move(
    *,
    actor: Actor,
    company: Company,
    step: str,
    owner: Organization | None = None,
    on: date | None = None,
    provider: SolutionProvider | None = None,
    aid_granted: bool = False,
    aid_label: str = "",
    aid_amount_eur: Decimal | None = None,
) -> ParcoursJourney:
    """Move `company` to `step` of the Parcours on date `on`: the step in progress is completed that day and
    the new step starts. A company not yet in the Parcours enters it at that step (owned by `owner`, shared
    with the Région, which runs the programme)."""
    on = on or timezone.localdate()
    if step not in STEP_ORDER:
        raise UserError(f"Étape inconnue : « {step} ».")
    # Unscoped on purpose: a company has one Parcours, whoever owns it; changing it is checked below.
    journey = ParcoursJourney.objects.unscoped().select_for_update().filter(company=company).first()
    if journey is None:
        if owner is None:
            raise UserError("Indiquez l'organisation qui inscrit l'entreprise dans le Parcours.")
        journey = _create(
            actor,
            ParcoursJourney,
            owner=owner,
            company=company,
            visibility=Visibility.REGION,
            fixed_visibility=True,
            entered_on=on,
            current_step=step,
        )
    else:
        _require_change(actor, journey)
        if journey.status != ParcoursJourney.Status.ACTIVE:
            raise UserError("Ce Parcours est clos.")
        if STEP_ORDER.index(step) <= STEP_ORDER.index(journey.current_step):
            raise UserError(
                f"L'entreprise est déjà à l'étape « {journey.get_current_step_display()} » : "
                "le Parcours avance d'une étape à la suivante."
            )
        current = journey.steps.filter(
            step=journey.current_step, status=ParcoursStep.Status.IN_PROGRESS
        ).first()
        if current is not None:
            if on < current.started_on:
                raise UserError("La nouvelle étape ne peut pas commencer avant la fin de l'étape en cours.")
            current.status = ParcoursStep.Status.DONE
            current.completed_on = on
            current.save(update_fields=["status", "completed_on"])
        journey.current_step = step
        journey.save(update_fields=["current_step", "updated_at"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=journey, details={"step": step})
    ParcoursStep.objects.create(
        journey=journey,
        step=step,
        started_on=on,
        provider=provider,
        aid_granted=aid_granted,
        aid_label=aid_label,
        aid_amount_eur=aid_amount_eur,
    )
    return journey


def parcours_step_update(
    *,
    actor: Actor,
    step: ParcoursStep,
    provider: SolutionProvider | None = None,
    aid_granted: bool | None = None,
    aid_label: str | None = None,
    aid_amount_eur: Decimal | None = None,
) -> ParcoursStep:
    """Record the operator and the aid granted for a step."""
    _require_change(actor, step.journey)
    if provider is not None:
        step.provider = provider
    if aid_granted is not None:
        step.aid_granted = aid_granted
    if aid_label is not None:
        step.aid_label = aid_label
    if aid_amount_eur is not None:
        if aid_amount_eur < 0:
            raise UserError("Le montant de l'aide ne peut pas être négatif.")
        step.aid_amount_eur = aid_amount_eur
    step.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=step.journey, details={"step": step.step})
    return step


# The skills step of the Parcours: the 360° diagnostic reviews the company's human resources and skills; the
# hiring needs it finds are recorded on that step (docs/companies.md « Volet compétences »).
SKILLS_STEP = ParcoursStepKind.DIAGNOSTIC


@transaction.atomic
def parcours_hiring_need(
    *,
    actor: Actor,
    journey: ParcoursJourney,
    job: str,
    jobs: int,
    expected_on: date | None = None,
    description: str = "",
) -> CompanyProject:
    """Record a hiring need of the Parcours' skills step (the 360° diagnostic): a job (title or code, resolved
    to ROME by `skills.jobs.job_resolve`), a number of jobs and a date. The need IS a company project
    (recruitment) linked to the step — the record the jobs-and-skills gaps read —, created by
    `followup.project_create`; recording the same job again on the step updates its count and date."""
    _require_change(actor, journey)
    step = journey.steps.filter(step=SKILLS_STEP).first()
    if step is None:
        raise UserError(
            f"Les besoins de recrutement du Parcours se saisissent à l'étape « {SKILLS_STEP.label} » : "
            "l'entreprise n'y est pas encore passée."
        )
    if not jobs or jobs < 1:
        raise UserError("Indiquez le nombre d'emplois à pourvoir (au moins 1).")
    match = job_resolve(job)
    if not match.title:
        raise UserError("Indiquez le métier recherché (intitulé ou code).")
    # Read through the permission layer: the actor may change the journey, so it sees the step's needs.
    existing = scope_queryset(actor, CompanyProject.objects.filter(parcours_step=step))
    existing = (
        existing.filter(job_code=match.code)
        if match.code
        else existing.filter(job_code="", job_title__iexact=match.title)
    ).first()
    if existing is not None:
        existing.jobs, existing.expected_on = jobs, expected_on
        existing.job_title, existing.job_confidence = match.title[:250], match.confidence
        existing.status = CompanyProject.Status.OPEN
        existing.save(
            update_fields=["jobs", "expected_on", "job_title", "job_confidence", "status", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=existing,
            details={"parcours": step.step, "jobs": jobs},
        )
        return existing
    return project_create(
        actor=actor,
        owner=journey.owner,
        company=journey.company,
        kind=CompanyProject.Kind.RECRUITMENT,
        title=f"Recrutement identifié au {SKILLS_STEP.label} du Parcours",
        description=description,
        jobs=jobs,
        job_code=match.code,
        job_title=match.title,
        job_confidence=match.confidence,
        expected_on=expected_on,
        visibility=journey.visibility,
        parcours_step=step,
    )


def parcours_close(
    *, actor: Actor, journey: ParcoursJourney, status: str, on: date | None = None
) -> ParcoursJourney:
    """End a journey (completed or abandoned); the step in progress ends with it."""
    _require_change(actor, journey)
    if status not in (ParcoursJourney.Status.COMPLETED, ParcoursJourney.Status.ABANDONED):
        raise UserError("Un Parcours se clôt « terminé » ou « abandonné ».")
    on = on or timezone.localdate()
    step_status = (
        ParcoursStep.Status.DONE
        if status == ParcoursJourney.Status.COMPLETED
        else ParcoursStep.Status.ABANDONED
    )
    journey.steps.filter(status=ParcoursStep.Status.IN_PROGRESS).update(status=step_status, completed_on=on)
    journey.status = status
    journey.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=journey, details={"status": status})
    return journey


def provider_create(
    *, actor: Actor, name: str, domain: str, services: str = "", website: str = "", siren: str = ""
) -> SolutionProvider:
    """Reference a solution provider in a Grand Est Transformation network (the Région's register)."""
    if not can_manage_providers(actor):
        raise NotAllowed("Seule la Région tient le registre des offreurs de solutions.")
    if SolutionProvider.objects.filter(name=name, domain=domain).exists():
        raise UserError(f"« {name} » est déjà référencé dans ce réseau.")
    provider = SolutionProvider.objects.create(
        name=name, domain=domain, services=services, website=website, siren=siren
    )
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=provider)
    return provider


# --- indicators ---------------------------------------------------------------------------------------------


@dataclass
class ParcoursIndicators:
    total: int
    active: int
    target: int
    target_year: int
    progress_pct: float
    needed_per_year: int
    by_year: list[dict] = field(default_factory=list)
    by_departement: list[dict] = field(default_factory=list)
    by_epci: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)  # per step: reached, current, conversion, average days
    aid_total_eur: Decimal = Decimal(0)


def parcours_indicators(*, actor: Actor, on: date | None = None) -> ParcoursIndicators:
    """Aggregate indicators over the journeys `actor` may see (the Région sees those shared with it):
    companies entered per year and per territory against the 2030 target, conversion from one step to the
    next, time spent in each step. Every figure is one aggregate query."""
    on = on or timezone.localdate()
    journeys = scope_queryset(actor, ParcoursJourney.objects.all())
    total = journeys.count()
    active = journeys.filter(status=ParcoursJourney.Status.ACTIVE).count()
    by_year = list(
        journeys.annotate(year=ExtractYear("entered_on"))
        .values("year")
        .annotate(companies=Count("id"))
        .order_by("year")
    )
    by_departement = list(
        journeys.values(code=F("commune__departement_id"), name=F("commune__departement__name"))
        .annotate(companies=Count("id"))
        .order_by("-companies", "code")
    )
    by_epci = list(
        journeys.values(siren=F("commune__epci_id"), name=F("commune__epci__name"))
        .annotate(companies=Count("id"))
        .order_by("-companies", "name")[:50]
    )
    steps = ParcoursStep.objects.filter(journey__in=journeys)
    reached = dict(steps.values_list("step").annotate(n=Count("journey", distinct=True)))
    in_progress = dict(
        steps.filter(status=ParcoursStep.Status.IN_PROGRESS).values_list("step").annotate(n=Count("id"))
    )
    duration = ExpressionWrapper(
        Coalesce(F("completed_on"), on) - F("started_on"), output_field=DurationField()
    )
    avg_days = dict(steps.values_list("step").annotate(d=Avg(duration)))
    done_days = dict(
        steps.filter(status=ParcoursStep.Status.DONE).values_list("step").annotate(d=Avg(duration))
    )
    rows, previous = [], None
    for kind in ParcoursStepKind:
        count = reached.get(kind.value, 0)
        rows.append(
            {
                "step": kind.value,
                "label": kind.label,
                "reached": count,
                "in_progress": in_progress.get(kind.value, 0),
                # Share of the companies that reached the previous step and went on to this one.
                "conversion_pct": None if previous in (None, 0) else round(100 * count / previous, 1),
                "avg_days": _days(avg_days.get(kind.value)),
                "avg_days_done": _days(done_days.get(kind.value)),
            }
        )
        previous = count
    aid = steps.filter(aid_granted=True).aggregate(total=Sum("aid_amount_eur"))["total"] or Decimal(0)
    years_left = max(TARGET_YEAR - on.year + 1, 1)
    return ParcoursIndicators(
        total=total,
        active=active,
        target=TARGET_COMPANIES,
        target_year=TARGET_YEAR,
        progress_pct=round(100 * total / TARGET_COMPANIES, 1),
        needed_per_year=max(TARGET_COMPANIES - total, 0) // years_left
        + (1 if max(TARGET_COMPANIES - total, 0) % years_left else 0),
        by_year=by_year,
        by_departement=by_departement,
        by_epci=by_epci,
        steps=rows,
        aid_total_eur=aid,
    )


def _days(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86400, 1)


def stalled_steps(*, journeys, on: date, stall_days: int):
    """Steps in progress since more than `stall_days` days on `on` (for the project reviews)."""
    return ParcoursStep.objects.filter(
        Q(journey__in=journeys.filter(status=ParcoursJourney.Status.ACTIVE)),
        status=ParcoursStep.Status.IN_PROGRESS,
        started_on__lt=on - timedelta(days=stall_days),
    )
