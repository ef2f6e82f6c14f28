"""Writes on a user's own account: the personal access token of QGIS and the API, the choice between immediate
e-mails and a daily digest; and the one way notification e-mails leave Tandem (`email_notify`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
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


# --- notification e-mails: immediate or daily digest ------------------------------------------------------


def _site() -> str:
    return settings.TANDEM_SITE_URL.rstrip("/")


def email_notify(*, subject: str, body: str, recipients: list[str]) -> int:
    """Send a notification (French plain text with its link back to Tandem) to `recipients`: at once, except to
    users who chose a daily digest, for whom it is kept until the daily job (`email_digests_send`). Addresses
    that are no user's (an office's role mailbox) always get it at once. Returns the messages sent now."""
    recipients = sorted(set(r for r in recipients if r))
    if not recipients:
        return 0
    User = get_user_model()
    daily = {}
    for user in User.objects.filter(
        is_active=True, email__in=recipients, email_frequency=User.EmailFrequency.DAILY
    ).order_by("pk"):
        daily.setdefault(user.email, user)
    from tandem.accounts.models import DigestItem

    DigestItem.objects.bulk_create(
        DigestItem(user=user, subject=subject[:300], body=body) for user in daily.values()
    )
    now = [r for r in recipients if r not in daily]
    if not now:
        return 0
    return send_mail(subject=subject, message=body, from_email=None, recipient_list=now)


@transaction.atomic
def email_frequency_set(*, actor: Actor, frequency: str) -> None:
    """The actor chooses immediate e-mails or one digest a day (pending items are sent by the next digest)."""
    User = get_user_model()
    if frequency not in User.EmailFrequency.values:
        from tandem.core.errors import UserError

        raise UserError("Choix inconnu pour l'envoi des courriels (champ « envoi des courriels »).")
    User.objects.filter(pk=actor.user.pk).update(email_frequency=frequency)


def email_digests_send(*, now: dt.datetime | None = None) -> int:
    """The daily job: one e-mail per user with the notifications kept since the last digest, each marked sent
    once its message has gone (a job retried after a failure sends the rest and nothing twice). Returns the
    messages sent."""
    from tandem.accounts.models import DigestItem

    now = now or timezone.now()
    sent = 0
    pending = DigestItem.objects.filter(sent_at=None, created_at__lte=now).select_related("user")
    for user_id in pending.order_by("user_id").values_list("user_id", flat=True).distinct():
        items = list(pending.filter(user_id=user_id).order_by("created_at", "pk"))
        user = items[0].user
        if not user.is_active or not user.email:
            DigestItem.objects.filter(pk__in=[i.pk for i in items]).update(sent_at=now)
            continue
        count = len(items)
        parts = [f"— {item.subject}\n\n{item.body.strip()}" for item in items]
        body = (
            f"Bonjour,\n\nVoici le résumé de vos {count} notification{'s' if count > 1 else ''} Tandem :\n\n"
            + "\n\n".join(parts)
            + f"\n\nPour recevoir les courriels à chaque événement : {_site()}/compte/notifications/\n"
        )
        send_mail(
            subject=f"Tandem : résumé du jour ({count} notification{'s' if count > 1 else ''})",
            message=body,
            from_email=None,
            recipient_list=[user.email],
        )
        DigestItem.objects.filter(pk__in=[i.pk for i in items]).update(sent_at=now)
        sent += 1
    return sent
