"""Writes on organisations, memberships and delegations. Every write is audited."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from tandem.core.audit import audit_record
from tandem.core.errors import UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Invitation, Membership, Organization, Role
from tandem.organizations.perms import Actor, can_manage_delegations
from tandem.organizations.selectors import invitations_for
from tandem.territories.models import Commune, Epci, Region


def organization_perimeters_sync() -> None:
    """EPCI and Région organisations follow the official geography: their perimeter is their communes."""
    through = Organization.communes.through
    for org in Organization.objects.filter(kind=Organization.Kind.EPCI, epci__isnull=False):
        _set_perimeter(through, org, Commune.objects.filter(epci_id=org.epci_id, is_current=True))
    for org in Organization.objects.filter(kind=Organization.Kind.REGION, region__isnull=False):
        _set_perimeter(through, org, Commune.objects.filter(region_id=org.region_id, is_current=True))


def _set_perimeter(through, org: Organization, communes) -> None:
    wanted = set(communes.values_list("pk", flat=True))
    current = set(through.objects.filter(organization_id=org.pk).values_list("commune_id", flat=True))
    if wanted == current:
        return
    through.objects.filter(organization_id=org.pk, commune_id__in=current - wanted).delete()
    through.objects.bulk_create(
        [through(organization_id=org.pk, commune_id=code) for code in sorted(wanted - current)],
        batch_size=2000,
    )


@transaction.atomic
def organization_create(
    *,
    name: str,
    kind: str,
    slug: str | None = None,
    epci: Epci | None = None,
    region: Region | None = None,
    commune_codes: list[str] | None = None,
    is_demo: bool = False,
) -> Organization:
    """Create an organisation; an EPCI's or a Région's perimeter comes from the official geography."""
    if kind == Organization.Kind.EPCI and epci is None:
        raise UserError("Une organisation de type EPCI doit être rattachée à un EPCI (SIREN).")
    org = Organization.objects.create(
        name=name, kind=kind, slug=slug or slugify(name)[:80], epci=epci, region=region, is_demo=is_demo
    )
    if epci is not None:
        codes = Commune.objects.filter(epci=epci, is_current=True).values_list("pk", flat=True)
    elif region is not None and kind == Organization.Kind.REGION:
        codes = Commune.objects.filter(region=region, is_current=True).values_list("pk", flat=True)
    else:
        codes = commune_codes or []
    org.communes.set(list(codes))
    return org


def membership_set(*, organization: Organization, user, role: str, actor: Actor | None = None) -> Membership:
    """Add `user` to `organization` with `role` (or change the role). With an actor, only the organisation's
    administrators may do it, and it is audited."""
    if actor is not None and not actor.is_org_admin(organization.pk):
        raise UserError("Seul un administrateur de l'organisation gère ses membres.")
    if role not in Role.values:
        raise UserError(f"Rôle inconnu « {role} ».")
    membership, created = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    if actor is not None:
        action = AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE
        audit_record(actor=actor, action=action, obj=membership, details={"role": role})
    return membership


def membership_remove(*, actor: Actor, membership: Membership) -> None:
    """Remove a member; an organisation always keeps at least one administrator."""
    if not actor.is_org_admin(membership.organization_id):
        raise UserError("Seul un administrateur de l'organisation gère ses membres.")
    admins = Membership.objects.filter(organization_id=membership.organization_id, role=Role.ADMIN)
    if membership.role == Role.ADMIN and admins.count() == 1:
        raise UserError("L'organisation doit garder au moins un administrateur.")
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=membership)
    membership.delete()


def invitation_create(*, actor: Actor, organization: Organization, email: str, role: str) -> Invitation:
    """An administrator invites `email` with `role` (inviting it again changes the role). Nothing tells
    whether an account has that address: the invitation waits for its owner to accept it."""
    if not actor.is_org_admin(organization.pk):
        raise UserError("Seul un administrateur de l'organisation gère ses membres.")
    if role not in Role.values:
        raise UserError(f"Rôle inconnu « {role} ».")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise UserError(f"Adresse électronique invalide : « {email} ».") from exc
    invitation, created = Invitation.objects.update_or_create(
        organization=organization, email=email, defaults={"role": role, "invited_by": actor.user}
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=invitation,
        details={"role": role},
    )
    return invitation


def invitation_cancel(*, actor: Actor, invitation: Invitation) -> None:
    if not actor.is_org_admin(invitation.organization_id):
        raise UserError("Seul un administrateur de l'organisation gère ses membres.")
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=invitation)
    invitation.delete()


@transaction.atomic
def invitation_answer(*, actor: Actor, invitation: Invitation, accept: bool) -> Membership | None:
    """The invited person accepts (becomes a member with the invited role) or declines; either way the
    invitation is consumed."""
    invitation = invitations_for(actor.user).select_for_update(of=("self",)).filter(pk=invitation.pk).first()
    if invitation is None:
        raise UserError("Cette invitation n'existe plus.")
    membership = None
    if accept:
        membership, created = Membership.objects.get_or_create(
            user=actor.user, organization=invitation.organization, defaults={"role": invitation.role}
        )
        if created:
            audit_record(
                # Filed under the organisation joined, so its administrators read it in their journal.
                actor=Actor.for_user(actor.user, invitation.organization_id),
                action=AuditEvent.Action.CREATE,
                obj=membership,
                details={"role": invitation.role, "invitation": invitation.pk},
            )
    invitation.delete()
    return membership


@transaction.atomic
def delegation_create(
    *,
    actor: Actor,
    delegator: Organization,
    delegate: Organization,
    scope: str = Delegation.Scope.WRITE,
    commune_codes: list[str] | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Delegation:
    """An EPCI administrator delegates (part of) the EPCI's perimeter to an agency."""
    if not can_manage_delegations(actor, delegator):
        raise UserError("Seul un administrateur de l'EPCI peut déléguer son périmètre.")
    if delegate.kind not in (Organization.Kind.AGENCE, Organization.Kind.MAISON_REGION):
        raise UserError("Le délégataire doit être une agence de développement ou une Maison de Région.")
    starts_on = starts_on or timezone.localdate()
    if ends_on and ends_on < starts_on:
        raise UserError("La date de fin de la délégation précède sa date de début.")
    codes = set(commune_codes or [])
    outside = codes - set(delegator.communes.values_list("pk", flat=True))
    if outside:
        raise UserError(f"Communes hors du périmètre de l'EPCI : {', '.join(sorted(outside))}.")
    delegation = Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        scope=scope,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor.user,
    )
    delegation.communes.set(sorted(codes))
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=delegation, details={"scope": scope})
    return delegation


def delegation_revoke(*, actor: Actor, delegation: Delegation) -> Delegation:
    if not can_manage_delegations(actor, delegation.delegator):
        raise UserError("Seul un administrateur de l'EPCI délégant peut révoquer la délégation.")
    if delegation.revoked_at is None:
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=delegation, details={"revoked": True})
    return delegation


__all__ = [
    "Role",
    "organization_create",
    "membership_set",
    "membership_remove",
    "delegation_create",
    "delegation_revoke",
]
