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


def read_tile(tmp_path, client, layer, z=Z, x=X, y=Y, *, clip=True):
    layers = tiles.read_tile(
        tmp_path, client, f"/foncier/tuiles/{layer}/{{z}}/{{x}}/{{y}}.pbf", z, x, y, clip=clip
    )
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
    # No personal field (the price, 42): neither as a property nor as a value of another one.
    assert terrains[0]["surface_ha"] == 2.5 and not {42, "42"} & set(terrains[0].values())


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


def _detailed_outline(rng, lon: float, lat: float, radius_deg: float, vertices: int):
    """A jagged ring of `vertices` points around (lon, lat): a surveyed outline, far more detail than a
    zoomed-out tile can show."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radii = radius_deg * rng.uniform(0.6, 1.0, vertices)
    return shapely.Polygon(np.column_stack([lon + radii * np.cos(angles), lat + radii * np.sin(angles)]))


def test_zoomed_out_tiles_keep_every_terrain_simplified_and_valid(world, tmp_path):
    """Zooms 10 to 11 (terrains are drawn from zoom 10) over detailed outlines (400 vertices, from a few
    metres to a kilometre across): every terrain the user may see whose outline meets the tile is in it, and none beyond the tile's buffer — the
    oracle is shapely's intersection of each stored outline with the tile's bounds, computed here — as a
    valid geometry (a polygon simplified to
    the tile's resolution, or the inner point of an outline smaller than a tile unit), and zoomed-out
    polygons carry fewer vertices than the stored outlines."""
    rng = np.random.default_rng(10)
    site = world["public"]
    terrains = [world["terrain"]]
    for k in range(60):
        lon, lat = 6.17 + rng.uniform(-0.15, 0.15), 49.12 + rng.uniform(-0.1, 0.1)
        radius = [0.00003, 0.0005, 0.004][k % 3]  # ~3 m, ~50 m, ~400 m
        terrain = make_terrain(site, 1.0)
        terrain.set_geometry(_detailed_outline(rng, lon, lat, radius, 400))
        terrain.save()
        terrains.append(terrain)
    client = Client()
    client.force_login(world["other_user"])  # sees the shared site's terrains only
    for z in range(10, 12):
        for terrain in terrains[1::7]:  # the tiles holding some terrains, each zoom
            z_, x, y = tiles.tile_of(terrain.centroid_lon, terrain.centroid_lat, z)
            west, south, east, north = tile_bounds(z, x, y)
            box = shapely.box(west, south, east, north)
            # A tile also carries what lies in its rendering buffer (256 of its 4,096 units each side; one
            # more for the simplification, which may move an outline by one unit).
            margin = 257 / 4096
            buffered = shapely.box(
                west - margin * (east - west),
                south - margin * (north - south),
                east + margin * (east - west),
                north + margin * (north - south),
            )
            must = {t.pk for t in terrains if t.shape.intersects(box)}
            may = {t.pk for t in terrains if t.shape.intersects(buffered)}
            # Unclipped: an outline that only touches the tile may lie, once simplified, in the buffer.
            rows, geoms = read_tile(tmp_path / f"{z}-{x}-{y}", client, "terrains", z, x, y, clip=False)
            ids = [r["id"] for r in rows]
            assert len(ids) == len(set(ids))
            assert must <= set(ids) <= may, (z, x, y)
            assert shapely.is_valid(geoms).all(), (z, x, y)
            polygons = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            assert all(shapely.get_num_coordinates(g) < 400 for g in polygons)

    # At zoom 10 a tile unit is ~10 m: the 3 m outlines are dots, the others still polygons.
    def kind_at_10(terrain):
        z, x, y = tiles.tile_of(terrain.centroid_lon, terrain.centroid_lat, 10)
        rows, geoms = read_tile(tmp_path / f"z10-{terrain.pk}", client, "terrains", z, x, y)
        return {r["id"]: g.geom_type for r, g in zip(rows, geoms, strict=True)}[terrain.pk]

    assert kind_at_10(terrains[1]) == "Point"
    assert kind_at_10(terrains[2]) in ("Polygon", "MultiPolygon")
    assert kind_at_10(terrains[3]) in ("Polygon", "MultiPolygon")


def test_terrains_are_drawn_from_zoom_10_and_their_sites_at_every_zoom(world, tmp_path):
    """Cartographic generalisation (the product decision: a terrain is drawn from zoom 10, below it the site
    that holds it is): from zoom 6 to 9 no tile carries a terrain — the terrains tile is empty, the combined
    tile has no terrains layer — while the site is there at every zoom; from zoom 10 on the combined tile's
    terrains are exactly those of the terrains tile alone, every terrain meeting the tile (nothing capped)."""
    from tandem.land.selectors import TERRAINS_MIN_ZOOM

    assert TERRAINS_MIN_ZOOM == 10
    site, terrain = world["public"], world["terrain"]
    more = []
    for k in range(5):  # more terrains of the site, around the first one
        extra = make_terrain(site, 1.0)
        lon, lat = terrain.centroid_lon + 0.0005 * k, terrain.centroid_lat + 0.0004
        extra.set_geometry(shapely.box(lon, lat, lon + 0.0003, lat + 0.0002))
        extra.save()
        more.append(extra)
    all_terrains = [terrain, *more]
    client = Client()
    client.force_login(world["other_user"])
    combined_url = "/foncier/tuiles/sites,terrains,friches/{z}/{x}/{y}.pbf"
    for z in range(6, 15):
        _, x, y = tiles.tile_of(terrain.centroid_lon, terrain.centroid_lat, z)
        box = shapely.box(*tile_bounds(z, x, y))
        combined = tiles.read_tile(tmp_path / f"c{z}", client, combined_url, z, x, y)
        single = client.get(f"/foncier/tuiles/terrains/{z}/{x}/{y}.pbf")
        assert single.status_code == 200
        assert site.pk in {r["id"] for r in combined["sites"][0]}, z
        if z < 10:
            assert "terrains" not in combined, z
            assert single.content == b"", z
            continue
        alone, _ = read_tile(tmp_path / f"t{z}", client, "terrains", z, x, y)
        expected = {t.pk for t in all_terrains if t.shape.intersects(box)}
        assert expected, z
        assert {r["id"] for r in alone} == expected, z
        assert sorted(map(sorted, (r.items() for r in combined["terrains"][0]))) == sorted(
            map(sorted, (r.items() for r in alone))
        ), z


def test_filtered_tiles_hold_the_filtered_sites_and_their_terrains(world, tmp_path):
    """The land map's filters narrow its tiles: each tile applies them to its own sites (and terrains follow
    their sites); the readiness filter, computed in Python, once for all the map's tiles."""
    west, south, east, north = tile_bounds(Z, X, Y)
    steel = make_site(
        world["public"].owner, METZ, visibility=Visibility.NETWORK, site_nom="Zone de l'Aciérie"
    )
    steel.set_geometry(shapely.box(west + 0.02, south + 0.03, west + 0.024, south + 0.033))
    steel.save()
    client = Client()
    client.force_login(world["other_user"])  # sees the shared sites: `public` (2.5 ha for sale) and `steel`

    def ids(layer, query):
        rows, _ = tiles.decode_tile(
            tmp_path / f"{layer}-{len(query)}-{sorted(query.items())!s:.20}",
            client.get(f"/foncier/tuiles/{layer}/{Z}/{X}/{Y}.pbf", query).content,
            Z,
            X,
            Y,
        ).get(layer, ([], []))
        return {r["id"] for r in rows}

    assert ids("sites", {}) == {world["public"].pk, steel.pk}
    assert ids("sites", {"q": "acierie"}) == {steel.pk}
    assert ids("terrains", {"q": "acierie"}) == set()
    assert ids("sites", {"min_available_ha": "1"}) == {world["public"].pk}
    assert ids("terrains", {"min_available_ha": "1"}) == {world["terrain"].pk}
    assert ids("sites", {"min_available_ha": "3"}) == set()
    # A readiness score lies between 0 and 100.
    assert ids("sites", {"min_readiness": "0"}) == {world["public"].pk, steel.pk}
    assert ids("terrains", {"min_readiness": "0"}) == {world["terrain"].pk}


def test_one_tile_carries_every_land_layer_as_the_user_may_see_it(world, tmp_path):
    """The maps ask ONE tile per place for sites, terrains and friches (`sites,terrains,friches`): each is
    its own MVT layer, holding exactly what the tile of that layer alone holds for the same user — the
    objects they may see, the same properties —; the tile's SQL is compiled once per user's scope, so a
    sharing change or a new membership shows in the very next tile."""
    west, south, east, north = tile_bounds(Z, X, Y)
    friche = make_friche(world["public"].owner, METZ, visibility=Visibility.PRIVATE)
    friche.set_geometry(shapely.box(west + 0.05, south + 0.02, west + 0.052, south + 0.022))
    friche.save()
    combined_url = "/foncier/tuiles/sites,terrains,friches/{z}/{x}/{y}.pbf"

    def by_layer(client, folder):
        layers = tiles.read_tile(tmp_path / folder, client, combined_url, Z, X, Y)
        return {name: sorted(map(sorted, (r.items() for r in rows))) for name, (rows, _) in layers.items()}

    def one_by_one(client, folder):
        found = {}
        for layer in ("sites", "terrains", "friches"):
            rows, _ = read_tile(tmp_path / folder / layer, client, layer)
            if rows:
                found[layer] = sorted(map(sorted, (r.items() for r in rows)))
        return found

    def ids(layers, name):
        return {dict(r)["id"] for r in layers.get(name, [])}

    own, other = Client(), Client()
    own.force_login(world["metz_user"])
    other.force_login(world["other_user"])
    mine = by_layer(own, "own")
    assert mine == one_by_one(own, "own-single")
    assert ids(mine, "sites") == {world["public"].pk, world["private"].pk}
    assert ids(mine, "terrains") == {world["terrain"].pk}
    assert ids(mine, "friches") == {friche.pk}
    theirs = by_layer(other, "other")
    assert theirs == one_by_one(other, "other-single")
    assert ids(theirs, "sites") == {world["public"].pk}  # the private site and friche are absent
    assert "friches" not in theirs
    # Sharing the private site with the network: in the next tile; made private again: gone.
    from tandem.land.models import Site

    Site.objects.unscoped().filter(pk=world["private"].pk).update(visibility=Visibility.NETWORK)
    assert ids(by_layer(other, "shared"), "sites") == {world["public"].pk, world["private"].pk}
    Site.objects.unscoped().filter(pk=world["private"].pk).update(visibility=Visibility.PRIVATE)
    assert ids(by_layer(other, "unshared"), "sites") == {world["public"].pk}
    # Joining the owner's organisation, then leaving it: the user's scope changes, and so does the tile.
    from tandem.organizations.models import Membership, Role
    from tandem.organizations.services import membership_set

    membership_set(organization=world["public"].owner, user=world["other_user"], role=Role.LECTEUR)
    joined = by_layer(other, "joined")
    assert ids(joined, "sites") == {world["public"].pk, world["private"].pk}
    assert ids(joined, "friches") == {friche.pk}
    Membership.objects.filter(user=world["other_user"], organization=world["public"].owner).delete()
    assert ids(by_layer(other, "left"), "sites") == {world["public"].pk}
    # HTTP revalidation: an unchanged tile answers « not modified » to its own version only — another user's
    # version of the same tile, or the version from before a write, gets the tile.
    url = combined_url.format(z=Z, x=X, y=Y)
    etag = other.get(url)["ETag"]
    revalidated = other.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and not revalidated.content
    assert revalidated["Cache-Control"].startswith("private")
    assert own.get(url, headers={"If-None-Match": etag}).status_code == 200
    Site.objects.unscoped().filter(pk=world["private"].pk).update(visibility=Visibility.NETWORK)
    changed = other.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert world["private"].site_nom.encode() in changed.content
    for url in (
        "/foncier/tuiles/sites,sites/12/2118/1404.pbf",
        "/foncier/tuiles/sites,prospects/12/2118/1404.pbf",
        "/foncier/tuiles/sites,/12/2118/1404.pbf",
        "/foncier/tuiles/sites,terrains/12/4096/1404.pbf",
    ):
        assert own.get(url).status_code == 404, url
    assert Client().get(combined_url.format(z=Z, x=X, y=Y)).status_code == 302
