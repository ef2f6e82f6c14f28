"""What advisors do with a fragility signal: acknowledge it, act on it (an action from the taxonomy) or
dismiss it with a reason. The outcome is kept on the signal, so a statistical model added later can be
measured against the same alerts and the same decisions."""

from __future__ import annotations

from django.utils import timezone

from tandem.companies.models import Signal
from tandem.companies.perms import can_handle_signal
from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.perms import Actor

OPEN_STATUSES = (Signal.Status.NEW, Signal.Status.ACKNOWLEDGED)


def _transition(actor: Actor, signal: Signal, *, status: str, note: str, **fields) -> Signal:
    if not can_handle_signal(actor, signal):
        raise NotAllowed("Vous ne pouvez pas traiter ce signal.")
    if signal.status not in OPEN_STATUSES:
        raise UserError(f"Ce signal est déjà traité (« {signal.get_status_display()} »).")
    signal.status = status
    signal.status_note = note
    signal.status_changed_by = actor.user if getattr(actor.user, "pk", None) else None
    signal.status_changed_at = timezone.now()
    for name, value in fields.items():
        setattr(signal, name, value)
    signal.save(
        update_fields=[
            "status",
            "status_note",
            "status_changed_by",
            "status_changed_at",
            *fields,
            "updated_at",
        ]
    )
    audit_record(
        actor=actor, action=AuditEvent.Action.UPDATE, obj=signal, details={"status": status, **fields}
    )
    return signal


def signal_acknowledge(*, actor: Actor, signal: Signal, note: str = "") -> Signal:
    """An advisor has seen the alert and takes it into account."""
    if signal.status != Signal.Status.NEW:
        raise UserError("Seul un signal nouveau peut être pris en compte.")
    return _transition(actor, signal, status=Signal.Status.ACKNOWLEDGED, note=note)


def signal_act(*, actor: Actor, signal: Signal, action: str, note: str = "") -> Signal:
    """An action is engaged (soutien financier, médiation, recherche de repreneur, accompagnement…)."""
    if action not in Signal.Action.values:
        raise UserError(f"Action inconnue : « {action} ».")
    return _transition(actor, signal, status=Signal.Status.ACTED, note=note, action=action)


def signal_dismiss(*, actor: Actor, signal: Signal, reason: str, note: str = "") -> Signal:
    """The alert is dismissed; the reason is required (it is what a model will be measured against)."""
    if reason not in Signal.DismissalReason.values:
        raise UserError("Indiquez le motif pour écarter ce signal.")
    if reason == Signal.DismissalReason.OTHER and not note.strip():
        raise UserError("Précisez le motif « autre » dans le commentaire.")
    return _transition(actor, signal, status=Signal.Status.DISMISSED, note=note, dismissal_reason=reason)
