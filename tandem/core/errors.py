"""Errors a user can cause. Each carries a French message naming where the problem is.

`Problem`, `UserError` and `Report` live in `tandem.core.problems` (no Django, for the pure readers and engines)
and are re-exported here; `NotAllowed` is Django's `PermissionDenied`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from tandem.core.problems import Problem, Report, UserError

__all__ = ["NotAllowed", "Problem", "Report", "UserError"]


class NotAllowed(PermissionDenied):
    """The object is visible but the action is not allowed (a write by a reader, a sharing decision by a
    delegate…). The one exception for it: the web answers 403 with the French message (template `403.html`),
    the API answers 403 with `{"detail": message}` (`tandem.api.exceptions`). What is not visible at all is a
    404 (`Http404`), never this."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
