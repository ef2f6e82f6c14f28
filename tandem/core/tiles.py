"""Mapbox vector tiles (MVT) built by PostGIS (`ST_AsMVT`): the one place that turns a queryset into a tile layer.

Each domain's selectors build the queryset of a layer — already scoped by the permission layer, with only the
properties a map may show — and call `mvt_layer`; a tile of several layers is the concatenation of their bytes
(the MVT format allows it), built by one statement (`mvt_tile`). There is no feature cap: the GiST index on the geometry selects the tile's objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Polygon
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404

from tandem.core.db import interactive_query
from tandem.core.memory import ProcessMemory
from tandem.organizations.scoping import check_scoped

TILE_MAX_ZOOM = 22
TILE_EXTENT = 4096
WEB_MERCATOR_SIZE_M = 2 * math.pi * 6378137


def tile_check(z: int, x: int, y: int) -> None:
    """A tile outside the Web Mercator pyramid answers 404, like an unknown layer."""
    if not (0 <= z <= TILE_MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise Http404("Tuile inconnue.")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """WGS84 (west, south, east, north) of a Web Mercator (XYZ) tile: its edges are meridians and parallels."""
    n = 2**z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


# The statement's own tile: a layer compiled with `TILE` in place of (z, x, y) reads its tile from the one-row
# `tile` of the statement that runs it (`mvt_tile(…, tile=(z, x, y))`), so that its SQL is the same for every
# tile and can be compiled once (`compiled_layers`), with PostgreSQL reading the tile's values once (InitPlans).
TILE = (None, None, None)


def _envelope(z, x, y):
    if z is None:
        return RawSQL("(SELECT envelope FROM tile)", [], output_field=GeometryField(srid=3857))
    return _TileEnvelope(Value(z), Value(x), Value(y))


def _unit(z):
    """One tile unit in Web Mercator metres (1/4096 of the tile's side)."""
    if z is None:
        return RawSQL("(SELECT unit FROM tile)", [], output_field=FloatField())
    return Value(WEB_MERCATOR_SIZE_M / 2**z / TILE_EXTENT, output_field=FloatField())


def tile_envelope(z, x, y):
    """The tile's square in Web Mercator (`ST_TileEnvelope`), to select its objects by
    `geometry_3857__bboverlaps` (GiST index of the stored Web Mercator copy); `TILE` for the statement's."""
    return _envelope(z, x, y)


def tile_box(z: int, x: int, y: int) -> Polygon:
    """The tile's outline in WGS84, to select its objects by `geometry_3857__bboverlaps` (GiST index of the
    stored Web Mercator copy; PostGIS projects the box, whose edges are meridians and parallels: the exact
    tile) or `geometry__bboverlaps`."""
    box = Polygon.from_bbox(tile_bounds(z, x, y))
    box.srid = 4326
    return box


class _TileEnvelope(Func):
    function = "ST_TileEnvelope"
    output_field = GeometryField(srid=3857)


class _AsMVTGeom(Func):
    function = "ST_AsMVTGeom"
    output_field = GeometryField(srid=3857)


class _Simplify(Func):
    function = "ST_Simplify"
    output_field = GeometryField(srid=3857)


class _PointOnSurface(Func):
    function = "ST_PointOnSurface"
    output_field = GeometryField(srid=3857)


class _Intersection(Func):
    function = "ST_Intersection"
    output_field = GeometryField(srid=3857)


class _BoxSmallerThan(Func):
    """True when the geometry's bounding box (`Box2D`: the box stored in the geometry's header) is narrower
    and shorter than the given length (in the geometry's units)."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        geometry, size = self.get_source_expressions()
        geometry_sql, geometry_params = compiler.compile(geometry)
        size_sql, size_params = compiler.compile(size)
        box = f"Box2D({geometry_sql})"
        sql = (
            f"(ST_XMax({box}) - ST_XMin({box}) < {size_sql} AND ST_YMax({box}) - ST_YMin({box}) < {size_sql})"
        )
        params = [*geometry_params, *geometry_params, *size_params] * 2
        return sql, params


class _MakePoint(Func):
    """`ST_SetSRID(ST_MakePoint(lon, lat), 4326)`: an object's stored inner point."""

    template = "ST_SetSRID(ST_MakePoint(%(expressions)s), 4326)"
    output_field = GeometryField(srid=4326)


def web_mercator(geometry):
    """A geometry column (or expression) in Web Mercator: a stored `…_3857` copy as it is (the
    `GeometryFields` models: no projection per row and per request), any other one projected by PostGIS."""
    if isinstance(geometry, str) and geometry.endswith("_3857"):
        return F(geometry)
    return Transform(geometry, 3857)


def tile_geometry(
    z: int, x: int, y: int, geometry="geometry_3857", *, point_fallback: tuple[str, str] | None = None
):
    """The expression of an object's geometry in tile coordinates: in Web Mercator (`web_mercator`; by default
    the stored copy of `GeometryFields`), simplified to the tile's resolution (one tile unit), clipped. With `point_fallback` (the columns of the object's inner point,
    lon and lat), an outline too small to be drawn at this zoom becomes its inner point (or, cut by the tile's
    edge, a point of its part inside the tile), so that a zoomed-out map still shows every object (as a dot)
    instead of dropping it."""
    envelope = _envelope(z, x, y)
    mercator = web_mercator(geometry)
    projected = _Simplify(mercator, _unit(z), Value(True))
    shape = _AsMVTGeom(projected, envelope)
    if point_fallback is None:
        return shape
    # An outline cut by the tile's edge may leave a sliver too thin to draw while its inner point lies beyond
    # the tile: then a point of its part inside the tile (computed only for those few).
    inside = _AsMVTGeom(_PointOnSurface(_Intersection(mercator, envelope)), envelope)
    point = tile_point(z, x, y, *point_fallback)
    drawn = Coalesce(shape, point, inside, output_field=GeometryField(srid=3857))
    # An outline whose box is smaller than one tile unit both ways cannot be drawn at this zoom: its inner
    # point at once, without simplifying and clipping its outline first (most objects of a zoomed-out tile:
    # at zoom 6 a unit is ~150 m). Read from the geometry's stored box, no vertex is visited.
    tiny = _BoxSmallerThan(mercator, _unit(z))
    return Case(
        When(tiny, then=Coalesce(point, inside, output_field=GeometryField(srid=3857))),
        default=drawn,
        output_field=GeometryField(srid=3857),
    )


def tile_point(z: int, x: int, y: int, lon: str, lat: str):
    """An object's stored inner point (columns `lon`, `lat`) in tile coordinates (a label's anchor)."""
    return _AsMVTGeom(Transform(_MakePoint(F(lon), F(lat)), 3857), _envelope(z, x, y))


class TileLayer:
    """One layer of a tile, compiled to SQL (`tile_layer`) with its values written in (`compose_sql`): a tile
    of several layers is built by one statement (`mvt_tile`), run without client-side parameters — psycopg
    parses a statement's placeholders on every run when it is longer than 4 KB, as a tile layer's is (several
    milliseconds a tile)."""

    __slots__ = ("sql",)

    def __init__(self, sql: str):
        self.sql = sql


def tile_layer(
    queryset: QuerySet,
    *,
    name: str,
    columns: list[str],
    geometry,
    id_field: str | None = "pk",
    labels: dict[str, tuple[str, dict[str, str]]] | None = None,
) -> TileLayer | None:
    """The SQL of one tile layer `name` from `queryset` (already restricted to the tile and to what the user may
    see): `columns` become the features' properties, `geometry` is a `tile_geometry` expression, `id_field` the
    feature id (an integer column; None for a layer whose keys are codes, carried as properties). None for a
    queryset that can hold nothing (`.none()`, `__in=[]`).

    `labels` adds properties read from another one's value: `{"libelle": ("disponibilite", {"now": "…"})}`
    (done once per feature on the computed value, where an ORM `Case` over an annotation would repeat the
    annotation's whole expression in the SQL for each label)."""
    check_scoped(queryset)  # compiled to SQL below, never evaluated: the permission layer is checked here
    annotations = {"mvt_geom": geometry}
    if id_field:
        annotations["mvt_id"] = F(id_field)
    try:
        sql, params = (
            queryset.annotate(**annotations).values(*columns, *annotations).order_by().query.sql_with_params()
        )
    except EmptyResultSet:  # a queryset that can hold nothing: an empty layer
        return None
    id_arg = ", 'mvt_id'" if id_field else ""
    extra, extra_params = "", []
    for label, (source, values) in (labels or {}).items():
        assert label.isidentifier() and source in columns, (label, source)  # names from code, never input
        cases = " ".join("WHEN %s THEN %s" for _ in values)
        extra += f", CASE t.{source} {cases} END AS {label}"
        extra_params += [v for pair in values.items() for v in pair]
    # MATERIALIZED: each row's tile geometry is computed once (as a plain subquery, PostgreSQL pushes the
    # outer conditions down and computes the expression again for each of them).
    query = (
        f"WITH t AS MATERIALIZED ({sql}) SELECT ST_AsMVT(f, %s, {TILE_EXTENT}, 'mvt_geom'{id_arg}) "  # noqa: S608 — SQL compiled by the ORM, values as parameters
        f"FROM (SELECT t.*{extra} FROM t WHERE t.mvt_geom IS NOT NULL AND NOT ST_IsEmpty(t.mvt_geom)) f"
    )
    return TileLayer(connection.ops.compose_sql(query, [*params, name, *extra_params]))


def mvt_tile(layers: list[TileLayer | None], *, tile: tuple[int, int, int] | None = None) -> bytes:
    """A tile of several layers in ONE statement (one round trip, one transaction): the layers' bytes
    concatenated, which the MVT format allows (a tile is a list of layers). An empty layer adds nothing.
    `tile` (z, x, y) is the tile of the layers compiled with `TILE`."""
    parts = [layer for layer in layers if layer is not None]
    if not parts:
        return b""
    # Each layer a scalar subquery (its own CTE inside), its bytes or '' when it holds no feature.
    query = "SELECT " + " || ".join(f"COALESCE(({p.sql}), ''::bytea)" for p in parts)
    if tile is not None:
        z, x, y = (int(v) for v in tile)  # integers written in the statement: never text from input
        unit = float(WEB_MERCATOR_SIZE_M / 2**z / TILE_EXTENT)
        query = (
            f"WITH tile AS MATERIALIZED (SELECT ST_TileEnvelope({z}, {x}, {y}) AS envelope, {unit!r}::float8 AS unit) "
            + query
        )
    with interactive_query() as cursor:
        cursor.execute(query)  # no parameters: the values are in the SQL (`TileLayer`)
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""


COMPILED = ProcessMemory("tile SQL compiled per scope", 512)


def compiled_layers(key: tuple, build: Callable[[], list[TileLayer | None]]) -> list[TileLayer | None]:
    """The layers `build` compiles (with `TILE`), kept by this process under `key` — which must hold
    every value `build` writes into the SQL besides the tile: who asks (`Actor.scope_key`), the layers, the
    day — so that the tiles of a map compile their permission-scoped SQL once instead of once a tile (most of
    a zoomed-in tile's time). Only SQL is kept: the objects are read when it runs, so a write or a sharing
    change shows in the next tile."""
    return COMPILED.remember(key, build)


def mvt_layer(queryset: QuerySet, **layer) -> bytes:
    """One tile layer (`tile_layer`'s arguments) as a tile's bytes."""
    return mvt_tile([tile_layer(queryset, **layer)])
