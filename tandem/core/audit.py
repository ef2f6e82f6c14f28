"""The audit log's one writing function."""

from __future__ import annotations

from django.db import models

from tandem.core.models import AuditEvent


def audit_record(*, actor, action: str, obj: models.Model | None = None, object_type: str = "", details=None):
    """Record one event for `actor` (an `Actor` from the permission layer, or None for the system).

    The event belongs to the actor's current organisation and to the organisation owning `obj` (if it has an
    `owner`): both administrators read it in their journal."""
    user = getattr(actor, "user", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
    organization_id = getattr(actor, "current_org_id", None)
    # Filed under the actor's organisation and, when another one owns the object, under the owner's too.
    owner_id = getattr(obj, "owner_id", None)
    return AuditEvent.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "système",
        organization_id=organization_id,
        owner_organization_id=owner_id if owner_id != organization_id else None,
        action=action,
        object_type=object_type,
        object_id="" if obj is None else str(obj.pk),
        object_repr="" if obj is None else str(obj)[:255],
        details=details or {},
    )
