"""Who sees an organisation's land inventory: one visibility for its sites, terrains, establishments, poles
and friches (the observatory aggregates what the Région may see). Personal fields stay protected regardless."""

from __future__ import annotations

from django.db import transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.land.models import Etablissement, Friche, Pole, Site, Terrain
from tandem.land.perms import can_set_inventory_visibility
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor

INVENTORY_MODELS = (Pole, Site, Terrain, Etablissement, Friche)


@transaction.atomic
def inventory_visibility_set(*, actor: Actor, owner: Organization, visibility: str) -> int:
    """Set the visibility of everything `owner` has in the land inventory; returns how many objects changed."""
    if visibility not in Visibility.values:
        raise UserError(f"Visibilité inconnue « {visibility} ».")
    if not can_set_inventory_visibility(actor, owner):
        raise NotAllowed("Vous ne pouvez pas changer la visibilité de cet inventaire.")
    changed = 0
    for model in INVENTORY_MODELS:
        # Unscoped on purpose: the owner's whole inventory, which the actor may share (checked above).
        changed += (
            model.objects.unscoped()
            .filter(owner=owner)
            .exclude(visibility=visibility)
            .update(visibility=visibility)
        )
    if changed:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=owner,
            details={"inventaire foncier": "visibilité", "visibility": visibility, "objects": changed},
        )
    return changed
