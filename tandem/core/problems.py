"""Problems in user input and errors a user can cause, each with a French message naming where the problem is.

Pure: no Django, so the readers and engines that run without it (`tandem.imports.reader`, the EIT engine,
`tandem.skills.crosswalk`) report through the same types as the rest of Tandem. `tandem.core.errors`
re-exports them beside `NotAllowed`.
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
