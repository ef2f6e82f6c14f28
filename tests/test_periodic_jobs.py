"""Periodic work (Procrastinate `@app.periodic`): each registered task does something real, and the worker that
`make demo` starts defers and runs them by itself."""

import email
import email.policy
import socket
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app

from tandem.companies.followup import reminder_create
from tandem.companies.models import Reminder
from tandem.companies.tasks import reminders_notify_job
from tandem.core.jobs import finished_jobs_delete
from tandem.core.tasks import generated_files_purge_job
from tandem.organizations.models import Membership
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member

STRASBOURG = "246700488"
MULHOUSE = "200066009"


def test_the_registry_holds_the_periodic_tasks_of_every_module():
    registered = {
        (pt.periodic_id, pt.task.name, pt.cron) for pt in app.periodic_registry.periodic_tasks.values()
    }
    assert registered == {
        ("stalled-jobs-recover", "core.stalled_jobs_recover", "* * * * *"),
        ("generated-files-purge", "core.generated_files_purge", "*/15 * * * *"),
        ("finished-jobs-delete", "core.finished_jobs_delete", "30 2 * * *"),
        ("reminders-notify", "companies.reminders_notify", "0 6 * * *"),
        ("routings-follow-up", "catalogue.routings_follow_up", "15 6 * * *"),
        ("email-digests", "accounts.email_digests_send", "0 7 * * *"),
        ("eit-estimates-refresh", "eit.estimated_flows_refresh", "30 3 * * *"),
        ("steering-snapshots", "steering.snapshots_take", "15 3 1 1,4,7,10 *"),
        ("conventions-alert", "steering.conventions_alert", "30 6 * * *"),
        ("steering-live-warm", "steering.live_values_warm", "* * * * *"),
    }


class Inbox:
    """A real SMTP server's handler (aiosmtpd): keeps every message received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.TANDEM_SITE_URL = "https://tandem.example.fr"
    yield inbox
    controller.stop()


@pytest.mark.django_db
def test_due_reminders_are_e_mailed_once_to_each_advisor_who_still_sees_them(smtp_inbox):
    strasbourg, mulhouse = epci_org(STRASBOURG), epci_org(MULHOUSE)
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN")
    advisor = make_member(strasbourg)
    advisor.email = "conseillere@example.fr"
    advisor.save()
    departed = make_member(mulhouse)
    departed.email = "parti@example.fr"
    departed.save()
    today = timezone.localdate()

    mulhouse_company = make_company("68224", name="FONDERIE FICTIVE DE MULHOUSE")

    def remind(user, org, on, text):
        return reminder_create(
            actor=Actor.for_user(user, org.pk),
            owner=org,
            company=company if org == strasbourg else mulhouse_company,
            assignee=user,
            remind_on=on,
            text=text,
        )

    remind(advisor, strasbourg, today - timedelta(days=2), "Relancer le dirigeant")
    remind(advisor, strasbourg, today, "Envoyer la fiche aide")
    remind(advisor, strasbourg, today + timedelta(days=1), "Pas encore")
    done = remind(advisor, strasbourg, today, "Déjà fait")
    Reminder.objects.unscoped().filter(pk=done.pk).update(done_at=timezone.now())
    remind(departed, mulhouse, today, "Ne doit pas partir")
    Membership.objects.filter(user=departed).delete()  # left Mulhouse: its reminders are no longer theirs

    assert reminders_notify_job(int(time.time())) == 1
    [message] = smtp_inbox.messages
    assert message["To"] == "conseillere@example.fr"
    assert message["Subject"] == "Tandem : 2 rappels à traiter"
    body = message.get_content()
    assert "Relancer le dirigeant" in body and "Envoyer la fiche aide" in body
    assert (today - timedelta(days=2)).strftime("%d/%m/%Y") in body
    assert f"ATELIERS FICTIFS DU RHIN ({company.siren})" in body
    assert f"https://tandem.example.fr/entreprises/{company.siren}/" in body
    assert "Pas encore" not in body and "Déjà fait" not in body and "Ne doit pas partir" not in body

    # The next run sends nothing again; a reminder falling due later is sent then.
    assert reminders_notify_job(int(time.time())) == 0 and len(smtp_inbox.messages) == 1
    Reminder.objects.unscoped().filter(text="Pas encore").update(remind_on=today)
    assert reminders_notify_job(int(time.time())) == 1
    assert smtp_inbox.messages[1]["Subject"] == "Tandem : 1 rappel à traiter"


def _job(status: str, finished_hours_ago: float) -> int:
    job_id = generated_files_purge_job.defer(timestamp=0)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id])
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) WHERE job_id = %s",
            [finished_hours_ago * 3600, job_id],
        )
    return job_id


@pytest.mark.django_db
def test_finished_jobs_leave_the_queue_after_the_keeping_time(settings):
    settings.TANDEM_JOBS_KEEP_DAYS = 30
    old_success, old_failure = _job("succeeded", 31 * 24), _job("failed", 31 * 24)
    recent, waiting = _job("succeeded", 2), _job("todo", 40 * 24)
    finished_jobs_delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM procrastinate_jobs WHERE id = ANY(%s) ORDER BY id",
            [[old_success, old_failure, recent, waiting]],
        )
        assert [row[0] for row in cursor.fetchall()] == [recent, waiting]


@pytest.mark.django_db(transaction=True)
def test_the_worker_defers_and_runs_the_periodic_tasks_by_itself(job_worker):
    job_worker.start()

    def recovery_ran():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM procrastinate_jobs j JOIN procrastinate_periodic_defers d ON d.job_id = j.id "
                "WHERE d.periodic_id = 'stalled-jobs-recover' AND j.status = 'succeeded'"
            )
            return cursor.fetchone()[0]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not recovery_ran():
        time.sleep(0.5)
    assert recovery_ran() >= 1
