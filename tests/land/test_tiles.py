"""Vector tiles of the land layers: decoded with GDAL's own MVT driver, they hold exactly the objects the user
may see in the tile (the permission layer), only public properties, and no feature cap."""

import numpy as np
import pytest
import shapely
from django.test import Client
from pyproj import Transformer

from tandem.core.tiles import tile_bounds
from tandem.land.models import Friche
from tandem.organizations.models import Visibility
from tests import tiles
from tests.factories import epci_org, make_member
from tests.land.inventory_builders import make_friche, make_site, make_terrain

pytestmark = pytest.mark.django_db

METZ = "57463"
TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
Z, X, Y = 12, 2118, 1404  # covers Metz


def read_tile(tmp_path, client, layer, z=Z, x=X, y=Y):
    layers = tiles.read_tile(tmp_path, client, f"/foncier/tuiles/{layer}/{{z}}/{{x}}/{{y}}.pbf", z, x, y)
    return layers.get(layer, ([], []))


@pytest.fixture
def world():
    metz = epci_org("200039709")
    other = epci_org("200067213")  # Eurométropole de Strasbourg
    west, south, east, north = tile_bounds(Z, X, Y)
    public = make_site(metz, METZ, visibility=Visibility.NETWORK)
    private = make_site(metz, METZ, visibility=Visibility.PRIVATE)
    for site, (lon, lat) in ((public, (west + 0.01, south + 0.01)), (private, (west + 0.03, south + 0.02))):
        site.set_geometry(shapely.box(lon, lat, lon + 0.005, lat + 0.004))
        site.save()
    terrain = make_terrain(public, 2.5, terr_m2_prix=42.0, personal_shared=False)
    terrain.set_geometry(shapely.box(west + 0.011, south + 0.011, west + 0.013, south + 0.013))
    terrain.save()
    outside = make_site(metz, METZ, visibility=Visibility.NETWORK)
    outside.set_geometry(shapely.box(east + 0.05, north + 0.05, east + 0.06, north + 0.06))
    outside.save()
    return {
        "metz_user": make_member(metz),
        "other_user": make_member(other),
        "public": public,
        "private": private,
        "terrain": terrain,
        "outside": outside,
    }


def test_a_tile_holds_what_the_user_may_see_and_only_public_properties(world, tmp_path):
    own, other = Client(), Client()
    own.force_login(world["metz_user"])
    other.force_login(world["other_user"])
    rows, geoms = read_tile(tmp_path / "own", own, "sites")
    assert {r["id"] for r in rows} == {world["public"].pk, world["private"].pk}
    # GDAL shows the MVT feature id as `mvt_id`: the object's id, so that a map can address the feature.
    assert all(r["mvt_id"] == r["id"] for r in rows)
    assert set(rows[0]) == {"mvt_id", "id", "nom", "code", "vocation"}
    # The tile's polygons (GDAL georeferences them in Web Mercator) are where the sites are, within two
    # tile units (a unit is 1/4096 of the tile: 2.4 m at zoom 12).
    by_id = {r["id"]: g for r, g in zip(rows, geoms, strict=True)}
    mercator = shapely.transform(
        world["public"].shape, lambda xy: np.column_stack(TO_MERCATOR.transform(xy[:, 0], xy[:, 1]))
    )
    assert shapely.hausdorff_distance(by_id[world["public"].pk], mercator) < 5
    seen, _ = read_tile(tmp_path / "other", other, "sites")
    assert {r["id"] for r in seen} == {world["public"].pk}  # the private site is absent, not just hidden
    terrains, _ = read_tile(tmp_path / "t", other, "terrains")
    assert [r["id"] for r in terrains] == [world["terrain"].pk]
    assert set(terrains[0]) == {
        "mvt_id",
        "id",
        "nom",
        "site",
        "disponibilite",
        "libelle",
        "couleur",
        "surface_ha",
    }
    assert terrains[0]["surface_ha"] == 2.5 and "42" not in str(terrains[0])  # no personal field (price)


def test_tiles_have_no_feature_cap_and_unknown_tiles_answer_404(world, tmp_path):
    west, south, east, north = tile_bounds(Z, X, Y)
    owner = world["public"].owner
    model = make_friche(owner, METZ, visibility=Visibility.NETWORK)
    rng = np.random.default_rng(0)
    friches = []
    for k, (lon, lat) in enumerate(
        zip(rng.uniform(west, east, 6000), rng.uniform(south, north, 6000), strict=True)
    ):
        friche = Friche(
            owner=owner,
            commune_id=METZ,
            site_id=f"{METZ}_T{k}",
            site_nom=f"Friche fictive {k}",
            visibility=Visibility.NETWORK,
            source_nom="test",
        )
        friche.set_geometry(shapely.Point(lon, lat))
        friches.append(friche)
    Friche.objects.bulk_create(friches)
    client = Client()
    client.force_login(world["other_user"])
    rows, _ = read_tile(tmp_path, client, "friches")
    assert len(rows) == 6000 + (1 if shapely.box(west, south, east, north).contains(model.shape) else 0)
    # Zoomed out (the zoom-5 tile holding this one): every friche still, none dropped.
    rows, _ = read_tile(tmp_path / "z5", client, "friches", 5, X >> 7, Y >> 7)
    assert len({r["id"] for r in rows}) == 6001
    for url in (
        "/foncier/tuiles/prospects/12/2118/1404.pbf",
        "/foncier/tuiles/sites/12/4096/1404.pbf",
        "/foncier/tuiles/sites/30/0/0.pbf",
    ):
        assert client.get(url).status_code == 404
    anonymous = Client().get(f"/foncier/tuiles/sites/{Z}/{X}/{Y}.pbf")
    assert anonymous.status_code == 302
