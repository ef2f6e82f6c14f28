"""A friches file speaks for its own source: re-importing the DDT's file never removes the friches an EPCI
recorded from another source in the same territory."""

import csv

import pytest

from tandem.land.models import Friche
from tests.conftest import shared_file
from tests.land.test_import_friches import DDT08, SETS, run

pytestmark = pytest.mark.django_db


def test_reimport_removes_only_the_friches_of_the_same_source(tmp_path):
    assert run([DDT08], sets=SETS).errors == []
    total = Friche.objects.unscoped().count()
    assert total == 164
    # An EPCI records one of the same places from its own survey (another source, another identifier).
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    own = tmp_path / "friches_epci.csv"
    header = list(rows[0])
    row = dict(rows[0], site_id=rows[0]["site_id"] + "-EPCI")
    with open(own, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=",")
        writer.writeheader()
        writer.writerow(row)
    assert run([own], sets=dict(SETS, source_nom="Inventaire intercommunal")).errors == []
    assert Friche.objects.unscoped().count() == total + 1

    # The DDT's file again, now without its first friche: that one goes, the EPCI's stays.
    ddt = tmp_path / "ddt08_sans_premiere.csv"
    with open(ddt, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=",")
        writer.writeheader()
        writer.writerows(rows[1:])
    report = run([ddt], sets=SETS)
    assert report.errors == [], [str(p) for p in report.errors[:3]]
    assert not Friche.objects.unscoped().filter(site_id=rows[0]["site_id"]).exists()
    assert Friche.objects.unscoped().filter(site_id=rows[0]["site_id"] + "-EPCI").exists()
    assert Friche.objects.unscoped().count() == total
