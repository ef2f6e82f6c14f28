"""Writes on a user's own account: the personal access token of QGIS and the API."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from tandem.core.audit import audit_record
from tandem.core.models import AuditEvent
from tandem.organizations.perms import Actor

AUDIT_OBJECT_TYPE = "authtoken.token"


def _audit(actor: Actor, action: str) -> None:
    # Never the key: it is the secret. The token is named by its user, as the admin names it.
    audit_record(
        actor=actor,
        action=action,
        object_type=AUDIT_OBJECT_TYPE,
        details={"jeton": f"jeton d'API de {actor.user.get_username()}", "depuis": "page Jeton d'accès"},
    )


@transaction.atomic
def api_token_create(*, actor: Actor) -> str:
    """A new access token for the actor's own account (DRF's token: one per user, read by /api/v1/ and /ogc/),
    replacing the previous one, which stops working at once. Returns the key, to be shown once."""
    Token.objects.filter(user=actor.user).delete()
    token = Token.objects.create(user=actor.user)
    _audit(actor, AuditEvent.Action.CREATE)
    return token.key


@transaction.atomic
def api_token_revoke(*, actor: Actor) -> bool:
    """Delete the actor's own token; False when there was none."""
    deleted, _ = Token.objects.filter(user=actor.user).delete()
    if deleted:
        _audit(actor, AuditEvent.Action.DELETE)
    return bool(deleted)
