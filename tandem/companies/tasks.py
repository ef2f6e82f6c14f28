"""Periodic work of the follow-up (Procrastinate; the worker `make demo` starts runs it)."""

from django.utils import timezone
from procrastinate.contrib.django import app

from tandem.companies.followup import reminders_notify


@app.periodic(cron="0 6 * * *", periodic_id="reminders-notify")
@app.task(name="companies.reminders_notify", queue="maintenance", queueing_lock="reminders-notify")
def reminders_notify_job(timestamp: int) -> int:
    """Every morning (06:00 UTC): each advisor gets one e-mail with their reminders due that day or before."""
    return reminders_notify(on=timezone.localdate())
