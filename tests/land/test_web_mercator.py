"""The stored Web Mercator copy of every geometry (`geometry_3857`, cut into map tiles) stays equal to the
WGS84 geometry projected by PROJ (pyproj, not PostGIS) on create, update and import."""

import json

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from tandem.core.geo import to_shapely
from tandem.land.models import Site, Terrain
from tandem.land.services import land_import
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tests.factories import epci_org
from tests.land.conftest import ARDENNE_METROPOLE, inventory_paths, read_rows, write_rows
from tests.land.inventory_builders import make_site

pytestmark = pytest.mark.django_db

TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def assert_mercator_copy(obj):
    """`obj`'s stored Web Mercator copy is its geometry projected by pyproj (to the centimetre)."""
    obj.refresh_from_db()
    assert obj.geometry_3857.srid == 3857
    expected = shapely.transform(
        to_shapely(obj.geometry), lambda xy: np.column_stack(TO_MERCATOR.transform(*xy.T))
    )
    stored = to_shapely(obj.geometry_3857)
    assert stored.geom_type == expected.geom_type
    assert shapely.hausdorff_distance(stored, expected) < 0.01, obj


def test_created_and_updated_objects_keep_their_web_mercator_copy():
    site = make_site(epci_org("200039709"), "57463")
    assert_mercator_copy(site)
    before = to_shapely(site.geometry_3857)
    site.set_geometry(shapely.box(6.17, 49.11, 6.18, 49.12))
    site.save()
    assert_mercator_copy(site)
    assert not to_shapely(site.geometry_3857).equals(before)
    site.set_geometry(None)
    site.save()
    site.refresh_from_db()
    assert site.geometry_3857 is None


def test_import_and_reimport_keep_the_web_mercator_copy(inventory_dir):
    paths = inventory_paths(inventory_dir)
    land_import(paths=paths, actor=Actor.system_actor(), epci_siren=ARDENNE_METROPOLE)
    terrains = list(Terrain.objects.unscoped().exclude(geometry=None))
    assert len(terrains) == 18
    for terrain in terrains:
        assert_mercator_copy(terrain)
    for site in Site.objects.unscoped().all():
        assert_mercator_copy(site)
    # The file moves one terrain 2 km east: the reload rewrites its geometry, and its copy follows.
    rows = read_rows(inventory_dir / "terrain-eco.csv")
    moved = rows[0]
    shape = shapely.geometry.shape(json.loads(moved["terr_geomsurf"]))
    moved["terr_geomsurf"] = json.dumps(
        shapely.geometry.mapping(shapely.affinity.translate(shape, xoff=0.03))
    )
    write_rows(inventory_dir / "terrain-eco.csv", rows)
    land_import(paths=paths, actor=Actor.system_actor(), epci_siren=ARDENNE_METROPOLE)
    terrain = Terrain.objects.unscoped().get(terr_id=moved["terr_id"])
    assert_mercator_copy(terrain)
    assert abs(terrain.geometry_3857.centroid.x - TO_MERCATOR.transform(shape.centroid.x + 0.03, 0)[0]) < 50


def test_loaded_geography_has_its_web_mercator_copy():
    """Every commune of the loaded geography has its copy (generated on write: the test database is
    migrated, then loaded)."""
    communes = Commune.objects.filter(geometry__isnull=False)
    assert communes.count() > 30_000
    assert not communes.filter(geometry_3857__isnull=True).exists()
    assert_mercator_copy(Commune.objects.get(pk="57463"))
