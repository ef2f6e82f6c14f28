"""Land background jobs (Procrastinate): imports started from the web run in the job worker, one child process
per import with a memory limit (tandem.core.jobs.run_limited)."""

from __future__ import annotations

import logging

from django.conf import settings
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate import jobs as procrastinate_jobs
from procrastinate.contrib.django import app
from procrastinate.job_context import AbortReason

from tandem.core.jobs import ChildFailed, on_stalled, run_limited
from tandem.imports.models import ImportRun
from tandem.imports.services import on_cancel
from tandem.land.services import land_import_end

IMPORT_TASK = "land.import"
logger = logging.getLogger(__name__)


@app.task(name=IMPORT_TASK, queue="imports", pass_context=True)
def land_import_job(context, run_id: int) -> None:
    try:
        run_limited(
            ["land_import_run", str(run_id)],
            memory_mb=settings.TANDEM_IMPORT_MEMORY_MB,
            should_abort=context.should_abort,
        )
    except procrastinate_exceptions.JobAborted:
        if context.abort_reason() == AbortReason.SHUTDOWN:
            land_import_end(
                run_id=run_id,
                status=ImportRun.Status.FAILED,
                label="échec technique : le worker a été arrêté pendant l'import ; rien n'a été écrit, relancez-le",
            )
        else:
            land_import_end(
                run_id=run_id,
                status=ImportRun.Status.CANCELLED,
                label="annulé à la demande ; rien n'a été écrit",
            )
        raise
    except ChildFailed as failure:
        reason = (
            f"mémoire insuffisante (limite de {settings.TANDEM_IMPORT_MEMORY_MB} Mo par import)"
            if failure.memory_exhausted
            else f"processus d'import interrompu (code {failure.returncode})"
        )
        land_import_end(
            run_id=run_id,
            status=ImportRun.Status.FAILED,
            label=f"échec technique : {reason} ; rien n'a été écrit",
        )
        raise
    land_matching_prepare()


def land_matching_prepare() -> None:
    """After a land import: the matching's candidate arrays of the new data, built once here and stored for
    every web process (tandem.prospects.candidates), so that no prospect page pays for them. A failure leaves
    the import as it is (the first page needing them builds them)."""
    from tandem.prospects.candidates import candidate_arrays_prepare

    try:
        candidate_arrays_prepare()
    except Exception:  # the import succeeded; the arrays are derived data
        logger.exception("candidate arrays not prepared after a land import")


@on_stalled(IMPORT_TASK)
def land_import_stalled(job_kwargs: dict, retried: bool) -> None:
    run_id = job_kwargs["run_id"]
    if retried:
        ImportRun.objects.filter(pk=run_id).exclude(status__in=ImportRun.FINISHED).update(
            status=ImportRun.Status.PENDING,
            progress_percent=0,
            progress_label="relancé : le worker s'est arrêté pendant l'import (rien n'en a été écrit)",
        )
    else:
        land_import_end(
            run_id=run_id,
            status=ImportRun.Status.FAILED,
            label="échec technique : le worker s'est arrêté pendant l'import ; rien n'a été écrit, relancez-le",
        )


def land_import_defer(run: ImportRun) -> None:
    """Queue a submitted import (tandem.land.services.land_import_submit) for the job worker."""
    run.job_id = land_import_job.defer(run_id=run.pk)
    run.save(update_fields=["job_id"])


@on_cancel(ImportRun.Kind.LAND, ImportRun.Kind.LAND_SITES, ImportRun.Kind.LAND_FRICHES)
def land_import_cancel(run: ImportRun) -> None:
    """Cancel a queued import at once, or ask the worker to stop a running one (its child process is stopped,
    and PostgreSQL rolls back its transaction)."""
    if run.finished:
        return
    if run.job_id is None:
        land_import_end(run_id=run.pk, status=ImportRun.Status.CANCELLED, label="annulé à la demande")
        return
    app.job_manager.cancel_job_by_id(run.job_id, abort=True)
    if app.job_manager.get_job_status(run.job_id) == procrastinate_jobs.Status.CANCELLED:
        land_import_end(run_id=run.pk, status=ImportRun.Status.CANCELLED, label="annulé avant de commencer")
    else:
        ImportRun.objects.filter(pk=run.pk).exclude(status__in=ImportRun.FINISHED).update(
            progress_label="annulation demandée"
        )
