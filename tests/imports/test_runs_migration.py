"""The migrations that merge the three former run models into imports.ImportRun keep their history: land runs
(same ids, vintages linked), SIRENE/BODACC runs (now one-to-one extensions of their run) and geography loads."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("land", "0005_merge_postgis_jobs_labels"),
    ("companies", "0010_merge_agenda_references_postgis"),
    ("territories", "0003_search_trigram_indexes"),
    ("imports", "0001_initial"),
]
AFTER = [
    ("land", "0007_delete_land_importrun"),
    ("companies", "0012_registry_moved_fields_removed"),
    ("territories", "0005_delete_geographyload"),
]


@pytest.fixture
def migration_executor():
    """A migration executor; the schema is brought back to the latest migrations afterwards."""
    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_former_runs_move_into_imports_keeping_their_history(migration_executor):
    executor = migration_executor
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    when = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
    LandRun = old.get_model("land", "ImportRun")
    Vintage = old.get_model("land", "Vintage")
    land_run = LandRun.objects.create(
        standard="friches",
        status="unchanged",
        files=[{"name": "friches.csv", "sha256": "ab" * 32}],
        options={"set": {"urba_zaer": "inconnu"}},
        counts={"friches": {"read": 10, "rejected": 1, "added": 0, "changed": 0, "unchanged": 9}},
        problems=[
            {"file": "friches.csv", "line": 3, "field": "x", "message": "m", "value": None, "level": "error"}
        ],
        errors_count=1,
        rejects_csv="ligne;motifs\n3;m\n",
        skip_invalid=True,
        started_at=when,
        finished_at=when + dt.timedelta(seconds=4),
    )
    LandRun.objects.filter(pk=land_run.pk).update(created_at=when)
    vintage = Vintage.objects.create(
        standard="friches", scope="friches:essai", number=1, provenance={"import_run": land_run.pk}
    )
    Registry = old.get_model("companies", "RegistryImport")
    registry = Registry.objects.create(
        kind="etablissement",
        file_name="StockEtablissement.csv",
        file_sha256="cd" * 32,
        file_size=1234,
        rows_read=300,
        rows_in_territory=200,
        rows_rejected=2,
        created=150,
        updated=40,
        unchanged=8,
        duration_s=12.5,
        problems=[{"line": 7, "field": "siret", "message": "SIRET invalide", "value": "1"}],
    )
    Load = old.get_model("territories", "GeographyLoad")
    Load.objects.create(
        cog_year=2026,
        sources=[{"name": "INSEE COG", "path": "v_commune_2026.csv"}],
        summary={"communes": {"created": 5, "updated": 2, "retired": 1}},
    )

    taken = set(old.get_model("imports", "ImportRun").objects.values_list("pk", flat=True))
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Run = new.get_model("imports", "ImportRun")

    moved = Run.objects.get(pk=new.get_model("land", "Vintage").objects.get(pk=vintage.pk).run_id)
    # The land run keeps its id (its page, its queued job) unless a run of that id already exists.
    assert (moved.pk == land_run.pk) == (land_run.pk not in taken)
    assert (moved.kind, moved.status, moved.unchanged, moved.rejected, moved.errors_count) == (
        "land_friches",
        "done",
        9,
        1,
        1,
    )
    assert moved.created_at == when and moved.options["skip_invalid"] is True
    assert moved.files[0]["sha256"] == "ab" * 32 and moved.problems[0]["line"] == 3
    assert moved.rejects.read().decode() == "ligne;motifs\n3;m\n"

    registry_now = new.get_model("companies", "RegistryImport").objects.get(pk=registry.pk)
    sirene = Run.objects.get(pk=registry_now.run_id)
    assert (sirene.kind, sirene.created, sirene.updated, sirene.unchanged, sirene.rejected) == (
        "etablissement",
        150,
        40,
        8,
        2,
    )
    assert sirene.files == [{"name": "StockEtablissement.csv", "size": 1234, "sha256": "cd" * 32}]
    assert (sirene.finished_at - sirene.started_at).total_seconds() == 12.5
    assert sirene.problems[0]["level"] == "error" and registry_now.rows_in_territory == 200

    geography = Run.objects.filter(kind="geography").latest("pk")
    assert (geography.created, geography.updated, geography.details["removed"]) == (5, 2, 1)
    assert geography.options["cog_year"] == 2026
    # New runs are numbered after the migrated ones.
    assert Run.objects.create(kind="bmo").pk > max(moved.pk, sirene.pk, geography.pk)
