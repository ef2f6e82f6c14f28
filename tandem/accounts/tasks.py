"""Periodic work of the accounts (Procrastinate; the worker `make demo` starts runs it)."""

from django.utils import timezone
from procrastinate.contrib.django import app

from tandem.accounts.services import email_digests_send


@app.periodic(cron="0 7 * * *", periodic_id="email-digests")
@app.task(name="accounts.email_digests_send", queue="maintenance", queueing_lock="email-digests")
def email_digests_job(timestamp: int) -> int:
    """Every morning (07:00 UTC): users who chose a daily digest get one e-mail with their notifications."""
    return email_digests_send(now=timezone.now())
