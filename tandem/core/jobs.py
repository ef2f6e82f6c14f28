"""Background jobs: the pieces every job shares (Procrastinate, PostgreSQL-backed; docs/adr/0001-background-jobs.md).

- `run_limited`: a job's heavy work runs in a child process `python -m tandem.manage …` whose address space is
  limited (RLIMIT_AS) and which dies with the worker (PR_SET_PDEATHSIG): a killed worker leaves no orphan still
  writing, and PostgreSQL rolls back the child's open transaction. The job polls for cancellation meanwhile.
- `stalled_jobs_recover`: jobs left « doing » by a worker that stopped sending heartbeats (killed, machine
  restarted) are retried while they have attempts left, else marked failed; the app that owns the task is told
  through `on_stalled` so its own run record never stays « en cours ».
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from django.conf import settings
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate import jobs as procrastinate_jobs
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
MAX_ATTEMPTS = 2  # a job whose worker died once is run again once; a second death marks it failed
# task name -> called with (job_kwargs, retried: bool) when a stalled job is retried or failed
STALLED_HANDLERS: dict[str, Callable[[dict, bool], None]] = {}


def on_stalled(task_name: str):
    """Register what to do with the app's own records when a job of `task_name` lost its worker."""

    def register(handler):
        STALLED_HANDLERS[task_name] = handler
        return handler

    return register


class ChildFailed(Exception):
    def __init__(self, returncode: int, memory_exhausted: bool):
        self.returncode, self.memory_exhausted = returncode, memory_exhausted
        super().__init__(f"processus fils terminé avec le code {returncode}")


def _child_setup(memory_mb: int) -> Callable[[], None]:
    def setup() -> None:  # runs in the child between fork and exec
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return setup


def run_limited(
    args: list[str],
    *,
    memory_mb: int,
    should_abort: Callable[[], bool] = lambda: False,
    poll_seconds: float = 0.5,
    on_output: Callable[[str], None] | None = None,
) -> None:
    """Run `tandem <args>` in a child process limited to `memory_mb` of address space.

    With `on_output`, each line the child prints (standard output and error) is passed to it, from a reader
    thread, as it comes (a command's progress and its final summary or French error).

    Raises `procrastinate.exceptions.JobAborted` (after stopping the child, whose transaction PostgreSQL rolls
    back) when the job is cancelled or the worker shuts down, `ChildFailed` when the child fails (a MemoryError
    exits with code 3)."""
    child = subprocess.Popen(  # noqa: S603 — our own interpreter and module, arguments from the job
        [sys.executable, "-m", "tandem.manage", *args],
        preexec_fn=_child_setup(memory_mb),  # noqa: PLW1509 — the worker runs no other threads forking
        # PostgreSQL shows the child's connection as `tandem-job-<command>` (pg_stat_activity).
        env={**os.environ, "PGAPPNAME": f"tandem-job-{args[0]}"},
        stdout=subprocess.PIPE if on_output else None,
        stderr=subprocess.STDOUT if on_output else None,
        text=bool(on_output),
    )
    reader = None
    if on_output:

        def read() -> None:
            from django.db import connections

            try:
                for line in child.stdout:
                    if line.strip():
                        on_output(line.rstrip("\n"))
            finally:
                connections.close_all()  # this thread's own connections only

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
    try:
        _wait(child, should_abort=should_abort, poll_seconds=poll_seconds)
    finally:
        if reader:
            reader.join(timeout=10)


def _wait(child: subprocess.Popen, *, should_abort: Callable[[], bool], poll_seconds: float) -> None:
    while True:
        try:
            returncode = child.wait(timeout=poll_seconds)
            break
        except subprocess.TimeoutExpired:
            if should_abort():
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                raise procrastinate_exceptions.JobAborted("annulé par l'utilisateur") from None
    if returncode != 0:
        raise ChildFailed(returncode, memory_exhausted=returncode == MEMORY_EXIT_CODE)


MEMORY_EXIT_CODE = 3


def child_main(work: Callable[[], None]) -> None:
    """Entry of a job's child process: a MemoryError (the RLIMIT_AS limit reached) exits with code 3."""
    try:
        work()
    except MemoryError:
        os._exit(MEMORY_EXIT_CODE)


def _sync(function, *args, **kwargs):
    """Call one of Procrastinate's async manager methods from synchronous code. `async_to_sync` refuses to run
    in a thread that already runs an event loop (Playwright's sync API does, in browser tests): the call then
    goes through a fresh thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(function)(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: async_to_sync(function)(*args, **kwargs)).result()


def stalled_jobs_recover(*, seconds_since_heartbeat: float | None = None) -> list[tuple[int, str]]:
    """Retry or fail the jobs whose worker stopped sending heartbeats; returns (job id, "retried"/"failed")."""
    seconds = (
        settings.TANDEM_JOBS_STALLED_SECONDS if seconds_since_heartbeat is None else seconds_since_heartbeat
    )
    manager = app.job_manager
    outcome = []
    for job in _sync(manager.get_stalled_jobs, seconds_since_heartbeat=seconds):
        retried = job.attempts + 1 < MAX_ATTEMPTS
        if retried:
            _sync(manager.retry_job, job)
        else:
            _sync(manager.finish_job, job, status=procrastinate_jobs.Status.FAILED, delete_job=False)
        handler = STALLED_HANDLERS.get(job.task_name)
        if handler:
            kwargs = job.task_kwargs  # a JSON string through Django's connection, a dict through psycopg's
            handler(json.loads(kwargs) if isinstance(kwargs, str) else kwargs, retried)
        logger.warning(
            "job %s (%s) sans worker : %s", job.id, job.task_name, "relancé" if retried else "échec"
        )
        outcome.append((job.id, "retried" if retried else "failed"))
    return outcome


def finished_jobs_delete(*, older_than_hours: int | None = None) -> None:
    """Delete the queue's jobs finished (succeeded, failed, cancelled, aborted) more than `older_than_hours`
    ago, with their events, so the queue's tables stay small (Procrastinate's own `delete_old_jobs`). The
    records of the apps (import runs, generated files) keep their own history."""
    hours = settings.TANDEM_JOBS_KEEP_DAYS * 24 if older_than_hours is None else older_than_hours
    _sync(
        app.job_manager.delete_old_jobs,
        nb_hours=hours,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
