"""Web imports run in the job worker (Procrastinate): a killed worker leaves nothing half-written and the run
is retried (never left « en cours »); a queued import can be cancelled; the child process has a memory limit."""

import os
import signal
import time

import pytest
from django.db import connection
from django.urls import reverse

from tandem.core.jobs import stalled_jobs_recover
from tandem.imports.models import ImportRun
from tandem.land.generate import generate_inventory, write_inventory_csv
from tandem.land.models import Etablissement, RecordVersion, Site, Terrain, Vintage
from tandem.land.selectors import commune_places
from tandem.land.services import UPLOAD_DIR
from tandem.organizations.models import Role, Visibility
from tests.factories import epci_org, make_member

STRASBOURG = "246700488"
CHILD = "tandem-job-land_import_run"  # application_name of the import's child process (tandem.core.jobs)


def wait_until(predicate, seconds, step=0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    return predicate()


def child_writing() -> int | None:
    """pid of the import child's backend while its write transaction is open and has written sites: it holds
    a row-exclusive lock on the site table, which PostgreSQL releases only at commit or rollback."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = %s AND l.relation = %s::regclass AND l.mode = 'RowExclusiveLock'",
            [CHILD, Site._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def child_connected() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [CHILD])
        return cursor.fetchone()[0] > 0


def submit(client, directory) -> ImportRun:
    files = [
        open(directory / f"{t}.csv", "rb") for t in ("pole-eco", "site-eco", "terrain-eco", "etablissement")
    ]  # noqa: SIM115
    try:
        response = client.post(
            reverse("www:land:import"), {"files": files, "epci": STRASBOURG, "visibility": Visibility.REGION}
        )
    finally:
        for f in files:
            f.close()
    run = ImportRun.objects.latest("pk")
    assert response.status_code == 302 and response.url == reverse("www:imports:detail", args=[run.pk])
    return run


@pytest.mark.django_db(transaction=True)
def test_killed_worker_leaves_nothing_half_written_and_the_import_is_retried(
    client, grand_est_geography, job_worker, tmp_path
):
    org = epci_org(STRASBOURG)
    client.force_login(make_member(org, Role.CONTRIBUTEUR))
    tables = generate_inventory(
        communes=commune_places(epci_sirens=[STRASBOURG]),
        n_sites=250,
        terrains_per_site=4,
        etablissements_per_site=2,
        sites_per_pole=20,
        seed=11,
    )
    write_inventory_csv(tables, tmp_path / "inventaire")
    run = submit(client, tmp_path / "inventaire")
    assert run.status == ImportRun.Status.PENDING and run.job_id
    stored = [u["path"] for u in run.options["uploads"]]
    assert all(p.startswith(f"{UPLOAD_DIR}/{run.pk}/") for p in stored)
    assert all((job_worker.media_root / p).exists() for p in stored)

    worker = job_worker.start()
    # Kill the worker while the import's child process is inside its write transaction.
    started = time.monotonic()
    assert wait_until(child_writing, 180), "the import never reached its write transaction"
    print(f"write transaction reached after {time.monotonic() - started:.1f} s")
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING and run.progress_label == "écriture"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    # The child dies with its worker (PR_SET_PDEATHSIG); PostgreSQL rolls its transaction back.
    assert wait_until(lambda: not child_connected(), 30)
    assert not Site.objects.unscoped().filter(owner=org).exists()
    assert not Terrain.objects.unscoped().exists() and not Etablissement.objects.unscoped().exists()
    assert not Vintage.objects.exists() and not RecordVersion.objects.exists()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING  # what the dead worker left, until the recovery

    # The recovery (a periodic job of every worker) finds the job without a live worker and queues it again.
    assert stalled_jobs_recover(seconds_since_heartbeat=0) == [(run.job_id, "retried")]
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PENDING and run.progress_label.startswith("relancé")
    job_worker.start()
    started = time.monotonic()
    assert wait_until(lambda: ImportRun.objects.get(pk=run.pk).finished, 240, step=0.5)
    print(f"retried import finished after {time.monotonic() - started:.1f} s")
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, (run.progress_label, run.problems[:3])
    assert Site.objects.unscoped().filter(owner=org).count() == len(tables["site-eco"])
    assert Terrain.objects.unscoped().count() == len(tables["terrain-eco"])
    assert Vintage.objects.count() == 1
    assert ImportRun.objects.filter(pk__gte=run.pk).count() == 1  # one run for the import, the one the worker retried
    # The uploads are removed from the storage once the run has finished.
    assert wait_until(lambda: not any((job_worker.media_root / p).exists() for p in stored), 30)


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_death_marks_the_import_failed_not_running(
    client, grand_est_geography, job_worker, tmp_path
):
    org = epci_org(STRASBOURG)
    client.force_login(make_member(org, Role.CONTRIBUTEUR))
    tables = generate_inventory(
        communes=commune_places(epci_sirens=[STRASBOURG]), n_sites=3, terrains_per_site=2, seed=3
    )
    write_inventory_csv(tables, tmp_path / "inventaire")
    run = submit(client, tmp_path / "inventaire")
    # The job as a dead worker leaves it: « doing », attempted once already, its worker gone.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', attempts = 1 WHERE id = %s", [run.job_id]
        )
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING, progress_label="écriture")
    assert stalled_jobs_recover(seconds_since_heartbeat=0) == [(run.job_id, "failed")]
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "rien n'a été écrit" in run.progress_label
    assert ImportRun.objects.filter(pk__gte=run.pk).count() == 1
    page = client.get(reverse("www:imports:detail", args=[run.pk])).content.decode()
    assert "échec technique" in page
    assert not any((job_worker.media_root / u["path"]).exists() for u in run.options["uploads"])


@pytest.mark.django_db(transaction=True)
def test_an_import_is_cancelled_before_it_starts_and_while_it_runs(
    client, grand_est_geography, job_worker, tmp_path
):
    org = epci_org(STRASBOURG)
    client.force_login(make_member(org, Role.CONTRIBUTEUR))
    tables = generate_inventory(
        communes=commune_places(epci_sirens=[STRASBOURG]), n_sites=600, terrains_per_site=4, seed=5
    )
    write_inventory_csv(tables, tmp_path / "inventaire")
    queued = submit(client, tmp_path / "inventaire")
    page = client.get(reverse("www:imports:detail", args=[queued.pk])).content.decode()
    assert 'id="import-cancel"' in page
    client.post(reverse("www:imports:cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.status == ImportRun.Status.CANCELLED

    running = submit(client, tmp_path / "inventaire")
    job_worker.start()
    assert wait_until(child_connected, 120)
    client.post(reverse("www:imports:cancel", args=[running.pk]))
    assert wait_until(lambda: ImportRun.objects.get(pk=running.pk).finished, 60, step=0.2)
    running.refresh_from_db()
    assert running.status == ImportRun.Status.CANCELLED, running.progress_label
    assert wait_until(lambda: not child_connected(), 30)
    assert not Site.objects.unscoped().exists() and not Vintage.objects.exists()
