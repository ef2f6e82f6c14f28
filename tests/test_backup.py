"""scripts/backup.sh and scripts/restore.sh with the cluster's own pg_dump and pg_restore: a database with data
(official geography with its PostGIS geometries, organisations, a queued job, an audit trail) and its media
files are dumped, restored into a new database of the same cluster, and every table holds the same rows."""

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tandem.core.files import generated_file_request
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tests.conftest import REPO, database_url_for_processes
from tests.factories import epci_org, make_member

STRASBOURG = "246700488"
TABLES_SQL = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
# A fingerprint of the geometries themselves, not only their number.
GEOMETRY_SQL = "SELECT md5(string_agg(ST_AsEWKB(geometry)::text, ',' ORDER BY code)) FROM territories_commune"


def cluster_bindir(cursor) -> str:
    """The client binaries of the server's major version (pg_dump refuses an older server's… newer one)."""
    cursor.execute("SHOW server_version_num")
    major = int(cursor.fetchone()[0]) // 10_000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin")
    if (candidate / "pg_dump").exists():
        return str(candidate)
    return subprocess.run(
        ["pg_config", "--bindir"], capture_output=True, text=True, check=True
    ).stdout.strip()  # noqa: S607


def row_counts(cursor) -> dict[str, int]:
    cursor.execute(TABLES_SQL)
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 — names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_new_database_with_every_row_and_the_media_files(
    grand_est_geography, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    with connection.cursor() as cursor:  # jobs of earlier tests (the flush does not reach the queue's tables)
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs CASCADE"
        )
    org = epci_org(STRASBOURG)
    user = make_member(org)
    generated_file_request(
        actor=Actor.for_user(user, org.pk),
        kind="land.cnig",
        params={"format": "csv", "epci": STRASBOURG},
        label="Inventaire",
        file_name="inventaire.zip",
        content_type="application/zip",
    )
    upload = settings.MEDIA_ROOT / "imports" / "land" / "1" / "site-eco.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("site_id;site_nom\r\n1;Zone démo ’\r\n", encoding="cp1252")

    with connection.cursor() as cursor:
        bindir = cluster_bindir(cursor)
        source_counts = row_counts(cursor)
        cursor.execute(GEOMETRY_SQL)
        source_geometries = cursor.fetchone()[0]
    assert source_counts["territories_commune"] == Commune.objects.count() > 5000
    assert source_counts["procrastinate_jobs"] == 1 and source_counts["core_generatedfile"] == 1

    source_url = database_url_for_processes()
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    restored_url = source_url.rsplit("/", 1)[0] + f"/{restored_name}"
    maintenance_url = source_url.rsplit("/", 1)[0] + "/postgres"
    env = {"PATH": "/usr/bin:/bin", "PG_BINDIR": bindir}

    def drop_restored():
        with psycopg.connect(maintenance_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')

    drop_restored()
    try:
        backup = subprocess.run(  # noqa: S603
            [str(REPO / "scripts/backup.sh"), str(tmp_path / "sauvegardes")],
            env={**env, "DATABASE_URL": source_url, "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        dump, media_archive = backup.stdout.split()
        assert dump.endswith(".dump") and media_archive.endswith("-media.tar.gz")
        # Nothing half-written is left beside the backups.
        assert sorted(p.name for p in (tmp_path / "sauvegardes").iterdir()) == sorted(
            [Path(dump).name, Path(media_archive).name]
        )

        restored_media = tmp_path / "media-restaurees"
        restore = subprocess.run(  # noqa: S603
            [str(REPO / "scripts/restore.sh"), dump, media_archive],
            env={**env, "DATABASE_URL": restored_url, "MEDIA_ROOT": str(restored_media)},
            capture_output=True,
            text=True,
        )
        assert restore.returncode == 0, restore.stderr
        with psycopg.connect(restored_url) as restored, restored.cursor() as cursor:
            assert row_counts(cursor) == source_counts
            cursor.execute(GEOMETRY_SQL)
            assert cursor.fetchone()[0] == source_geometries
        assert (restored_media / "imports/land/1/site-eco.csv").read_bytes() == upload.read_bytes()

        # A second restore into the now non-empty database is refused, in French, and changes nothing.
        again = subprocess.run(  # noqa: S603
            [str(REPO / "scripts/restore.sh"), dump],
            env={**env, "DATABASE_URL": restored_url},
            capture_output=True,
            text=True,
        )
        assert again.returncode == 1 and "n'est pas vide" in again.stderr
        with psycopg.connect(restored_url) as restored, restored.cursor() as cursor:
            assert row_counts(cursor) == source_counts
    finally:
        drop_restored()
        shutil.rmtree(tmp_path / "sauvegardes", ignore_errors=True)
