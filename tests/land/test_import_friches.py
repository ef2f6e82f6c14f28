"""The real DDT 08 Ardennes friches file (164 sites, ../shared/data/real/land/PROVENANCE.md) through the importer."""

import csv

import pytest

from tandem.land.models import Friche, ImportRun, Vintage
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
    assert not Friche.objects.exists()


def test_ddt08_imported_whole_with_set_and_apostrophes_normalised_as_warnings():
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # The truth, computed from the raw file: rows (file lines) whose site_type has a typographic apostrophe.
    expected_lines = [n for n, row in enumerate(rows, start=2) if "\u2019" in row["site_type"]]

    report = run([DDT08], sets=SETS)

    assert report.errors == [], [str(p) for p in report.errors[:5]]
    assert report.run.status == ImportRun.Status.DONE
    assert Friche.objects.count() == len(rows) == 164
    apostrophes = [p for p in report.warnings if "apostrophe typographique" in p.message]
    assert [p.line for p in apostrophes] == expected_lines
    assert len(apostrophes) == 15 and {p.field for p in apostrophes} == {"site_type"}
    assert expected_lines[:3] == [27, 46, 48]
    assert Friche.objects.filter(site_type="friche d'équipement public").count() == 12
    assert Friche.objects.filter(site_type="friche d'habitat").count() == 3
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
        assert Friche.objects.filter(owner=vintage.owner).count() == by_epci[vintage.epci_id]
    friche = Friche.objects.get(site_id="08008_01")
    assert friche.comm_insee == "08008" and friche.urba_zaer == "inconnu"
    assert friche.geompoint_lon == pytest.approx(4.483852) and friche.geompoint_lat == pytest.approx(
        49.524312
    )
    assert friche.unite_fonciere_surface == 97540

    again = run([DDT08], sets=SETS)
    assert again.run.status == ImportRun.Status.UNCHANGED and not again.written
    assert Vintage.objects.filter(standard="friches").count() == 8
