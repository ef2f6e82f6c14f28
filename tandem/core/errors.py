"""Errors a user can cause. Each carries a French message naming where the problem is.

Importing this module does not load Django: the pure readers and engines (`tandem.imports.reader`,
`tandem.skills.crosswalk`) report through `Problem` and `UserError`. `NotAllowed`, a Django `PermissionDenied`,
is built on first access (module `__getattr__`, PEP 562), which every `from tandem.core.errors import
NotAllowed` triggers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One problem in an input file: file, line, field, value and the rule it breaks (in French)."""

    file: str
    line: int | None
    field: str | None
    message: str
    value: str | None = None
    level: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"ligne {self.line}")
        if self.field:
            parts.append(f"champ « {self.field} »")
        where = ", ".join(parts)
        value = f" (valeur : « {self.value} »)" if self.value not in (None, "") else ""
        return f"{where} : {self.message}{value}"


class UserError(Exception):
    """An error the user can fix; its message is French and shown as is."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  - {p}" for p in self.problems[:50])]
        if len(self.problems) > 50:
            lines.append(f"  … et {len(self.problems) - 50} autre(s) problème(s)")
        return "\n".join(lines)


@dataclass
class Report:
    """Collects problems while validating a whole input before anything is written."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, file: str, line: int | None, field_name: str | None, message: str, value=None) -> None:
        self.problems.append(Problem(file, line, field_name, message, None if value is None else str(value)))

    def warning(self, file: str, line: int | None, field_name: str | None, message: str, value=None) -> None:
        self.problems.append(
            Problem(file, line, field_name, message, None if value is None else str(value), level="warning")
        )

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def raise_if_errors(self, message: str) -> None:
        if self.errors:
            raise UserError(message, self.errors)


def _not_allowed_class():
    from django.core.exceptions import PermissionDenied

    class NotAllowed(PermissionDenied):
        """The object is visible but the action is not allowed (a write by a reader, a sharing decision by a
        delegate…). The one exception for it: the web answers 403 with the French message (template
        `403.html`), the API answers 403 with `{"detail": message}` (`tandem.api.exceptions`). What is not
        visible at all is a 404 (`Http404`), never this."""

        def __init__(self, message: str):
            super().__init__(message)
            self.message = message

        def __str__(self) -> str:
            return self.message

    NotAllowed.__module__ = __name__
    NotAllowed.__qualname__ = "NotAllowed"
    return NotAllowed


def __getattr__(name: str):
    if name == "NotAllowed":
        cls = _not_allowed_class()
        globals()["NotAllowed"] = cls  # built once: every importer gets the same class
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
