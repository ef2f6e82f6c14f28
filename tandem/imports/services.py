"""Writes of import runs: every importer starts, advances and ends its run through these functions.

An importer entry point is a plain function taking a run (`run=`) so the command line, the web page and the
background jobs call it the same way. A dry run started without a stored run (the command line) keeps its run
in memory: nothing at all is written, the report is printed from the unsaved run. A refused run is stored (the
run log), with its problems, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tandem.core.errors import NotAllowed
from tandem.core.problems import Problem, UserError
from tandem.imports.models import ImportRun
from tandem.imports.reader import file_sha256

# Problems kept on a run; the totals (errors_count, warnings_count) count them all.
MAX_STORED_PROBLEMS = 20_000


def file_entries(paths: Iterable[Path], display_names: dict | None = None) -> list[dict]:
    """Name (as the user knows it), size and SHA-256 of each file of a run."""
    entries = []
    for path in paths:
        path = Path(path)
        name = (display_names or {}).get(path) or path.name
        if path.is_file():
            entries.append({"name": name, "size": path.stat().st_size, "sha256": file_sha256(path)})
        else:
            entries.append({"name": name, "size": 0, "sha256": ""})
    return entries


def problem_as_dict(problem: Problem) -> dict:
    return {
        "file": problem.file,
        "line": problem.line,
        "field": problem.field,
        "message": problem.message,
        "value": problem.value,
        "level": problem.level,
    }


def problem_from_dict(data: dict) -> Problem:
    return Problem(
        file=data.get("file") or "",
        line=data.get("line"),
        field=data.get("field"),
        message=data.get("message") or "",
        value=data.get("value"),
        level=data.get("level") or "error",
    )


def _stored(run: ImportRun) -> bool:
    """A run is written to the database unless it is a dry run that was never stored (command line)."""
    return run.pk is not None or not run.dry_run


def import_run_start(
    *,
    kind: str,
    actor=None,
    paths: Iterable[Path] = (),
    display_names: dict | None = None,
    options: dict | None = None,
    dry_run: bool = False,
    owner=None,
    run: ImportRun | None = None,
) -> ImportRun:
    """Start a run: the stored run of a web import (already holding its files), or a new one described here.
    A new dry run stays in memory."""
    if run is None:
        user = getattr(actor, "user", None)
        run = ImportRun(
            kind=kind,
            created_by=user if getattr(user, "pk", None) else None,
            organization_id=getattr(actor, "current_org_id", None),
            owner=owner,
            files=file_entries(paths, display_names),
            options=options or {},
            dry_run=dry_run,
        )
    else:
        run.kind = run.kind or kind
        if options:
            run.options = {**(run.options or {}), **options}
        if owner is not None:
            run.owner = owner
    run.status, run.started_at, run.finished_at = ImportRun.Status.RUNNING, timezone.now(), None
    run.progress_percent, run.progress_label = 0, "commencé"
    if _stored(run):
        run.save()
    return run


def import_run_step(run: ImportRun, percent: int, label: str) -> None:
    """Progress shown by the run page while the import runs (written at once, outside any transaction the
    importer holds, since it is an UPDATE of the run row alone)."""
    run.progress_percent, run.progress_label = percent, label
    if run.pk is not None:
        ImportRun.objects.filter(pk=run.pk).update(progress_percent=percent, progress_label=label)


def import_run_finish(
    *,
    run: ImportRun,
    status: str,
    problems: Iterable[Problem] = (),
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    rejected: int = 0,
    details: dict | None = None,
    rejects_csv: str = "",
    label: str | None = None,
) -> ImportRun:
    """End a run with its outcome. Stored runs are saved (a refused run included: the run log); an unsaved dry
    run stays in memory."""
    problems = list(problems)
    run.status, run.finished_at = status, timezone.now()
    run.progress_percent = 100
    run.progress_label = label or ImportRun.Status(status).label
    run.created, run.updated, run.unchanged, run.rejected = created, updated, unchanged, rejected
    if details is not None:
        run.details = details
    run.problems = [problem_as_dict(p) for p in problems[:MAX_STORED_PROBLEMS]]
    run.errors_count = sum(p.level == "error" for p in problems)
    run.warnings_count = len(problems) - run.errors_count
    run.rejects_text = rejects_csv  # what the command line writes, stored or not
    if _stored(run):
        if rejects_csv:
            run.rejects.save(
                f"rejets-import-{run.pk or 'nouveau'}.csv", ContentFile(rejects_csv.encode()), False
            )
        run.save()
    return run


def import_run_refuse(*, run: ImportRun, error: UserError, details: dict | None = None) -> ImportRun:
    """End a run refused by a `UserError` (its problems, or its message as the one problem)."""
    problems = error.problems or [Problem(_file_of(run), None, None, error.message)]
    import_run_finish(run=run, status=ImportRun.Status.REFUSED, problems=problems, details=details)
    error.run = run  # the caller may show the refused run's report
    return run


def import_run_end(*, run_id: int, status: str, label: str) -> None:
    """End a stored run from outside the importer (a cancelled, stopped or stalled background job): nothing of
    it was written, since an importer writes in one transaction."""
    ImportRun.objects.filter(pk=run_id).exclude(status__in=ImportRun.FINISHED).update(
        status=status, progress_label=label, finished_at=timezone.now()
    )


def _file_of(run: ImportRun) -> str:
    return ", ".join(f["name"] for f in run.files) if run.files else "import"


@contextmanager
def import_run_guard(run: ImportRun) -> Iterator[None]:
    """Around an importer's work: a `UserError` (or a refused permission) ends the run refused, any other
    exception ends it failed — never left « en cours » — and is raised again."""
    try:
        yield
    except (UserError, NotAllowed) as error:
        if run.dry_run and run.pk is not None and not ImportRun.objects.filter(pk=run.pk).exists():
            run.pk = None  # saved inside the dry run's rolled-back transaction
        import_run_refuse(run=run, error=error if isinstance(error, UserError) else UserError(error.message))
        if isinstance(error, NotAllowed):
            error.run = run
        raise
    except Exception:
        if run.dry_run and run.pk is not None and not ImportRun.objects.filter(pk=run.pk).exists():
            run.pk = None
        import_run_finish(
            run=run, status=ImportRun.Status.FAILED, label="échec technique ; rien n'a été écrit"
        )
        raise


@contextmanager
def import_writes(run: ImportRun) -> Iterator[None]:
    """The one transaction of an import's writes; rolled back at its end for a dry run, so an importer that
    writes as it goes (SIRENE's COPY, the geography) computes its counts and leaves nothing behind."""
    with transaction.atomic():
        yield
        if run.dry_run:
            transaction.set_rollback(True)


def import_run_rejects_text(run: ImportRun) -> str:
    """The rejected lines of a run (CSV), from memory or from storage."""
    text = getattr(run, "rejects_text", None)
    if text is not None:
        return text
    if not run.rejects:
        return ""
    with run.rejects.open("rb") as handle:
        return handle.read().decode("utf-8")


# kind -> how to stop a run of that kind that is queued or running (registered by the app owning its job)
CANCELLERS: dict[str, Callable[[ImportRun], None]] = {}


def on_cancel(*kinds: str):
    """Register how runs of `kinds` are cancelled (their background job stopped, nothing written)."""

    def register(handler):
        for kind in kinds:
            CANCELLERS[kind] = handler
        return handler

    return register


def import_run_cancel(*, run: ImportRun) -> None:
    """Cancel a run that has not finished: its job is stopped by its app; a run with no job ends at once."""
    if run.finished:
        return
    handler = CANCELLERS.get(run.kind)
    if handler is not None and run.job_id is not None:
        handler(run)
    else:
        import_run_end(run_id=run.pk, status=ImportRun.Status.CANCELLED, label="annulé à la demande")
