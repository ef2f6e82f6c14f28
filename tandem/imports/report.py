"""The one French report of an import run, printed by the management commands and shown by the run page.

Problems are grouped: one line per (level, file, rule, column) with the count and the first five line numbers,
errors first, so that 328 « date JJ/MM/AAAA convertie » warnings take one line and never bury the errors.
`report_text` (command line) and the template include `www/imports/_report.html` (web) render the same
`RunReport`: the same lines, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tandem.core.formats import fr_number
from tandem.core.problems import Problem
from tandem.imports.limits import size_text

FIRST_LINES = 5
FEW_VALUES = 3  # a group's values are shown when there are no more than this many distinct ones

TABLE_COUNT_LABELS = (
    ("read", "lue(s)"),
    ("rejected", "rejetée(s)"),
    ("added", "ajoutée(s)"),
    ("changed", "modifiée(s)"),
    ("removed", "supprimée(s)"),
    ("unchanged", "inchangée(s)"),
)


@dataclass
class ProblemGroup:
    """Problems breaking one rule in one column of one file."""

    level: str
    file: str
    field: str | None
    message: str
    lines: list[int] = field(default_factory=list)
    count: int = 0
    values: list[str] = field(default_factory=list)  # its distinct values, up to FEW_VALUES + 1

    @property
    def text(self) -> str:
        if self.count == 1:  # one problem: worded as everywhere else (`Problem.__str__`)
            line = self.lines[0] if self.lines else None
            return str(
                Problem(self.file, line, self.field, self.message, self.values[0] if self.values else None)
            )
        head = f"{self.file} : {self.message}" if self.file else self.message
        column = f" — colonne {self.field}" if self.field else ""
        shown = ", ".join(str(n) for n in self.lines[:FIRST_LINES])
        more = "…" if len(self.lines) > FIRST_LINES else ""
        where = f" (lignes {shown}{more})" if self.lines else ""
        values = ""
        if 0 < len(self.values) <= FEW_VALUES:
            values = " ; valeur(s) : " + ", ".join(f"« {v} »" for v in self.values)
        return f"{head}{column} — {fr_number(self.count)} lignes{where}{values}"


@dataclass
class RunReport:
    title: str
    status: str
    facts: list[str]
    errors: list[ProblemGroup]
    warnings: list[ProblemGroup]
    errors_count: int
    warnings_count: int

    @property
    def heading(self) -> str:
        return f"Import {self.status} — {self.title}"

    @property
    def lines(self) -> list[str]:
        """The whole report, line by line: what the command line prints."""
        out = [self.heading, *self.facts]
        out.append(
            f"{fr_number(self.errors_count)} erreur(s), {fr_number(self.warnings_count)} avertissement(s)"
        )
        if self.errors:
            out.append("Erreurs :")
            out += [f"  - {g.text}" for g in self.errors]
        if self.warnings:
            out.append("Avertissements :")
            out += [f"  - {g.text}" for g in self.warnings]
        return out


def group_problems(problems: Iterable[Problem]) -> tuple[list[ProblemGroup], list[ProblemGroup]]:
    """Errors and warnings, each grouped by (file, rule, column) in the order first met; line numbers sorted."""
    groups: dict[tuple, ProblemGroup] = {}
    for p in problems:
        level = "warning" if p.level == "warning" else "error"
        key = (level, p.file or "", p.field or None, p.message)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProblemGroup(level, p.file or "", p.field or None, p.message)
        group.count += 1
        if p.value not in (None, "") and p.value not in group.values and len(group.values) <= FEW_VALUES:
            group.values.append(p.value)
        if p.line is not None:
            group.lines.append(p.line)
    for group in groups.values():
        group.lines = sorted(set(group.lines))
    errors = [g for g in groups.values() if g.level == "error"]
    warnings = [g for g in groups.values() if g.level == "warning"]
    return errors, warnings


def _facts(run) -> list[str]:
    facts = []
    for f in run.files or []:
        size = f" ({size_text(f['size'])})" if f.get("size") else ""
        digest = f", SHA-256 {f['sha256']}" if f.get("sha256") else ""
        facts.append(f"Fichier {f['name']}{size}{digest}")
    if run.status in ("done", "refused"):
        facts.append(
            f"{fr_number(run.created)} créé(s), {fr_number(run.updated)} modifié(s), "
            f"{fr_number(run.unchanged)} inchangé(s), {fr_number(run.rejected)} rejeté(s)"
        )
    for table, counts in (run.details or {}).get("tables", {}).items():
        parts = [f"{fr_number(counts[k])} {label}" for k, label in TABLE_COUNT_LABELS if k in counts]
        if parts:
            facts.append(f"{table} : {', '.join(parts)}")
    facts += (run.details or {}).get("notes", [])
    if run.dry_run and run.status == "done":
        facts.append("Simulation : rien n'a été écrit.")
    elif run.status in ("refused", "failed", "cancelled"):
        facts.append("Rien n'a été écrit.")
    elif run.status == "done" and not run.changed:
        facts.append("Aucune modification : les données enregistrées sont déjà à jour.")
    duration = run.duration_s
    if run.finished and duration is not None:
        facts.append(f"Durée : {fr_number(round(duration, 1))} s")
    return facts


def run_report(run) -> RunReport:
    """The report of a run (stored or in memory)."""
    from tandem.imports.services import problem_from_dict

    errors, warnings = group_problems(problem_from_dict(p) for p in run.problems or [])
    status = run.get_status_display() + (" (simulation)" if run.dry_run else "")
    return RunReport(
        title=run.get_kind_display(),
        status=status,
        facts=_facts(run),
        errors=errors,
        warnings=warnings,
        errors_count=run.errors_count,
        warnings_count=run.warnings_count,
    )


def report_text(run) -> str:
    """The report as the command line prints it."""
    return "\n".join(run_report(run).lines)
