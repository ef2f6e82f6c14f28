"""Maintenance jobs of the worker itself. Periodic work of every module is declared the same way:
`@app.periodic(cron=…)` above `@app.task(…)` in the module's tasks.py (Procrastinate defers it once per tick,
whatever the number of workers)."""

from procrastinate.contrib.django import app

from tandem.core.jobs import stalled_jobs_recover


@app.periodic(cron="* * * * *", periodic_id="stalled-jobs-recover")
@app.task(name="core.stalled_jobs_recover", queue="maintenance", queueing_lock="stalled-jobs-recover")
def stalled_jobs_recover_job(timestamp: int) -> None:
    """Every minute: jobs whose worker died are retried or marked failed (never left « en cours »)."""
    stalled_jobs_recover()
