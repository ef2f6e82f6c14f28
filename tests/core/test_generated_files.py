"""Exports and PDFs over the size threshold are prepared by the job worker (a real `tandem procrastinate worker`)
and downloaded from a French progress page by their requester only, until they expire; the permission layer
decides at generation time; a stored file is whole or absent."""

import csv
import io
import time
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from tandem.core.files import _store, generated_files_purge
from tandem.core.models import GeneratedFile
from tandem.land.generate import generate_inventory, write_inventory_csv
from tandem.land.selectors import commune_places
from tandem.land.services import land_import
from tandem.organizations.models import Membership, Role
from tandem.organizations.perms import Actor
from tests.factories import epci_org, make_member

STRASBOURG = "246700488"


def wait_until(predicate, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    return predicate()


def site_rows(archive_bytes: bytes) -> list[dict]:
    archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
    text = archive.read("site-eco.csv").decode("utf-8-sig")
    delimiter = text.split("\n")[0][len("site_id")]
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.fixture
def inventory(grand_est_geography, tmp_path):
    """An EPCI's inventory of 12 sites, imported by one of its contributors (owner-only visibility)."""
    org = epci_org(STRASBOURG)
    user = make_member(org, Role.CONTRIBUTEUR)
    tables = generate_inventory(
        communes=commune_places(epci_sirens=[STRASBOURG]), n_sites=12, terrains_per_site=2, seed=7
    )
    write_inventory_csv(tables, tmp_path / "inventaire")
    report = land_import(
        paths=sorted((tmp_path / "inventaire").glob("*.csv")),
        actor=Actor.for_user(user, org.pk),
        epci_siren=STRASBOURG,
    )
    assert report.written, report.summary()
    return {"org": org, "user": user, "sites": len(tables["site-eco"])}


def request_export(client, settings, limit: int):
    settings.TANDEM_EXPORT_SYNC_MAX_ROWS = limit
    return client.get(reverse("www:land:download_cnig"), {"format": "csv", "epci": STRASBOURG})


@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_prepared_by_the_worker_and_downloaded_by_its_requester_only(
    client, settings, inventory, job_worker
):
    client.force_login(inventory["user"])
    small = request_export(client, settings, limit=10_000)
    assert small.status_code == 200 and small["Content-Type"] == "application/zip"

    response = request_export(client, settings, limit=10)
    generated = GeneratedFile.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "www:generated_file_detail", args=[generated.pk]
    )
    page = client.get(response.url).content.decode()
    assert "préparé en arrière-plan" in page and "en attente" in page and 'http-equiv="refresh"' in page
    assert 'id="generated-download"' not in page

    job_worker.start()
    assert wait_until(lambda: GeneratedFile.objects.get(pk=generated.pk).finished, 120)
    generated.refresh_from_db()
    assert generated.status == GeneratedFile.Status.DONE, generated.progress_label
    assert generated.storage_name == f"generated/{generated.pk}/{generated.file_name}"
    assert (job_worker.media_root / generated.storage_name).stat().st_size == generated.size_bytes
    # Only the whole file is there: no temporary name left beside it.
    assert [p.name for p in (job_worker.media_root / "generated" / str(generated.pk)).iterdir()] == [
        generated.file_name
    ]
    page = client.get(reverse("www:generated_file_detail", args=[generated.pk])).content.decode()
    assert 'id="generated-download"' in page and "prêt" in page and 'http-equiv="refresh"' not in page

    download = client.get(reverse("www:generated_file_download", args=[generated.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert 'filename="inventaire-epci-246700488-csv.zip"' in download["Content-Disposition"]
    from_job = site_rows(b"".join(download.streaming_content))
    # The job and the request write the same rows (one generator for both paths).
    assert len(from_job) == inventory["sites"]
    assert sorted(r["site_id"] for r in from_job) == sorted(r["site_id"] for r in site_rows(small.content))

    # Anyone else, even of the same organisation, gets a 404: the file is its requester's.
    client.force_login(make_member(inventory["org"], Role.ADMIN))
    assert client.get(reverse("www:generated_file_download", args=[generated.pk])).status_code == 404
    assert client.get(reverse("www:generated_file_detail", args=[generated.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_permission_layer_decides_when_the_file_is_generated(client, settings, inventory, job_worker):
    user = inventory["user"]
    client.force_login(user)
    request_export(client, settings, limit=0)
    generated = GeneratedFile.objects.get()
    # The requester leaves the EPCI before the worker generates the file: its sites are no longer theirs to see.
    Membership.objects.filter(user=user).delete()
    job_worker.start()
    assert wait_until(lambda: GeneratedFile.objects.get(pk=generated.pk).finished, 120)
    generated.refresh_from_db()
    assert generated.status == GeneratedFile.Status.DONE
    with default_storage.open(generated.storage_name, "rb") as stored:
        assert site_rows(stored.read()) == []


@pytest.mark.django_db(transaction=True)
def test_a_queued_file_is_cancelled_and_an_expired_one_is_purged(client, settings, inventory, job_worker):
    client.force_login(inventory["user"])
    request_export(client, settings, limit=0)
    queued = GeneratedFile.objects.get()
    client.post(reverse("www:generated_file_cancel", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.status == GeneratedFile.Status.CANCELLED
    assert "annulé" in client.get(reverse("www:generated_file_detail", args=[queued.pk])).content.decode()

    request_export(client, settings, limit=0)
    ready = GeneratedFile.objects.exclude(pk=queued.pk).get()
    job_worker.start()
    assert wait_until(lambda: GeneratedFile.objects.get(pk=ready.pk).finished, 120)
    ready.refresh_from_db()
    assert ready.status == GeneratedFile.Status.DONE
    assert GeneratedFile.objects.get(pk=queued.pk).storage_name == ""  # the cancelled one was never generated
    stored = job_worker.media_root / ready.storage_name
    assert stored.exists()

    # Past its expiry the link answers 410 with a French page, and the periodic purge deletes the file.
    GeneratedFile.objects.filter(pk=ready.pk).update(expires_at=timezone.now())
    gone = client.get(reverse("www:generated_file_download", args=[ready.pk]))
    assert gone.status_code == 410 and "Ce fichier a expiré" in gone.content.decode()
    assert generated_files_purge() == 1
    assert not stored.exists()
    assert GeneratedFile.objects.get(pk=ready.pk).get_status_display() == "expiré"


def test_a_failed_write_leaves_no_file_and_no_temporary_name(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path

    def half_then_crash(out):
        out.write(b"x" * 100_000)
        raise RuntimeError("generation interrupted")

    with pytest.raises(RuntimeError):
        _store("generated/1/export.csv", half_then_crash)
    assert list((tmp_path / "generated" / "1").iterdir()) == []

    assert _store("generated/1/export.csv", lambda out: out.write(b"a;b\r\n")) == 5
    assert (tmp_path / "generated" / "1" / "export.csv").read_bytes() == b"a;b\r\n"


@pytest.mark.django_db
def test_the_site_list_csv_of_many_sites_is_prepared_by_a_job_with_the_same_rows(
    client, settings, inventory, tmp_path
):
    """The land site list's CSV over `TANDEM_EXPORT_SYNC_MAX_SITES` sites is recorded for the job worker
    (its generator run here as the job's child runs it), and holds the rows the request would have served."""
    from tandem.core.files import generated_file_build

    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(inventory["user"])
    url = reverse("www:land:download_sites_csv")
    settings.TANDEM_EXPORT_SYNC_MAX_SITES = 1_000
    small = client.get(url, {"epci": STRASBOURG})
    assert small.status_code == 200 and small["Content-Type"] == "text/csv; charset=utf-8"
    inline = list(csv.DictReader(io.StringIO(small.content.decode()), delimiter=";"))
    assert len(inline) == inventory["sites"]

    settings.TANDEM_EXPORT_SYNC_MAX_SITES = inventory["sites"] - 1
    response = client.get(url, {"epci": STRASBOURG})
    generated = GeneratedFile.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "www:generated_file_detail", args=[generated.pk]
    )
    assert generated.kind == "land.sites_csv" and generated.params == {"epci": STRASBOURG}
    assert generated_file_build(file_id=generated.pk).status == GeneratedFile.Status.DONE
    download = client.get(reverse("www:generated_file_download", args=[generated.pk]))
    from_job = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode()), delimiter=";"))
    assert from_job == inline
