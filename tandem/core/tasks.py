"""Jobs of the core: the worker's own maintenance, and files generated for one user (exports and PDFs over
the size served at once, `tandem.core.files`). Periodic work of every module is declared the same way:
`@app.periodic(cron=…)` above `@app.task(…)` in the module's tasks.py (Procrastinate defers it once per tick,
whatever the number of workers)."""

from django.conf import settings
from django.utils import timezone
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate.contrib.django import app
from procrastinate.job_context import AbortReason

from tandem.core.files import generated_file_end, generated_files_purge
from tandem.core.jobs import ChildFailed, finished_jobs_delete, on_stalled, run_limited, stalled_jobs_recover
from tandem.core.models import GeneratedFile

GENERATED_FILE_TASK = "core.generated_file"


@app.periodic(cron="* * * * *", periodic_id="stalled-jobs-recover")
@app.task(name="core.stalled_jobs_recover", queue="maintenance", queueing_lock="stalled-jobs-recover")
def stalled_jobs_recover_job(timestamp: int) -> None:
    """Every minute: jobs whose worker died are retried or marked failed (never left « en cours »)."""
    stalled_jobs_recover()


@app.periodic(cron="*/15 * * * *", periodic_id="generated-files-purge")
@app.task(name="core.generated_files_purge", queue="maintenance", queueing_lock="generated-files-purge")
def generated_files_purge_job(timestamp: int) -> None:
    """Every quarter of an hour: generated files past their expiry are deleted from the storage."""
    generated_files_purge()


@app.periodic(cron="30 2 * * *", periodic_id="finished-jobs-delete")
@app.task(name="core.finished_jobs_delete", queue="maintenance", queueing_lock="finished-jobs-delete")
def finished_jobs_delete_job(timestamp: int) -> None:
    """Every night: jobs finished more than TANDEM_JOBS_KEEP_DAYS ago leave the queue's tables."""
    finished_jobs_delete()


@app.task(name=GENERATED_FILE_TASK, queue="exports", pass_context=True)
def generated_file_job(context, file_id: int) -> None:
    """Generate one export or PDF in a memory-limited child process (`tandem generated_file_build`)."""
    try:
        run_limited(
            ["generated_file_build", str(file_id)],
            memory_mb=settings.TANDEM_IMPORT_MEMORY_MB,
            should_abort=context.should_abort,
        )
    except procrastinate_exceptions.JobAborted:
        shutdown = context.abort_reason() == AbortReason.SHUTDOWN
        generated_file_end(
            file_id=file_id,
            status=GeneratedFile.Status.FAILED if shutdown else GeneratedFile.Status.CANCELLED,
            label="échec technique : le worker a été arrêté ; demandez le fichier de nouveau"
            if shutdown
            else "annulé à la demande",
        )
        raise
    except ChildFailed as failure:
        reason = (
            f"mémoire insuffisante (limite de {settings.TANDEM_IMPORT_MEMORY_MB} Mo)"
            if failure.memory_exhausted
            else f"processus interrompu (code {failure.returncode})"
        )
        generated_file_end(
            file_id=file_id, status=GeneratedFile.Status.FAILED, label=f"échec technique : {reason}"
        )
        raise


@on_stalled(GENERATED_FILE_TASK)
def generated_file_stalled(job_kwargs: dict, retried: bool) -> None:
    file_id = job_kwargs["file_id"]
    if retried:
        GeneratedFile.objects.filter(pk=file_id).exclude(status__in=GeneratedFile.FINISHED).update(
            status=GeneratedFile.Status.PENDING,
            progress_percent=0,
            progress_label="relancé : le worker s'est arrêté pendant la génération",
        )
    else:
        generated_file_end(
            file_id=file_id,
            status=GeneratedFile.Status.FAILED,
            label="échec technique : le worker s'est arrêté pendant la génération ; demandez le fichier de nouveau",
        )


BACKGROUND_LOAD_TASK = "core.background_load"
REFUSED_EXIT_CODE = 1  # a command's French error (CommandError, UserError) exits with 1, printed first


@app.task(name=BACKGROUND_LOAD_TASK, queue="imports", pass_context=True)
def background_load_job(context, run_id: int) -> None:
    """A reference-data load (`tandem.core.loads`) in a memory-limited child process."""
    from tandem.core.loads import (
        background_load_end,
        background_load_progress,
        background_load_start,
        run_model,
    )

    run = background_load_start(run_id=run_id)
    if run is None:
        return
    Status = run_model().Status
    lines: list[str] = []

    def output(line: str) -> None:
        lines.append(line)
        background_load_progress(run_id=run_id, line=line)

    options = run.options or {}
    try:
        run_limited(
            [options["command"], *options.get("args", [])],
            memory_mb=settings.TANDEM_IMPORT_MEMORY_MB,
            should_abort=context.should_abort,
            on_output=output,
        )
    except procrastinate_exceptions.JobAborted:
        shutdown = context.abort_reason() == AbortReason.SHUTDOWN
        background_load_end(
            run_id=run_id,
            status=Status.FAILED if shutdown else Status.CANCELLED,
            label="échec technique : le worker a été arrêté pendant le chargement ; rien n'a été écrit"
            if shutdown
            else "annulé à la demande ; rien n'a été écrit",
        )
        raise
    except ChildFailed as failure:
        refusal = [n for n, line in enumerate(lines) if line.startswith("CommandError: ")]
        if failure.returncode == REFUSED_EXIT_CODE and refusal:
            # The command's own French message (a user error, not a crash): nothing was written.
            message = " ".join(lines[refusal[-1] :]).removeprefix("CommandError: ")
            background_load_end(run_id=run_id, status=Status.REFUSED, label=f"refusé : {message}")
            return
        reason = (
            f"mémoire insuffisante (limite de {settings.TANDEM_IMPORT_MEMORY_MB} Mo)"
            if failure.memory_exhausted
            else f"processus interrompu (code {failure.returncode})"
        )
        background_load_end(
            run_id=run_id, status=Status.FAILED, label=f"échec technique : {reason} ; rien n'a été écrit"
        )
        raise
    background_load_end(run_id=run_id, status=Status.DONE, label=lines[-1] if lines else "terminé")


@on_stalled(BACKGROUND_LOAD_TASK)
def background_load_stalled(job_kwargs: dict, retried: bool) -> None:
    from tandem.core.loads import background_load_end, run_model

    Run = run_model()
    run_id = job_kwargs["run_id"]
    run = Run.objects.filter(pk=run_id).first()
    if run is not None and run.started_at is not None:
        # The importer the load ran recorded its own run, left « en cours » by the dead worker: close it.
        Run.objects.filter(
            kind=run.kind, status=Run.Status.RUNNING, created_at__gte=run.started_at
        ).exclude(pk=run_id).update(
            status=Run.Status.FAILED,
            finished_at=timezone.now(),
            progress_label="échec technique : le worker s'est arrêté pendant l'import ; rien n'a été écrit",
        )
    if retried:
        Run.objects.filter(pk=run_id).exclude(status__in=Run.FINISHED).update(
            status=Run.Status.PENDING,
            progress_percent=0,
            progress_label="relancé : le worker s'est arrêté pendant le chargement (rien n'en a été écrit)",
        )
    else:
        background_load_end(
            run_id=run_id,
            status=Run.Status.FAILED,
            label="échec technique : le worker s'est arrêté pendant le chargement ; rien n'a été écrit",
        )
