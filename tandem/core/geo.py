"""Geometry helpers. Geometries are stored as GeoJSON (WGS84) with derived columns for queries.

No GeoDjango: shapely 2 computes the derived columns, pyproj projects to Lambert-93 (EPSG:2154) for areas.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import shapely
from django.db import models
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry


@lru_cache(maxsize=1)
def _to_lambert93() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


@lru_cache(maxsize=1)
def _from_lambert93() -> Transformer:
    return Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def to_lambert93(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: _stack(_to_lambert93().transform(xy[:, 0], xy[:, 1])))


def from_lambert93(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: _stack(_from_lambert93().transform(xy[:, 0], xy[:, 1])))


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)


def area_ha(geom: BaseGeometry) -> float:
    """Area in hectares, measured in Lambert-93 (metropolitan France)."""
    if geom is None or geom.is_empty:
        return 0.0
    return to_lambert93(geom).area / 10_000


class GeometryFields(models.Model):
    """Abstract: a GeoJSON geometry with the derived columns that queries use."""

    geometry = models.JSONField("géométrie (GeoJSON, WGS84)", null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True)
    bbox_west = models.FloatField(null=True, blank=True)
    bbox_south = models.FloatField(null=True, blank=True)
    bbox_east = models.FloatField(null=True, blank=True)
    bbox_north = models.FloatField(null=True, blank=True)
    area_ha = models.FloatField("surface (ha, Lambert-93)", null=True, blank=True)
    geometry_digest = models.CharField("empreinte de la géométrie", max_length=40, blank=True, editable=False)

    class Meta:
        abstract = True

    def set_geometry(self, geom: BaseGeometry | None) -> None:
        for name, value in geometry_columns(geom).items():
            setattr(self, name, value)

    @property
    def shape(self) -> BaseGeometry | None:
        return shapely.from_geojson(json.dumps(self.geometry)) if self.geometry else None


GEOMETRY_COLUMNS = (
    "geometry",
    "centroid_lat",
    "centroid_lon",
    "bbox_west",
    "bbox_south",
    "bbox_east",
    "bbox_north",
    "area_ha",
    "geometry_digest",
)


def geometry_columns(geom: BaseGeometry | None) -> dict:
    """The stored GeoJSON and its derived columns for one geometry (WGS84)."""
    values = geometry_columns_many([geom])[0]
    if values["geometry"] is not None:
        values["geometry"] = json.loads(values["geometry"])
    return values


def geometry_columns_many(geoms, grid: float = 1e-5) -> list[dict]:
    """Vectorised `geometry_columns` for many geometries (coordinates snapped to a 1e-5° grid, ~1 m).

    "geometry" is left as GeoJSON text: callers compare `geometry_digest` and parse only what they write.
    """
    import numpy as np

    arr = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(arr)
    present[present] = ~shapely.is_empty(arr[present])
    out = [dict(dict.fromkeys(GEOMETRY_COLUMNS), geometry_digest="") for _ in range(len(arr))]
    if not present.any():
        return out
    geo = shapely.make_valid(shapely.set_precision(arr[present], grid))
    centroids = shapely.centroid(geo)
    inside = shapely.contains(geo, centroids) | (shapely.get_type_id(geo) == 0)
    points = np.where(inside, centroids, shapely.point_on_surface(geo))
    bounds = shapely.bounds(geo)
    x, y = shapely.get_x(points), shapely.get_y(points)
    areas = shapely.area(
        shapely.transform(geo, lambda xy: _stack(_to_lambert93().transform(xy[:, 0], xy[:, 1])))
    )
    texts = shapely.to_geojson(geo)
    for k, i in enumerate(np.flatnonzero(present)):
        west, south, east, north = bounds[k]
        out[i] = {
            "geometry": texts[k],
            "geometry_digest": hashlib.sha1(texts[k].encode(), usedforsecurity=False).hexdigest(),
            "centroid_lat": round(float(y[k]), 6),
            "centroid_lon": round(float(x[k]), 6),
            "bbox_west": float(west),
            "bbox_south": float(south),
            "bbox_east": float(east),
            "bbox_north": float(north),
            "area_ha": round(float(areas[k]) / 10_000, 2),
        }
    return out


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def feature(geometry: dict | None, properties: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}
