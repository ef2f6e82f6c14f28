"""Each spatial rule answered by PostGIS is compared with a brute-force computation (shapely, pyproj) on
generated data: friche ↔ site/terrain links, points outside their commune, adjacent terrains, friches near a
site. The generated objects are written through the ORM, so the database stores them as the app does."""

import numpy as np
import pytest
import shapely
from django.db import connection
from pyproj import Transformer

from tandem.land.models import Friche, Site, Terrain
from tandem.land.selectors import containing_sites_and_terrains, friches_near
from tandem.organizations.perms import Actor
from tandem.prospects.candidates import ADJACENCY_TOLERANCE_M, terrain_adjacency
from tandem.territories.selectors import points_outside_communes
from tests.factories import epci_org
from tests.land.inventory_builders import make_friche, make_site, make_terrain

pytestmark = pytest.mark.django_db

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
METZ = "57463"
METZ_METROPOLE = "200039709"


def l93(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_L93.transform(xy[:, 0], xy[:, 1])))


def stored_shapes(model) -> dict[int, object]:
    return {obj.pk: obj.shape for obj in model.objects.unscoped()}


@pytest.fixture
def owner():
    return epci_org(METZ_METROPOLE)


def random_polygon(rng, lon, lat, size):
    """A random star-shaped polygon (concave most of the time) around (lon, lat)."""
    k = rng.integers(5, 12)
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    radii = rng.uniform(0.3, 1.0, k) * size
    return shapely.Polygon(np.column_stack([lon + radii * np.cos(angles), lat + radii * np.sin(angles)]))


def test_friche_links_are_the_sites_and_terrains_containing_the_point(owner):
    rng = np.random.default_rng(7)
    base_lon, base_lat = 6.17, 49.11
    for _ in range(12):
        site = make_site(owner, METZ)
        lon, lat = base_lon + rng.uniform(0, 0.05), base_lat + rng.uniform(0, 0.05)
        site.set_geometry(random_polygon(rng, lon, lat, 0.01))
        site.save()
        for _ in range(3):
            terrain = make_terrain(site, 1.0)
            terrain.set_geometry(random_polygon(rng, lon + rng.uniform(-0.005, 0.005), lat, 0.003))
            terrain.save()
    sites, terrains = stored_shapes(Site), stored_shapes(Terrain)
    # Random points, plus vertices of stored outlines (on the boundary: « lies in » includes it).
    points = [shapely.Point(base_lon + x, base_lat + y) for x, y in rng.uniform(-0.01, 0.06, (300, 2))]
    for shape in list(sites.values())[:4] + list(terrains.values())[:4]:
        points.append(shapely.Point(shape.exterior.coords[0]))
    lons = np.array([p.x for p in points] + [np.nan])
    lats = np.array([p.y for p in points] + [np.nan])

    found_sites, found_terrains = containing_sites_and_terrains(lons, lats)

    def brute(shapes, point):
        inside = [pk for pk, shape in shapes.items() if shapely.intersects(shape, point)]
        return min(inside) if inside else None

    assert found_sites == [brute(sites, p) for p in points] + [None]
    assert found_terrains == [brute(terrains, p) for p in points] + [None]
    assert sum(s is not None for s in found_sites) > 20  # the generated data exercises both answers
    assert sum(t is not None for t in found_terrains) > 5


def test_points_outside_their_commune_with_the_commune_that_holds_them():
    rng = np.random.default_rng(11)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, name, ST_AsBinary(geometry) FROM territories_commune"
            " WHERE is_current AND geometry IS NOT NULL AND departement_id IN ('57', '54', '67')"
        )
        rows = cursor.fetchall()
    communes = {code: (name, shapely.from_wkb(bytes(wkb))) for code, name, wkb in rows}
    codes = sorted(communes)
    declared = [codes[i] for i in rng.integers(0, len(codes), 150)]
    points = []
    for code in declared:
        shape = communes[code][1]
        west, south, east, north = shape.bounds
        # Around the commune: inside, just outside (within or beyond 200 m) or in a neighbour.
        margin = 0.01
        points.append(
            shapely.Point(
                rng.uniform(west - margin, east + margin), rng.uniform(south - margin, north + margin)
            )
        )

    found = points_outside_communes(declared, [p.x for p in points], [p.y for p in points], tolerance_m=200)

    expected = {}
    for i, (code, point) in enumerate(zip(declared, points, strict=True)):
        if l93(communes[code][1]).distance(l93(point)) <= 200:
            continue
        holders = sorted(c for c, (_, shape) in communes.items() if shapely.intersects(shape, point))
        expected[i] = (holders[0], communes[holders[0]][0]) if holders else None
    # The brute force only knows three départements: a point it places nowhere lies in a fourth one.
    assert set(found) == set(expected)
    for i, where in expected.items():
        if where is not None:
            assert found[i] == where
    assert 10 < len(found) < 140


def test_adjacent_terrains_are_those_within_the_tolerance_in_lambert93(owner):
    rng = np.random.default_rng(3)
    for _ in range(4):
        site = make_site(owner, METZ)
        lon0, lat0 = 6.17 + rng.uniform(0, 0.05), 49.11 + rng.uniform(0, 0.05)
        for _ in range(8):
            terrain = make_terrain(site, 1.0)
            # 40 m squares whose gaps range from overlapping to ~30 m: many pairs near the 5 m threshold.
            x, y = lon0 + rng.uniform(0, 0.0012), lat0 + rng.uniform(0, 0.0008)
            terrain.set_geometry(shapely.box(x, y, x + 0.00055, y + 0.00036))
            terrain.save()
    rows = list(Terrain.objects.unscoped().values_list("pk", "site_eco_id"))
    shapes = {pk: l93(shape) for pk, shape in stored_shapes(Terrain).items()}
    expected = sorted(
        (a, b)
        for a, site_a in rows
        for b, site_b in rows
        if a < b and site_a == site_b and shapes[a].distance(shapes[b]) <= ADJACENCY_TOLERANCE_M
    )
    found = terrain_adjacency()
    assert found == expected
    assert 0 < len(found) < len(rows) * (8 - 1) / 2  # some pairs, not all of them


def test_friches_near_a_site_are_those_within_the_distance_in_lambert93(owner):
    rng = np.random.default_rng(5)
    site = make_site(owner, METZ)
    site.set_geometry(random_polygon(rng, 6.2, 49.1, 0.01))
    site.save()
    for lon, lat in zip(rng.uniform(6.05, 6.35, 45), rng.uniform(49.0, 49.2, 45), strict=True):
        friche = make_friche(owner, METZ)
        friche.set_geometry(shapely.Point(lon, lat))
        friche.save()
    km = 5.0
    outline = l93(site.shape)
    expected = {
        pk for pk, shape in stored_shapes(Friche).items() if outline.distance(l93(shape)) <= km * 1000
    }

    found = {f.pk for f in friches_near(Actor.system_actor(), site, km=km)}

    assert found == expected
    assert 0 < len(found) < Friche.objects.unscoped().count()
