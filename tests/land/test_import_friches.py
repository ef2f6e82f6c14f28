"""The real DDT 08 Ardennes friches file (164 sites, ../shared/data/real/land/PROVENANCE.md) through the importer."""

import csv

import pytest

from tandem.imports.models import ImportRun
from tandem.land.models import Friche, Vintage
from tandem.land.services import land_import
from tandem.organizations.perms import Actor
from tests.conftest import shared_file

DDT08 = "real/land/ddt08_ardennes_friches.csv"
MISSING = ["site_identif_date", "site_actu_date", "urba_zaer", "source_nom"]
SETS = {
    "site_identif_date": "2025-12-15",
    "site_actu_date": "2025-12-15",
    "urba_zaer": "inconnu",
    "source_nom": "DDT des Ardennes, observatoire des friches",
}

pytestmark = pytest.mark.django_db


def run(paths, **options):
    return land_import(
        paths=[shared_file(p) if isinstance(p, str) else p for p in paths],
        actor=Actor.system_actor(),
        **options,
    )


def test_ddt08_refused_naming_its_four_missing_mandatory_columns():
    report = run([DDT08])
    assert report.run.status == ImportRun.Status.REFUSED
    missing = [
        p.field for p in report.errors if p.line is None and "colonne obligatoire absente" in p.message
    ]
    assert sorted(missing) == sorted(MISSING)
    assert not Friche.objects.unscoped().exists()


def test_ddt08_imported_whole_with_set_and_apostrophes_normalised_as_warnings():
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # The truth, computed from the raw file: rows (file lines) whose site_type has a typographic apostrophe.
    expected_lines = [n for n, row in enumerate(rows, start=2) if "\u2019" in row["site_type"]]

    report = run([DDT08], sets=SETS)

    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert report.run.status == ImportRun.Status.DONE
    assert Friche.objects.unscoped().count() == len(rows) == 164
    apostrophes = [p for p in report.warnings if "apostrophe typographique" in p.message]
    assert [p.line for p in apostrophes] == expected_lines
    assert len(apostrophes) == 15 and {p.field for p in apostrophes} == {"site_type"}
    assert expected_lines[:3] == [27, 46, 48]
    assert Friche.objects.unscoped().filter(site_type="friche d'équipement public").count() == 12
    assert Friche.objects.unscoped().filter(site_type="friche d'habitat").count() == 3
    unknown = {p.field: p.message for p in report.warnings if "colonne inconnue" in p.message}
    assert set(unknown) == {
        "epci_siren",
        "epci_nom",
        "proprio_type(catpro3)",
        "idprocpte",
        "longitude",
        "latitude",
    }
    assert "vouliez-vous dire « proprio_type »" in unknown["proprio_type(catpro3)"]
    # Placed by their communes: 8 EPCI, one vintage each, with the --set values in the provenance.
    vintages = Vintage.objects.filter(standard="friches")
    assert vintages.count() == len({row["epci_siren"] for row in rows}) == 8
    assert all(v.provenance["set"] == SETS for v in vintages)
    by_epci = {}
    for row in rows:
        by_epci[row["epci_siren"]] = by_epci.get(row["epci_siren"], 0) + 1
    for vintage in vintages:
        assert Friche.objects.unscoped().filter(owner=vintage.owner).count() == by_epci[vintage.epci_id]
    friche = Friche.objects.unscoped().get(site_id="08008_01")
    assert friche.comm_insee == "08008" and friche.urba_zaer == "inconnu"
    assert friche.geompoint_lon == pytest.approx(4.483852) and friche.geompoint_lat == pytest.approx(
        49.524312
    )
    assert friche.unite_fonciere_surface == 97540

    again = run([DDT08], sets=SETS)
    assert again.run.status == ImportRun.Status.DONE and not again.written
    assert Vintage.objects.filter(standard="friches").count() == 8


def test_dry_run_reports_without_writing_and_progress_is_reported():
    steps = []
    report = run([DDT08], sets=SETS, dry_run=True, progress=lambda percent, label: steps.append(percent))
    assert report.errors == [] and report.counts["friches"]["added"] == 164
    assert steps == sorted(steps) and steps[0] == 5 and steps[-1] == 65
    # A dry run from the command line keeps its run in memory: not even the run is stored.
    assert report.run.pk is None and report.run.progress_percent == 100 and report.run.created == 164
    assert not ImportRun.objects.filter(kind__startswith="land").exists()
    assert not Friche.objects.unscoped().exists() and not Vintage.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_friches_round_trip_import_export_import_gives_identical_records(fmt, tmp_path):
    from tandem.land.exports import land_export

    run([DDT08], sets=SETS)
    before = {
        f.site_id: (f.site_type, f.proprio_nom, f.geompoint_lon, f.geometry_digest)
        for f in Friche.objects.unscoped().all()
    }
    paths = land_export(
        actor=Actor.system_actor(), fmt=fmt, output_dir=tmp_path, region_code="44", tables=("friches",)
    )
    assert [p.name for p in paths] == [f"friches.{fmt}"]
    again = run(paths)
    assert again.errors == [], [str(p) for p in again.errors[:5]]
    assert again.run.status == ImportRun.Status.DONE and again.counts["friches"]["unchanged"] == 164
    after = {
        f.site_id: (f.site_type, f.proprio_nom, f.geompoint_lon, f.geometry_digest)
        for f in Friche.objects.unscoped().all()
    }
    assert after == before


def test_latin1_semicolon_file_is_detected(tmp_path):
    text = shared_file(DDT08).read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    path = tmp_path / "friches_latin1.csv"
    with open(path, "w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    report = run([path], sets=SETS)
    assert report.errors == [] and Friche.objects.unscoped().count() == 164
    assert (
        report.run.files[0]["encoding"] == "Latin-1 (Windows-1252)"
        and report.run.files[0]["delimiter"] == ";"
    )
    assert (
        Friche.objects.unscoped().get(site_id="08008_01").site_nom == "Délaissé ferroviaire d’Amagne-Lucquy"
    )


def test_export_land_command_writes_one_file_per_table(tmp_path):
    from django.core.management import call_command

    run([DDT08], sets=SETS)
    call_command(
        "export_land",
        "--region",
        "44",
        "--format",
        "csv",
        "--output",
        str(tmp_path),
        "--strict",
        stdout=open(tmp_path / "out.txt", "w"),
    )  # noqa: SIM115
    names = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert names == ["etablissement.csv", "friches.csv", "pole-eco.csv", "site-eco.csv", "terrain-eco.csv"]
    with open(tmp_path / "friches.csv", encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 164 and list(exported[0])[:3] == ["site_id", "site_nom", "site_type"]
    assert len(list(exported[0])) == 51  # exactly the 51 columns of CNIG Friches 1.0.6
