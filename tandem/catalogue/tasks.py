"""Periodic work of need routing (Procrastinate; the worker `make demo` starts runs it)."""

from django.utils import timezone
from procrastinate.contrib.django import app

from tandem.catalogue.services import routings_follow_up


@app.periodic(cron="15 6 * * *", periodic_id="routings-follow-up")
@app.task(name="catalogue.routings_follow_up", queue="maintenance", queueing_lock="routings-follow-up")
def routings_follow_up_job(timestamp: int) -> dict:
    """Every morning (06:15 UTC): reminders at D+9 and D+21 to partners who have not answered a need, and at
    D+45 the need returns to its organisation « sans réponse »."""
    return routings_follow_up(today=timezone.localdate())
