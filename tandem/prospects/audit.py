"""Audit of prospects: every write and every read is recorded, without the code name.

Organisation administrators read their organisation's audit log, task force or not; the log must not tell
them what a confidential prospect is. It keeps the type and id (traceability), never the name.
"""

from __future__ import annotations

from tandem.core.audit import audit_record


class _Confidential:
    def __init__(self, obj):
        self.pk = obj.pk
        self._meta = obj._meta

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} n°{self.pk} (confidentiel)"


def audit_confidential(*, actor, action: str, obj, details=None):
    """`audit_record` for prospects and their proposals: same event, neutral label."""
    return audit_record(actor=actor, action=action, obj=_Confidential(obj), details=details)
