"""A self-intersecting outline is reported on its row, never « repaired » into another shape."""

import csv
import json

import pytest
import shapely

from tandem.imports.models import ImportRun
from tandem.land.models import Terrain
from tandem.land.services import land_import
from tandem.organizations.perms import Actor
from tests.land.inventory_builders import write_inventory_files

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
STRASBOURG = "246700488"


def test_a_bow_tie_terrain_is_refused_on_its_row_and_never_repaired(tmp_path):
    paths = write_inventory_files(tmp_path, STRASBOURG, [{"terr_surf_brute": "4"}, {"terr_surf_brute": "2"}])
    terrains = paths[2]
    with open(terrains, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    west, south, east, north = shapely.from_geojson(rows[0]["terr_geomsurf"]).bounds
    # A « bow tie »: the outline crosses itself in the middle of the terrain.
    ring = [[west, south], [east, north], [east, south], [west, north], [west, south]]
    bow_tie = json.dumps({"type": "Polygon", "coordinates": [ring]})
    assert not shapely.is_valid(shapely.from_geojson(bow_tie))
    rows[0]["terr_geomsurf"] = bow_tie
    with open(terrains, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    report = land_import(paths=paths, actor=SYSTEM, epci_siren=STRASBOURG)
    assert report.run.status == ImportRun.Status.REFUSED and not Terrain.objects.unscoped().exists()
    [problem] = [p for p in report.errors if p.field == "terr_geomsurf"]
    assert problem.file == "terrain-eco.csv" and problem.line == 2
    assert "géométrie invalide : le contour se recoupe (auto-intersection) près de" in problem.message
    assert "ne la corrige pas" in problem.message

    # With --skip-invalid the crossed terrain goes to the rejects file; the other one is written as drawn.
    report = land_import(paths=paths, actor=SYSTEM, epci_siren=STRASBOURG, skip_invalid=True)
    assert report.run.status == ImportRun.Status.DONE
    assert list(Terrain.objects.unscoped().values_list("terr_id", flat=True)) == [rows[1]["terr_id"]]
    assert rows[0]["terr_id"] in report.rejects_csv and "auto-intersection" in report.rejects_csv
