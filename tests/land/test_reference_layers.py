"""Reference layers (`tandem load_layer`): files the tests write with pyogrio (GeoJSON in WGS84, GeoPackage and
zipped Shapefile in Lambert-93), the distances PostGIS computes compared with a brute-force shapely/pyproj
computation, the producer's values kept as overrides, dry runs and reloads that write nothing, French refusals,
and the station/airport distances as matching constraints."""

import json
import zipfile
from datetime import date

import numpy as np
import pyogrio
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from pyproj import Transformer

from tandem.core.models import AuditEvent
from tandem.land.models import ReferenceFeature, ReferenceLayer, Site, Terrain
from tandem.land.selectors import distance_rows
from tandem.land.services import reference_layer_load
from tandem.organizations.perms import Actor
from tandem.prospects.candidates import CACHE, visible_candidates
from tandem.prospects.matching import KIND_SITE, KIND_TERRAIN, Requirements, match
from tests.factories import epci_org
from tests.land.inventory_builders import make_site, make_terrain

pytestmark = pytest.mark.django_db

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
FROM_L93 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
METZ, METZ_METROPOLE = "57463", "200039709"
CENTRE_L93 = TO_L93.transform(6.18, 49.12)


def l93(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_L93.transform(xy[:, 0], xy[:, 1])))


def wgs84(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(FROM_L93.transform(xy[:, 0], xy[:, 1])))


def random_features(rng, n: int, spread_m: float = 40_000) -> list:
    """Points around Metz in Lambert-93, and a few short lines (a junction drawn as a ramp)."""
    cx, cy = CENTRE_L93
    out = []
    for k in range(n):
        x, y = cx + rng.uniform(-spread_m, spread_m), cy + rng.uniform(-spread_m, spread_m)
        out.append(shapely.Point(x, y) if k % 4 else shapely.LineString([(x, y), (x + 300, y + 150)]))
    return out


def write_layer(path, geometries_l93, names, *, crs: str):
    """A layer file written by GDAL (pyogrio): WGS84 GeoJSON, or Lambert-93 GeoPackage/Shapefile."""
    geoms = np.asarray(geometries_l93, dtype=object)
    if crs == "EPSG:4326":
        geoms = np.asarray([wgs84(g) for g in geoms], dtype=object)
    driver = {".geojson": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile"}[path.suffix]
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(geoms),
        [np.asarray(names, dtype=object)],
        ["nom"],
        driver=driver,
        geometry_type="Unknown" if driver != "ESRI Shapefile" else "LineString",
        crs=crs,
    )
    return path


def zip_shapefile(shp):
    archive = shp.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as z:
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            part = shp.with_suffix(suffix)
            if part.exists():
                z.write(part, part.name)
    return archive


@pytest.fixture
def inventory():
    """Sites with random outlines around Metz, terrains inside them, one terrain without geometry (measured
    from its site) and one site without geometry (no distance)."""
    rng = np.random.default_rng(21)
    owner = epci_org(METZ_METROPOLE)
    cx, cy = CENTRE_L93
    sites = []
    for _ in range(10):
        x, y = cx + rng.uniform(-30_000, 30_000), cy + rng.uniform(-30_000, 30_000)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 7))
        radii = rng.uniform(300, 1200, 7)
        outline = shapely.Polygon(np.column_stack([x + radii * np.cos(angles), y + radii * np.sin(angles)]))
        site = make_site(owner, METZ)
        site.set_geometry(wgs84(outline))
        site.save()
        sites.append(site)
        for _ in range(2):
            terrain = make_terrain(site, 2.0)
            tx, ty = x + rng.uniform(-200, 200), y + rng.uniform(-200, 200)
            terrain.set_geometry(wgs84(shapely.box(tx, ty, tx + 120, ty + 90)))
            terrain.save()
    bare = make_terrain(sites[0], 1.0)
    bare.geometry = None
    bare.save()
    nowhere = make_site(owner, METZ)
    nowhere.geometry = None
    nowhere.save()
    return owner


def brute_force_km(shape_wgs84, features_l93) -> float | None:
    if shape_wgs84 is None:
        return None
    outline = l93(shape_wgs84)
    return min(outline.distance(f) for f in features_l93) / 1000


def assert_distances(column: str, features_l93):
    checked = 0
    for site in Site.objects.unscoped().all():
        expected = brute_force_km(site.shape, features_l93)
        value = getattr(site, column)
        assert (value is None) == (expected is None)
        if expected is not None:
            assert value == pytest.approx(expected, abs=0.002)  # 2 m: two PROJ builds, one rule
            checked += 1
    for terrain in Terrain.objects.unscoped().select_related("site_eco"):
        shape = terrain.shape if terrain.geometry is not None else terrain.site_eco.shape
        expected = brute_force_km(shape, features_l93)
        assert getattr(terrain, column) == pytest.approx(expected, abs=0.002)
        checked += 1
    return checked


def test_distances_to_a_layer_match_a_brute_force_computation(inventory, tmp_path):
    rng = np.random.default_rng(5)
    stations = random_features(rng, 25)
    geojson = write_layer(
        tmp_path / "gares.geojson", stations, [f"Gare {k}" for k in range(25)], crs="EPSG:4326"
    )
    junctions = random_features(rng, 40)
    gpkg = write_layer(
        tmp_path / "echangeurs.gpkg", junctions, [f"Échangeur {k}" for k in range(40)], crs="EPSG:2154"
    )
    cx, cy = CENTRE_L93
    substations = [
        shapely.LineString([(x, y), (x + 50, y)])
        for x, y in zip(cx + rng.uniform(-4e4, 4e4, 12), cy + rng.uniform(-4e4, 4e4, 12), strict=True)
    ]
    shp = write_layer(
        tmp_path / "postes.shp", substations, [f"Poste {k}" for k in range(len(substations))], crs="EPSG:2154"
    )

    result = reference_layer_load(kind="station", path=geojson)
    reference_layer_load(kind="motorway_junction", path=gpkg)
    reference_layer_load(kind="hv_substation", path=zip_shapefile(shp))

    assert result.features == 25 and result.crs_label == "WGS84 (EPSG:4326)"
    assert result.sites_changed == 10 and result.terrains_changed == Terrain.objects.unscoped().count()
    assert assert_distances("calc_station_km", stations) == 10 + Terrain.objects.unscoped().count()
    assert assert_distances("calc_motorway_junction_km", junctions) > 20
    assert assert_distances("calc_hv_substation_km", substations) > 20
    layer = ReferenceLayer.objects.get(kind="motorway_junction")
    assert layer.source_name == "echangeurs.gpkg" and layer.source_crs == "Lambert-93 (EPSG:2154)"
    assert len(layer.source_sha256) == 64 and layer.feature_count == 40
    assert set(ReferenceFeature.objects.filter(layer=layer).values_list("name", flat=True)) == {
        f"Échangeur {k}" for k in range(40)
    }


def test_replacing_a_layer_reloading_it_and_a_dry_run(inventory, tmp_path):
    rng = np.random.default_rng(8)
    first = random_features(rng, 10)
    second = random_features(rng, 6)
    one = write_layer(tmp_path / "a.geojson", first, [""] * 10, crs="EPSG:4326")
    two = write_layer(tmp_path / "b.gpkg", second, ["x"] * 6, crs="EPSG:2154")

    dry = reference_layer_load(kind="airport", path=one, dry_run=True)
    assert dry.sites_changed == 10 and dry.dry_run
    assert not ReferenceLayer.objects.exists() and not ReferenceFeature.objects.exists()
    assert not Site.objects.unscoped().filter(calc_airport_km__isnull=False).exists()

    reference_layer_load(kind="airport", path=one)
    before = dict(Terrain.objects.unscoped().values_list("pk", "calc_airport_km"))
    events = AuditEvent.objects.count()
    again = reference_layer_load(kind="airport", path=one)
    assert again.unchanged_file and again.sites_changed == again.terrains_changed == 0
    assert AuditEvent.objects.count() == events
    assert dict(Terrain.objects.unscoped().values_list("pk", "calc_airport_km")) == before

    reference_layer_load(kind="airport", path=two)
    assert ReferenceFeature.objects.count() == 6  # replaced, not added
    assert_distances("calc_airport_km", second)


def test_command_output_and_french_refusals_naming_file_feature_and_field(inventory, tmp_path, capsys):
    rng = np.random.default_rng(3)
    good = write_layer(tmp_path / "ports.gpkg", random_features(rng, 4), ["Port"] * 4, crs="EPSG:2154")
    call_command("load_layer", str(good), "--kind", "port", "--dry-run")
    out = capsys.readouterr().out
    assert "Couche « ports » : 4 entité(s) lue(s) dans ports.gpkg (Lambert-93 (EPSG:2154))" in out
    assert "Simulation (--dry-run) : rien n'a été enregistré." in out
    assert not ReferenceLayer.objects.exists()

    # A feature without geometry, and Lambert-93 coordinates in a file that says WGS84.
    broken = tmp_path / "gares.geojson"
    x, y = CENTRE_L93
    broken.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"nom": "Metz"},
                        "geometry": {"type": "Point", "coordinates": [6.17, 49.1]},
                    },
                    {"type": "Feature", "properties": {"nom": "Sans lieu"}, "geometry": None},
                    {
                        "type": "Feature",
                        "properties": {"nom": "Décalée"},
                        "geometry": {"type": "Point", "coordinates": [x, y]},
                    },
                ],
            }
        )
    )
    with pytest.raises(CommandError) as refused:
        call_command("load_layer", str(broken), "--kind", "station")
    message = str(refused.value)
    assert "gares.geojson : la couche n'a pas été chargée (aucune écriture)." in message
    assert "gares.geojson, entité 2, champ « géométrie » : géométrie manquante ou vide" in message
    assert (
        "gares.geojson, entité 3, champ « géométrie » : coordonnées hors des bornes du système WGS84"
        in message
    )

    mercator = tmp_path / "aeroports.gpkg"
    pyogrio.raw.write(
        str(mercator),
        shapely.to_wkb(np.array([shapely.Point(688_000, 6_300_000)], dtype=object)),
        [np.array(["A"], dtype=object)],
        ["nom"],
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:3857",
    )
    with pytest.raises(
        CommandError, match=r"aeroports\.gpkg : système de coordonnées .*EPSG:3857.* non accepté"
    ):
        call_command("load_layer", str(mercator), "--kind", "airport")
    with pytest.raises(CommandError, match=r"couche\.csv : format non reconnu"):
        (tmp_path / "couche.csv").write_text("a;b\n")
        call_command("load_layer", str(tmp_path / "couche.csv"), "--kind", "airport")
    assert (
        not ReferenceLayer.objects.exists()
        and not Site.objects.unscoped().filter(calc_station_km__isnull=False).exists()
    )


def test_typed_values_override_computed_ones_in_the_matching_and_on_the_sheet(inventory, tmp_path):
    rng = np.random.default_rng(13)
    stations = random_features(rng, 8)
    reference_layer_load(
        kind="station", path=write_layer(tmp_path / "g.gpkg", stations, ["G"] * 8, crs="EPSG:2154")
    )
    typed, computed = Site.objects.unscoped().exclude(geometry=None).order_by("pk")[:2]
    typed.gare_dist = 99.0
    typed.save()
    typed.refresh_from_db()
    # Sites without terrains are candidates themselves; the sites of the fixture have terrains: the terrains
    # carry their site's typed value over their own computed one.
    CACHE.clear()
    c = visible_candidates(Actor.system_actor(), today=date.today())
    by_key = {(int(k), int(i)): n for n, (k, i) in enumerate(zip(c.kind, c.id, strict=True))}
    for terrain in Terrain.objects.unscoped().filter(site_eco=typed):
        assert c.station_km[by_key[(KIND_TERRAIN, terrain.pk)]] == 99.0
    for terrain in Terrain.objects.unscoped().filter(site_eco=computed).exclude(geometry=None):
        assert c.station_km[by_key[(KIND_TERRAIN, terrain.pk)]] == terrain.calc_station_km
    assert not any(k == KIND_SITE for k, _ in by_key)

    rows = {r["kind"]: r for r in distance_rows(typed)}
    assert rows["station"]["km"] == 99.0 and rows["station"]["source"] == "saisie par le producteur"
    assert rows["station"]["computed_km"] == pytest.approx(typed.calc_station_km)
    rows = {r["kind"]: r for r in distance_rows(computed)}
    assert rows["station"]["km"] == computed.calc_station_km
    assert rows["station"]["source"].startswith(
        "calculée depuis la couche « gares de voyageurs » (g.gpkg) du "
    )

    # The station distance as a matching constraint: beyond the limit excluded, unknown to be checked.
    limit = float(np.median([t.calc_station_km for t in Terrain.objects.unscoped().exclude(site_eco=typed)]))
    ranking = match(c, Requirements(surface_min_ha=0.5, max_station_km=limit), today=date.today())
    for n in range(len(c)):
        km = c.station_km[n]
        reasons = ranking.explain(n)["reasons"]
        assert any(r.startswith("gare de voyageurs à ") for r in reasons) == (km > limit)


def test_the_site_sheet_says_where_each_distance_comes_from(inventory, tmp_path, client):
    from tests.factories import make_member

    rng = np.random.default_rng(17)
    reference_layer_load(
        kind="airport",
        path=write_layer(tmp_path / "aeroports.gpkg", random_features(rng, 3), ["A"] * 3, crs="EPSG:2154"),
    )
    site = Site.objects.unscoped().exclude(geometry=None).order_by("pk").first()
    site.tdm_motorway_junction_km = 3.5
    site.save()
    client.force_login(make_member(inventory))
    page = client.get(f"/foncier/sites/{site.pk}/").content.decode()
    assert "saisie par le producteur" in page
    assert "calculée depuis la couche « aéroports » (aeroports.gpkg) du " in page
    assert "Distance calculée" not in page  # the computed columns are not repeated among « Tous les champs »
