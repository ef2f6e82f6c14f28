"""Reference-data loads run by the job worker (`tandem background COMMAND …`): SIRENE, BODACC, BMO and the
official geography. The importers stay plain commands and functions; the job runs the same command in a
memory-limited child process (`tandem.core.jobs.run_limited`), so what it writes is the importer's own single
transaction — a killed, cancelled or failed load writes nothing — and each line the command prints becomes the
run's progress. The run is recorded in the import run model (`RUN_MODEL`), which the web and the CLI read;
a stalled job (its worker died) is retried once, then marked failed (`core.stalled_jobs_recover`).
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.core.management import CommandError, load_command_class
from django.core.management import get_commands as django_commands
from django.utils import timezone

from tandem.core.errors import UserError

# command -> what it loads, in French
BACKGROUND_COMMANDS = {
    "import_sirene": "répertoire SIRENE",
    "import_bodacc": "annonces BODACC",
    "import_bmo": "enquête BMO de France Travail",
    "load_geography": "géographie officielle",
}
# The one import run model of every importer (tandem/imports/models.py) and the kind of each load.
RUN_MODEL = "imports.ImportRun"
BACKGROUND_KINDS = {
    "import_sirene": "sirene",
    "import_bodacc": "bodacc",
    "import_bmo": "bmo",
    "load_geography": "geography",
}


def run_model():
    return apps.get_model(RUN_MODEL)


def _absolute(args: list[str]) -> tuple[list[str], list[dict]]:
    """Paths of the arguments made absolute (the worker runs elsewhere), and the files named."""
    out, files = [], []
    for arg in args:
        prefix, _, value = arg.partition("=") if arg.startswith("--") and "=" in arg else ("", "", arg)
        path = Path(value)
        if not value.startswith("-") and path.exists():
            value = str(path.resolve())
            if path.is_file():
                files.append({"name": path.name, "path": value, "size": path.stat().st_size})
        out.append(f"{prefix}={value}" if prefix else value)
    return out, files


def background_load_submit(*, command: str, args: list[str], user=None):
    """Record a load (« en attente ») and queue its job. The arguments are checked by the command's own parser
    first: a mistyped option is refused here, in French, and nothing is queued."""
    from tandem.core.tasks import background_load_job

    if command not in BACKGROUND_COMMANDS:
        raise UserError(
            f"« {command} » ne peut pas être lancé en tâche de fond (commandes possibles : "
            f"{', '.join(sorted(BACKGROUND_COMMANDS))})."
        )
    parser = load_command_class(django_commands()[command], command).create_parser("tandem", command)
    parser.exit_on_error = False  # parse errors raise instead of exiting
    try:
        parser.parse_args(args)
    except (CommandError, SystemExit) as exc:
        raise UserError(f"Arguments refusés pour {command} : {exc}") from None
    absolute, files = _absolute(args)
    Run = run_model()
    run = Run.objects.create(
        kind=BACKGROUND_KINDS[command],
        created_by=user if getattr(user, "pk", None) else None,
        options={"command": command, "args": absolute, "background": BACKGROUND_COMMANDS[command]},
        files=files,
        progress_label="en attente",
    )
    run.job_id = background_load_job.defer(run_id=run.pk)
    run.save(update_fields=["job_id"])
    return run


def background_load_progress(*, run_id: int, line: str) -> None:
    """A line printed by the load: the run's current step (long lines cut)."""
    Run = run_model()
    Run.objects.filter(pk=run_id).exclude(status__in=Run.FINISHED).update(progress_label=line[:200])


def background_load_start(*, run_id: int):
    """Mark the run « en cours »; None when it has finished already (a retried job never loads twice)."""
    Run = run_model()
    run = Run.objects.get(pk=run_id)
    if run.finished:
        return None
    Run.objects.filter(pk=run_id).update(
        status=Run.Status.RUNNING, started_at=timezone.now(), progress_label="lancement"
    )
    return run


def background_load_end(*, run_id: int, status: str, label: str) -> None:
    """Close a run (done, refused, failed, cancelled) unless it is closed already."""
    Run = run_model()
    Run.objects.filter(pk=run_id).exclude(status__in=Run.FINISHED).update(
        status=status, progress_percent=100, progress_label=label[:200], finished_at=timezone.now()
    )


def background_load_cancel(*, run_id: int) -> None:
    """Cancel a queued load at once, or ask the worker to stop a running one (its child process is stopped
    and PostgreSQL rolls its transaction back)."""
    from procrastinate import jobs as procrastinate_jobs
    from procrastinate.contrib.django import app

    Run = run_model()
    run = Run.objects.get(pk=run_id)
    if run.finished:
        return
    if run.job_id is not None:
        app.job_manager.cancel_job_by_id(run.job_id, abort=True)
        if app.job_manager.get_job_status(run.job_id) != procrastinate_jobs.Status.CANCELLED:
            Run.objects.filter(pk=run_id).exclude(status__in=Run.FINISHED).update(
                progress_label="annulation demandée"
            )
            return
    background_load_end(run_id=run_id, status=Run.Status.CANCELLED, label="annulé avant de commencer")


def background_load_describe(run) -> str:
    """The run as the operator reads it: what, state, step."""
    options = run.options or {}
    what = options.get("background") or options.get("command", "import")
    return f"Chargement n° {run.pk} ({what}) : {run.get_status_display()} — {run.progress_label}"
