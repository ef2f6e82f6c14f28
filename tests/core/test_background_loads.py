"""Reference-data loads as jobs (`tandem background COMMAND …`, run by a real `tandem procrastinate worker`): the
run reports the command's progress and summary, a refused load writes nothing and says why in French, a queued
load is cancelled, a load whose worker died twice ends « échec technique », never « en cours »."""

import io
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tandem.core.jobs import stalled_jobs_recover
from tandem.core.loads import run_model
from tandem.prospects.models import BmoBasinCommune, BmoJob
from tests.conftest import shared_file

BMO = "real/economy/bmo_2024/bmo_2024_grand_est.csv"
BASSINS = "real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"


def wait_until(predicate, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    return predicate()


def background_runs():
    """The runs of background loads (the importer a load runs records its own run too)."""
    return run_model().objects.filter(options__has_key="background")


def importer_runs(kind: str):
    return run_model().objects.filter(kind=kind).exclude(options__has_key="background")


def background(*args) -> str:
    out = io.StringIO()
    call_command("background", *args, stdout=out)
    return out.getvalue()


def status(run_id, *extra) -> str:
    out = io.StringIO()
    call_command("background_status", str(run_id), *extra, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_load_runs_in_the_worker_and_reports_its_summary(job_worker):
    Run = run_model()
    printed = background("import_bmo", "--bmo", str(shared_file(BMO)), "--bassins", str(shared_file(BASSINS)))
    run = background_runs().get()
    assert f"Chargement n° {run.pk} mis en file" in printed
    assert run.status == Run.Status.PENDING and run.job_id
    assert {f["name"] for f in run.files} == {"bmo_2024_grand_est.csv", "bassins_bmo_communes_grand_est.csv"}
    assert "en attente" in status(run.pk)
    assert not BmoJob.objects.exists()

    job_worker.start()
    assert wait_until(lambda: Run.objects.get(pk=run.pk).finished, 180)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.progress_label
    assert BmoJob.objects.count() == 5159  # the real file's rows (tests/prospects/test_labour.py)
    assert BmoBasinCommune.objects.exists()
    # The command's report's last line is the run's last step, shown by `background_status`; the importer's
    # own run holds the counts.
    assert run.progress_label == "0 erreur(s), 0 avertissement(s)"
    assert importer_runs("bmo").get().created == 5159
    assert run.progress_label in status(run.pk) and "terminé" in status(run.pk)


@pytest.mark.django_db(transaction=True)
def test_a_refused_load_writes_nothing_and_says_why_in_french(job_worker, tmp_path):
    Run = run_model()
    bad = tmp_path / "bmo.csv"
    lines = open(shared_file(BMO), encoding="utf-8-sig").read().splitlines()[:4]
    lines[3] = lines[3].rsplit(",", 3)[0] + ",12,abc,*"
    bad.write_text("\n".join(lines), encoding="utf-8")
    background("import_bmo", f"--bmo={bad}", "--bassins", str(shared_file(BASSINS)))
    run = background_runs().get()
    assert run.options["args"][0] == f"--bmo={bad.resolve()}"
    job_worker.start()
    assert wait_until(lambda: Run.objects.get(pk=run.pk).finished, 180)
    run.refresh_from_db()
    assert run.status == Run.Status.REFUSED, run.progress_label
    assert run.progress_label.startswith("refusé : ")
    refused = importer_runs("bmo").get()  # the importer's refused run and its report
    assert refused.status == Run.Status.REFUSED
    assert any(p.get("line") == 4 and "xmet" in str(p) for p in refused.problems), refused.problems
    assert not BmoJob.objects.exists() and not BmoBasinCommune.objects.exists()


@pytest.mark.django_db
def test_only_load_commands_with_valid_arguments_are_queued():
    with pytest.raises(CommandError, match="ne peut pas être lancé en tâche de fond"):
        background("flush", "--no-input")
    with pytest.raises(CommandError, match="Arguments refusés pour import_bmo"):
        background("import_bmo", "--bmo", "x.csv")  # --bassins is required
    assert not background_runs().exists() and not importer_runs("bmo").exists()


@pytest.mark.django_db(transaction=True)
def test_a_queued_load_is_cancelled_and_a_twice_dead_worker_fails_it(job_worker):
    Run = run_model()
    args = ["import_bmo", "--bmo", str(shared_file(BMO)), "--bassins", str(shared_file(BASSINS))]
    background(*args)
    queued = background_runs().get()
    assert "annulé" in status(queued.pk, "--annuler")
    queued.refresh_from_db()
    assert queued.status == Run.Status.CANCELLED

    background(*args)
    stalled = background_runs().exclude(pk=queued.pk).get()
    # The job as a dead worker leaves it: « doing », attempted once already, its worker gone.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', attempts = 1 WHERE id = %s", [stalled.job_id]
        )
    Run.objects.filter(pk=stalled.pk).update(status=Run.Status.RUNNING)
    assert stalled_jobs_recover(seconds_since_heartbeat=0) == [(stalled.job_id, "failed")]
    stalled.refresh_from_db()
    assert stalled.status == Run.Status.FAILED and "rien n'a été écrit" in stalled.progress_label
    assert not BmoJob.objects.exists()


CHILD = "tandem-job-load_geography"  # application_name of the load's child process (tandem.core.jobs)


def child_writing_communes() -> bool:
    """The load's child holds a write lock on the communes: its transaction is open and has written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = %s AND l.relation = 'territories_commune'::regclass "
            "AND l.mode = 'RowExclusiveLock'",
            [CHILD],
        )
        return cursor.fetchone()[0] > 0


def child_connected() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [CHILD])
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_geography_load_leaves_nothing_and_the_load_is_retried(job_worker):
    import os
    import signal

    from tandem.territories.models import Commune

    Run = run_model()
    # An empty database (the session's geography would make the load a no-op): the load writes everything.
    call_command("flush", "--no-input", verbosity=0)
    assert not Commune.objects.exists() and not importer_runs("geography").exists()
    background("load_geography")
    run = background_runs().get()
    worker = job_worker.start()
    reached = wait_until(
        lambda: child_writing_communes() or Run.objects.get(pk=run.pk).finished, 400, step=0.05
    )
    run.refresh_from_db()
    assert reached and child_writing_communes(), (run.status, run.progress_label)
    assert run.status == Run.Status.RUNNING
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    # The child dies with its worker; PostgreSQL rolls its transaction back.
    assert wait_until(lambda: not child_connected(), 30)
    assert not Commune.objects.exists()
    assert stalled_jobs_recover(seconds_since_heartbeat=0) == [(run.job_id, "retried")]
    # The importer's own run, left « en cours » by the dead worker, is closed as failed: never stuck.
    assert not importer_runs("geography").exclude(status=Run.Status.FAILED).exists()
    run.refresh_from_db()
    assert run.status == Run.Status.PENDING and run.progress_label.startswith("relancé")
