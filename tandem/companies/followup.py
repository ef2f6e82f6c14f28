"""Writes on the follow-up of companies: référents and handovers, co-advisors and experts, contacts,
exchanges, needs, reminders and projects. Every write goes through the permission layer and is audited."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tandem.companies.models import (
    Company,
    CompanyAdvisor,
    CompanyProject,
    Contact,
    Exchange,
    Need,
    Reminder,
)
from tandem.companies.perms import can_hand_over_referent
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Membership, Organization, Visibility
from tandem.organizations.perms import Actor, can_change, can_create, can_share, sharing_requested
from tandem.prospects.labour import JOB_CODE as FAP_CODE
from tandem.skills.jobs import job_resolve


def company_commune_for(company: Company, owner: Organization | None = None) -> str | None:
    """Where a follow-up object about `company` is placed: an establishment in the owner's perimeter if there
    is one (active first), otherwise the head office, otherwise any establishment. One query."""
    perimeter = Organization.communes.through.objects.filter(
        organization_id=owner.pk if owner is not None else None, commune_id=OuterRef("commune_id")
    )
    rows = list(
        company.establishments.exclude(commune_id=None)
        .annotate(inside=Exists(perimeter))
        .order_by("state", "-is_head_office", "siret")
        .values_list("commune_id", "is_head_office", "inside")
    )
    inside = [commune_id for commune_id, _head, is_inside in rows if is_inside]
    heads = [commune_id for commune_id, is_head, _inside in rows if is_head]
    return (inside or heads or [row[0] for row in rows] or [None])[0]


def _user_of(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _create(
    actor: Actor,
    model,
    *,
    owner: Organization,
    company: Company,
    commune_id=None,
    shared_with=(),
    fixed_visibility: bool = False,
    **fields,
):
    """Create a follow-up object. Its visibility and `shared_with` are the owner's decision (`can_share`),
    unless the domain fixes the visibility (`fixed_visibility`: a référent is known to the network, a
    Parcours to the Région)."""
    commune_id = commune_id or company_commune_for(company, owner)
    if not can_create(actor, model, owner=owner, commune_code=commune_id):
        raise NotAllowed(
            f"Vous ne pouvez pas enregistrer « {model._meta.verbose_name} » pour {owner} sur ce territoire."
        )
    if (
        not fixed_visibility
        and sharing_requested(fields.get("visibility"), shared_with)
        and not can_share(actor, owner=owner)
    ):
        raise NotAllowed(
            f"Seule l'organisation propriétaire ({owner}) décide avec qui « {model._meta.verbose_name} » est "
            "partagé : enregistrez-le avec la visibilité « organisation propriétaire »."
        )
    obj = model.objects.create(
        owner=owner, company=company, commune_id=commune_id, created_by=_user_of(actor), **fields
    )
    if shared_with:
        # Designated organisations read it whatever the visibility level.
        obj.shared_with.set(shared_with)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=obj, details={"siren": company.pk})
    return obj


def _require_change(actor: Actor, obj) -> None:
    if not can_change(actor, obj):
        raise NotAllowed("Vous ne pouvez pas modifier cet élément.")


# --- référents, co-advisors, experts --------------------------------------------------------------------------


def current_referent(company: Company) -> CompanyAdvisor | None:
    # Unscoped on purpose: a company's référent is known to the whole network (docs/permissions.md).
    return (
        CompanyAdvisor.objects.unscoped()
        .filter(company=company, role=CompanyAdvisor.Role.REFERENT, ended_on=None)
        .select_related("user", "organization")
        .first()
    )


@transaction.atomic
def advisor_assign(
    *,
    actor: Actor,
    company: Company,
    user,
    organization: Organization,
    role: str = CompanyAdvisor.Role.REFERENT,
    started_on: date | None = None,
    expertise: str = "",
    handover_note: str = "",
) -> CompanyAdvisor:
    """Name a person (a member of `organization`) référent, co-advisor or expert of `company`.

    Naming a référent hands the company over: the current référent's assignment ends the same day with the
    reason given, so the dated history of référents is kept. The database guarantees one current référent.
    """
    started_on = started_on or timezone.localdate()
    if role not in CompanyAdvisor.Role.values:
        raise UserError(f"Rôle inconnu : « {role} ».")
    if not Membership.objects.filter(user=user, organization=organization).exists():
        raise UserError(f"{user} n'est pas membre de {organization}.")
    # Serialise concurrent handovers of the same company.
    Company.objects.select_for_update().filter(pk=company.pk).first()
    if role == CompanyAdvisor.Role.REFERENT:
        current = current_referent(company)
        if current is not None and current.user_id == user.pk and current.organization_id == organization.pk:
            raise UserError(f"{user} est déjà le référent de cette entreprise.")
        if current is not None:
            if not can_hand_over_referent(actor, current):
                raise NotAllowed(
                    f"Cette entreprise a déjà un référent ({current.user}, {current.organization}) : seule son "
                    "organisation ou la Région peut organiser la passation."
                )
            if started_on < current.started_on:
                raise UserError("La passation ne peut pas précéder la prise de fonction du référent actuel.")
            current.ended_on = started_on
            current.handover_note = handover_note or "passation"
            current.save(update_fields=["ended_on", "handover_note", "updated_at"])
            audit_record(
                actor=actor, action=AuditEvent.Action.UPDATE, obj=current, details={"handover": True}
            )
    try:
        with transaction.atomic():
            return _create(
                actor,
                CompanyAdvisor,
                owner=organization,
                company=company,
                # Who follows a company is known to the whole network: that is the point of a référent.
                visibility=Visibility.NETWORK,
                fixed_visibility=True,
                user=user,
                organization=organization,
                role=role,
                expertise=expertise,
                started_on=started_on,
            )
    except IntegrityError as exc:
        raise UserError(
            "Un autre référent vient d'être nommé pour cette entreprise ; rechargez la page."
        ) from exc


def advisor_end(
    *, actor: Actor, advisor: CompanyAdvisor, ended_on: date | None = None, note: str = ""
) -> CompanyAdvisor:
    """End a co-advisor's or an expert's assignment (a référent is replaced with `advisor_assign`)."""
    _require_change(actor, advisor)
    if advisor.role == CompanyAdvisor.Role.REFERENT:
        raise UserError("Un référent ne s'arrête pas seul : nommez son successeur (passation).")
    advisor.ended_on = ended_on or timezone.localdate()
    advisor.handover_note = note
    advisor.save(update_fields=["ended_on", "handover_note", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=advisor)
    return advisor


# --- contacts ------------------------------------------------------------------------------------------------


def contact_create(
    *,
    actor: Actor,
    owner: Organization,
    company: Company,
    full_name: str,
    purpose: str,
    source: str,
    job_title: str = "",
    email: str = "",
    phone: str = "",
    visibility: str = Visibility.PRIVATE,
    shared_with=(),
) -> Contact:
    """Record a person at the company, with why the data is kept (purpose) and where it comes from."""
    if not purpose.strip():
        raise UserError("Indiquez la finalité : pourquoi ce contact est-il conservé ?")
    return _create(
        actor,
        Contact,
        owner=owner,
        company=company,
        visibility=visibility,
        shared_with=shared_with,
        full_name=full_name,
        purpose=purpose,
        source=source,
        job_title=job_title,
        email=email,
        phone=phone,
    )


def contact_delete(*, actor: Actor, contact: Contact, reason: str = "demande de la personne") -> None:
    """Delete a contact for real (right to erasure). The audit log keeps that it happened, not who it was."""
    _require_change(actor, contact)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        obj=contact,  # its text is « contact n° … de <SIREN> »: no personal data
        details={"siren": contact.company_id, "reason": reason},
    )
    contact.delete()


# --- exchanges -----------------------------------------------------------------------------------------------


def exchange_create(
    *,
    actor: Actor,
    owner: Organization,
    company: Company,
    kind: str,
    happened_on: date,
    topic: str,
    notes: str = "",
    visibility: str = Visibility.PRIVATE,
    shared_with=(),
) -> Exchange:
    """Log a meeting, call, visit or e-mail. Notes are private to `owner` unless shared."""
    if happened_on > timezone.localdate():
        raise UserError("La date d'un échange ne peut pas être dans le futur.")
    return _create(
        actor,
        Exchange,
        owner=owner,
        company=company,
        visibility=visibility,
        shared_with=shared_with,
        kind=kind,
        happened_on=happened_on,
        topic=topic,
        notes=notes,
        author=_user_of(actor),
    )


def exchange_update(
    *,
    actor: Actor,
    exchange: Exchange,
    topic: str | None = None,
    notes: str | None = None,
    visibility: str | None = None,
    shared_with=None,
) -> Exchange:
    """Correct an exchange, or share its notes later (only its organisation decides who reads them)."""
    _require_change(actor, exchange)
    changed = []
    if topic is not None and topic != exchange.topic:
        if not topic.strip():
            raise UserError("Le sujet est vide.")
        exchange.topic, changed = topic, [*changed, "topic"]
    if notes is not None and notes != exchange.notes:
        exchange.notes, changed = notes, [*changed, "notes"]
    sharing = visibility is not None and visibility != exchange.visibility
    new_shared = None if shared_with is None else {o.pk for o in shared_with}
    if new_shared is not None and new_shared != set(exchange.shared_with.values_list("pk", flat=True)):
        sharing = True
    if sharing and not can_share(actor, exchange):
        raise NotAllowed("Seule l'organisation qui a consigné l'échange décide avec qui il est partagé.")
    if visibility is not None and visibility != exchange.visibility:
        if visibility not in Visibility.values:
            raise UserError(f"Visibilité inconnue : « {visibility} ».")
        exchange.visibility, changed = visibility, [*changed, "visibility"]
    if changed:
        exchange.save(update_fields=[*changed, "updated_at"])
    if new_shared is not None and sharing:
        exchange.shared_with.set(shared_with)
        changed.append("shared_with")
    if changed:
        # Field names only: the notes themselves stay out of the audit log.
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=exchange, details={"fields": changed})
    return exchange


# --- needs and reminders ---------------------------------------------------------------------------------------


def need_create(
    *,
    actor: Actor,
    owner: Organization,
    company: Company,
    topic: str,
    title: str,
    description: str = "",
    assignee=None,
    due_on: date | None = None,
    visibility: str = Visibility.PRIVATE,
    shared_with=(),
) -> Need:
    """Record a need of the company, with the advisor responsible and a due date."""
    return _create(
        actor,
        Need,
        owner=owner,
        company=company,
        visibility=visibility,
        shared_with=shared_with,
        topic=topic,
        title=title,
        description=description,
        assignee=assignee,
        due_on=due_on,
    )


def need_status_set(*, actor: Actor, need: Need, status: str, on: date | None = None) -> Need:
    """Move a need to `status`; closing it dates it."""
    _require_change(actor, need)
    if status not in Need.Status.values:
        raise UserError(f"Statut inconnu : « {status} ».")
    need.status = status
    need.closed_on = None if status in Need.OPEN_STATUSES else (on or timezone.localdate())
    need.save(update_fields=["status", "closed_on", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=need, details={"status": status})
    return need


def reminder_create(
    *,
    actor: Actor,
    owner: Organization,
    company: Company,
    assignee,
    remind_on: date,
    text: str,
    need: Need | None = None,
) -> Reminder:
    """A dated reminder for an advisor (always private to the owner organisation)."""
    return _create(
        actor,
        Reminder,
        owner=owner,
        company=company,
        visibility=Visibility.PRIVATE,
        assignee=assignee,
        remind_on=remind_on,
        text=text,
        need=need,
    )


def reminders_notify(*, on: date) -> int:
    """E-mail each advisor the reminders due on or before `on`, not done and not sent yet, in one French
    message per advisor (the daily periodic job `companies.reminders_notify`); returns the messages sent.

    What an advisor reads is what the permission layer shows them now (`reminders_due`): a reminder of an
    organisation they have left is not sent. Each reminder is marked sent once its message has gone, so a job
    retried after a failure sends the rest and nothing twice."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    from tandem.companies.selectors_followup import reminders_due
    from tandem.core.formats import fr_date

    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=Reminder.objects.filter(done_at=None, notified_at=None, remind_on__lte=on).values(
                "assignee"
            ),
        )
        .exclude(email="")
    )
    sent = 0
    for user in users.order_by("pk"):
        reminders = list(
            reminders_due(Actor.for_user(user), on=on)
            .filter(notified_at=None)
            .select_related("company")
            .order_by("remind_on", "pk")
        )
        if not reminders:
            continue
        site = settings.TANDEM_SITE_URL.rstrip("/")
        lines = [
            f"- {fr_date(r.remind_on)} — {r.company.display_name} ({r.company_id}) : {r.text}"
            + (f"\n  {site}/entreprises/{r.company_id}/" if site else "")
            for r in reminders
        ]
        count = len(reminders)
        send_mail(
            subject=f"Tandem : {count} rappel{'s' if count > 1 else ''} à traiter",
            message="Bonjour,\n\nVos rappels de suivi des entreprises arrivés à échéance :\n\n"
            + "\n".join(lines)
            + "\n\nMarquez-les comme faits dans Tandem une fois traités.\n",
            from_email=None,
            recipient_list=[user.email],
        )
        # The reminders in hand, read just above through the permission layer for their assignee.
        Reminder.objects.unscoped().filter(pk__in=[r.pk for r in reminders]).update(
            notified_at=timezone.now()
        )
        sent += 1
    return sent


def reminder_done(*, actor: Actor, reminder: Reminder) -> Reminder:
    _require_change(actor, reminder)
    reminder.done_at = timezone.now()
    reminder.save(update_fields=["done_at", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=reminder)
    return reminder


# --- projects --------------------------------------------------------------------------------------------------


def project_create(
    *,
    actor: Actor,
    owner: Organization,
    company: Company,
    kind: str,
    title: str,
    description: str = "",
    amount_eur=None,
    jobs: int | None = None,
    job_code: str = "",
    job_title: str = "",
    job_confidence: float | None = None,
    surface_needed_m2: int | None = None,
    expected_on: date | None = None,
    visibility: str = Visibility.PRIVATE,
    shared_with=(),
    parcours_step=None,
) -> CompanyProject:
    """Record a project of the company (investment, extension, recruitment, land or premises need). The job
    hired for is a code (`job_code`: ROME or FAP 2021) or a job title (`job_title`, typed or picked from the
    suggestions), resolved to a ROME code by `skills.jobs.job_resolve`; a title left unresolved is kept as
    typed (« métier non rattaché »)."""
    if kind in CompanyProject.LAND_KINDS and not surface_needed_m2:
        raise UserError("Un besoin de foncier ou de locaux indique la surface recherchée (m²).")
    job_code = (job_code or "").strip().upper()
    if job_code and not FAP_CODE.match(job_code):
        raise UserError(
            f"Métier recherché : code FAP 2021 (ex. D0X31) ou ROME (ex. H2903) attendu, reçu « {job_code} »."
        )
    match = job_resolve(job_code or job_title)
    if job_code:
        job_title = (job_title or "").strip()
    return _create(
        actor,
        CompanyProject,
        owner=owner,
        company=company,
        visibility=visibility,
        shared_with=shared_with,
        kind=kind,
        title=title,
        description=description,
        amount_eur=amount_eur,
        jobs=jobs,
        job_code=match.code,
        job_title=(job_title if job_code else match.title)[:250],
        job_confidence=job_confidence if job_code and job_confidence is not None else match.confidence,
        surface_needed_m2=surface_needed_m2,
        expected_on=expected_on,
        parcours_step=parcours_step,
    )


def project_answer(
    *, actor: Actor, project: CompanyProject, answer: str, on: date | None = None
) -> CompanyProject:
    """Record the answer given to a project (e.g. the sites proposed for a land need)."""
    _require_change(actor, project)
    if not answer.strip():
        raise UserError("La réponse est vide.")
    project.answer = answer
    project.answered_on = on or timezone.localdate()
    project.status = CompanyProject.Status.ANSWERED
    project.save(update_fields=["answer", "answered_on", "status", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=project, details={"answered": True})
    return project


def project_land_search_open(*, actor: Actor, project: CompanyProject, limit: int = 10) -> list[dict]:
    """Open a search on the land inventory for a land or premises need, with the site matching engine of
    `tandem.prospects` (docs/matching.md): the surface sought becomes the minimum surface and the company's
    NAF code selects its ecosystem. Only candidates `actor` may see are ranked. Returns the explained rows,
    best first; the project keeps the date and size of the last search."""
    # Imported here: the prospects app builds on the registry, so companies must not import it at load time.
    from tandem.prospects.matching import MatchingInputError, Requirements
    from tandem.prospects.selectors import matching_results

    _require_change(actor, project)
    if project.kind not in CompanyProject.LAND_KINDS:
        raise UserError("Seul un besoin de foncier ou de locaux ouvre une recherche foncière.")
    if not project.surface_needed_m2:
        raise UserError("Indiquez la surface recherchée (m²) avant de lancer une recherche foncière.")
    try:
        requirements = Requirements(
            surface_min_ha=project.surface_needed_m2 / 10_000, naf=project.company.naf
        )
        _ranking, results = matching_results(actor=actor, requirements=requirements, limit=limit)
    except MatchingInputError as exc:
        raise UserError(str(exc)) from exc
    today = timezone.localdate()
    project.land_search_ref = f"{today:%d/%m/%Y} : {len(results)} site(s) proposé(s)"[:80]
    project.save(update_fields=["land_search_ref", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=project,
        details={"land_search": len(results), "surface_m2": project.surface_needed_m2},
    )
    return results
