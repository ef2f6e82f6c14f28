"""The migration from GeoJSON columns to PostGIS columns keeps every geometry and derived value.

The land tables are taken back to their former layout (`geometry` jsonb + bounding box), filled as the former
code filled them (GeoJSON text of the geometry, inner point, box, Lambert-93 area, digest of the text), then
migrated forward and compared. The territories tables go through the same operations
(`tandem.core.geo_migrations.to_postgis`)."""

import hashlib
import json

import numpy as np
import pytest
import shapely
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from pyproj import Transformer

BEFORE = [("land", "0002_nafconsumption")]
AFTER = [("land", "0003_geometry_postgis")]
TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def former_columns(geom) -> dict:
    """What the former `core.geo.geometry_columns` wrote for one geometry."""
    text = shapely.to_geojson(geom)
    point = (
        geom.centroid
        if geom.geom_type == "Point" or geom.contains(geom.centroid)
        else geom.point_on_surface()
    )
    west, south, east, north = geom.bounds
    area = shapely.transform(geom, lambda xy: np.column_stack(TO_L93.transform(xy[:, 0], xy[:, 1]))).area
    return {
        "geometry": json.loads(text),
        "geometry_digest": hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest(),
        "centroid_lat": round(point.y, 6),
        "centroid_lon": round(point.x, 6),
        "bbox_west": west,
        "bbox_south": south,
        "bbox_east": east,
        "bbox_north": north,
        "area_ha": round(area / 10_000, 2),
    }


@pytest.fixture
def migration_executor():
    """A migration executor; the schema is brought back to the latest migrations afterwards, so the
    transactional tests that follow run on the real schema."""
    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_geojson_geometries_migrate_to_postgis_without_loss(migration_executor):
    rng = np.random.default_rng(1)
    executor = migration_executor
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Organization = old.get_model("organizations", "Organization")
    Site, Terrain, Friche = (old.get_model("land", name) for name in ("Site", "Terrain", "Friche"))
    owner = Organization.objects.create(name="Migration", slug="migration", kind="epci")
    shapes = {}
    for k in range(20):
        lon, lat = 4 + rng.uniform(0, 4), 47.5 + rng.uniform(0, 2)
        ring = np.column_stack(
            [lon + 0.01 * np.cos(np.linspace(0, 6, 7)), lat + 0.007 * np.sin(np.linspace(0, 6, 7))]
        )
        polygon = shapely.Polygon(np.round(ring, 5))
        site = Site.objects.create(
            owner=owner, site_id=f"S{k}", site_nom=f"Site {k}", **former_columns(polygon)
        )
        terrain_shape = shapely.MultiPolygon([shapely.box(lon, lat, lon + 0.001, lat + 0.001)])
        terrain = Terrain.objects.create(
            owner=owner, site_eco=site, terr_id=f"T{k}", **former_columns(terrain_shape)
        )
        point = shapely.Point(round(lon, 5), round(lat, 5))
        friche = Friche.objects.create(
            owner=owner, site_id=f"F{k}", site_nom=f"Friche {k}", **former_columns(point)
        )
        shapes.update(
            {("site", site.pk): polygon, ("terrain", terrain.pk): terrain_shape, ("friche", friche.pk): point}
        )
    empty = Site.objects.create(owner=owner, site_id="VIDE", site_nom="Sans géométrie")
    former = {
        (name, row["pk"]): row
        for name, model in (("site", Site), ("terrain", Terrain), ("friche", Friche))
        for row in model.objects.values("pk", "centroid_lat", "centroid_lon", "area_ha", "geometry_digest")
    }

    executor.loader.build_graph()
    executor.migrate(AFTER)

    from tandem.land.models import Friche as NewFriche
    from tandem.land.models import Site as NewSite
    from tandem.land.models import Terrain as NewTerrain

    models = {"site": NewSite, "terrain": NewTerrain, "friche": NewFriche}
    for (name, pk), shape in shapes.items():
        # Only the columns of this migration: later migrations add others the schema does not have yet.
        obj = models[name].objects.unscoped().only("pk", "geometry", "geometry_l93", "centroid_lat", "centroid_lon", "area_ha", "geometry_digest").get(pk=pk)
        # The same coordinates, bit for bit, in a WGS84 PostGIS column, and the former derived values.
        assert obj.geometry.srid == 4326 and shapely.equals_exact(obj.shape, shape, tolerance=0)
        assert obj.shape.geom_type == shape.geom_type
        row = former[(name, pk)]
        assert (obj.centroid_lat, obj.centroid_lon, obj.area_ha, obj.geometry_digest) == (
            row["centroid_lat"],
            row["centroid_lon"],
            row["area_ha"],
            row["geometry_digest"],
        )
        # The Lambert-93 copy generated by the database measures the former area.
        assert obj.geometry_l93.srid == 2154
        assert obj.geometry_l93.area / 10_000 == pytest.approx(row["area_ha"], abs=0.006)
    new_empty = NewSite.objects.unscoped().only("pk", "geometry", "geometry_l93", "centroid_lat", "centroid_lon", "area_ha", "geometry_digest").get(pk=empty.pk)
    assert new_empty.geometry is None and new_empty.geometry_l93 is None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'land_site' AND indexdef ILIKE '%USING gist%'"
        )
        gist = " ".join(row[0] for row in cursor.fetchall())
    assert "(geometry)" in gist and "(geometry_l93)" in gist
