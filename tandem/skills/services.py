"""Writes of jobs and skills: the actions partners record on a gap (training session requested, recruitment
plan, job fair). Every write goes through the permission layer and is audited."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor, can_change
from tandem.prospects.labour import JOB_CODE
from tandem.skills.models import FapPost, RomeCode, RomeFapPair, RomeFapReview, SkillAction
from tandem.skills.perms import can_record_action, can_review_crosswalk
from tandem.skills.territory import Territory


def _user(actor: Actor):
    user = getattr(actor, "user", None)
    return user if getattr(user, "pk", None) else None


@transaction.atomic
def skill_action_create(
    *,
    actor: Actor,
    owner: Organization,
    territory: Territory,
    job_code: str,
    job_label: str,
    kind: str,
    description: str = "",
    people: int | None = None,
    due_on: date | None = None,
    visibility: str = Visibility.NETWORK,
) -> SkillAction:
    """Record an action on a job of a territory, owned by `owner` (its contributors and above)."""
    if not can_record_action(actor, owner=owner):
        raise NotAllowed(f"Vous ne pouvez pas enregistrer d'action pour {owner}.")
    job_code = (job_code or "").strip().upper()
    if not JOB_CODE.match(job_code):
        raise UserError(f"Métier : code FAP 2021 attendu (ex. H2Z90), reçu « {job_code} ».")
    if kind not in SkillAction.Kind.values:
        raise UserError("Type d'action inconnu.")
    if visibility not in Visibility.values or visibility == Visibility.SHARED:
        raise UserError("Visibilité non prise en charge pour une action.")
    action = SkillAction.objects.create(
        owner=owner,
        visibility=visibility,
        territory_kind=territory.kind,
        territory_code=territory.code,
        job_code=job_code,
        job_label=(job_label or job_code)[:200],
        kind=kind,
        description=description,
        people=people,
        due_on=due_on,
        created_by=_user(actor),
    )
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=action, details={"territoire": str(territory)}
    )
    return action


@transaction.atomic
def skill_action_update(*, actor: Actor, action: SkillAction, status: str, results: str = "") -> SkillAction:
    """Move an action on (status, results): the owner organisation's contributors."""
    if not can_change(actor, action):
        raise NotAllowed("Vous ne pouvez pas modifier cette action.")
    if status not in SkillAction.Status.values:
        raise UserError("État d'action inconnu.")
    action.status, action.results = status, results
    action.save(update_fields=["status", "results", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=action, details={"état": status})
    return action


@transaction.atomic
def rome_fap_review(
    *, actor: Actor, rome_code: str, decision: str, family_code: str = "", comment: str = ""
) -> RomeFapReview:
    """Record a Région user's decision on the proposed FAP 2021 family of a ROME code: accept it, change it to
    another family, or reject it (no family fits). The decision is kept when the proposal is computed again."""
    if not can_review_crosswalk(actor):
        raise NotAllowed("Seule la Région revoit la correspondance ROME ↔ FAP 2021.")
    if not RomeCode.objects.filter(code=rome_code).exists():
        raise UserError(f"Code ROME inconnu : « {rome_code} ».")
    if decision not in RomeFapReview.Decision.values:
        raise UserError("Décision inconnue : accepter, corriger ou rejeter.")
    best = (
        RomeFapPair.objects.filter(rome_code=rome_code, source=RomeFapPair.Source.PROPOSED)
        .order_by("rank")
        .values_list("family_code", flat=True)
        .first()
    ) or ""
    family_code = (family_code or "").strip().upper()
    if decision == RomeFapReview.Decision.ACCEPTED:
        if not best:
            raise UserError("Aucune famille proposée pour ce métier : choisissez une famille (corriger).")
        family_code = best
    elif decision == RomeFapReview.Decision.CHANGED:
        if not FapPost.objects.filter(family_code=family_code).exists():
            raise UserError(f"Famille FAP 2021 inconnue : « {family_code} ».")
        if family_code == best:
            decision = RomeFapReview.Decision.ACCEPTED
    else:
        family_code = ""
    review, _ = RomeFapReview.objects.update_or_create(
        rome_code=rome_code,
        defaults={
            "decision": decision,
            "proposed_family": best,
            "family_code": family_code,
            "comment": comment,
            "reviewed_by": _user(actor),
        },
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=review,
        details={"décision": review.get_decision_display(), "famille": family_code},
    )
    return review
