"""Reads of the official geography and of map layers. Official geography is public reference data."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.gis.db.models import Union
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value

from tandem.core.geo import (
    MAP_OUTLINE_TOLERANCE_DEG,
    STORED_GEOMETRIES,
    feature,
    feature_collection,
    map_outline,
)
from tandem.core.tiles import TILE_EXTENT, TILE_MAX_ZOOM, mvt_layer, tile_box, tile_check, tile_geometry
from tandem.territories.models import Commune, Departement, Epci, Perimeter, Region

MAX_COMMUNES_DRAWN = 400


def instance_region_code() -> str:
    """The INSEE code of the instance's region (setting `TANDEM_REGION`, Grand Est « 44 » by default): the
    region a page, a dashboard or the matching uses when the user's organisation names none."""
    return settings.TANDEM_REGION


def commune_list(
    *,
    region: str | None = None,
    departement: str | None = None,
    epci: str | None = None,
    q: str | None = None,
    current: bool = True,
) -> QuerySet[Commune]:
    qs = Commune.objects.defer(*STORED_GEOMETRIES).select_related("departement", "epci")
    if current:
        qs = qs.filter(is_current=True)
    if region:
        qs = qs.filter(region_id=region)
    if departement:
        qs = qs.filter(departement_id=departement)
    if epci:
        qs = qs.filter(epci_id=epci)
    if q:
        qs = qs.filter(Q(name__unaccent_icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def epci_list(
    *, region: str | None = None, departement: str | None = None, q: str | None = None
) -> QuerySet[Epci]:
    """EPCI currently in force; with `region`, those with at least one member commune in it."""
    qs = Epci.objects.defer(*STORED_GEOMETRIES).filter(is_current=True)
    if region:
        qs = qs.filter(pk__in=Commune.objects.filter(is_current=True, region_id=region).values("epci_id"))
    if departement:
        qs = qs.filter(
            pk__in=Commune.objects.filter(is_current=True, departement_id=departement).values("epci_id")
        )
    if q:
        qs = qs.filter(Q(name__unaccent_icontains=q) | Q(siren__startswith=q))
    return qs.order_by("name")


def epci_regions(epci: Epci) -> list[Region]:
    return list(
        Region.objects.filter(communes__epci=epci, communes__is_current=True).distinct().order_by("code")
    )


def territory_figures(communes: QuerySet[Commune]) -> dict:
    """Key figures of a set of communes: communes, population, area, EPCI, départements."""
    current = communes.filter(is_current=True)
    totals = current.aggregate(
        communes=Count("pk"),
        population=Sum("population"),
        area_ha=Sum("area_ha"),
        epcis=Count("epci", distinct=True),
        departements=Count("departement", distinct=True),
    )
    totals["population"] = totals["population"] or 0
    totals["area_km2"] = round((totals.pop("area_ha") or 0) / 100, 1)
    return totals


WIDE_OUTLINE_TOLERANCE_DEG = 0.002


def communes_layer(communes: QuerySet[Commune]) -> dict:
    rows = (
        communes.filter(is_current=True, geometry__isnull=False)
        .annotate(outline=map_outline())
        .values_list("code", "name", "population", "outline")
    )
    return feature_collection(
        [
            feature(json.loads(g), {"code": c, "nom": n, "population": p, "type": "commune"})
            for c, n, p, g in rows
        ]
    )


def epcis_layer(epcis: QuerySet[Epci], *, tolerance: float = MAP_OUTLINE_TOLERANCE_DEG) -> dict:
    rows = (
        epcis.filter(geometry__isnull=False)
        .annotate(outline=map_outline(tolerance=tolerance))
        .values_list("siren", "name", "kind", "outline")
    )
    return feature_collection(
        [feature(json.loads(g), {"siren": s, "nom": n, "type": k}) for s, n, k, g in rows]
    )


def perimeter_layers(communes: QuerySet[Commune]) -> dict:
    """Map layers for a perimeter: EPCI boundaries always; commune boundaries when not too many."""
    current = communes.filter(is_current=True)
    epcis = Epci.objects.filter(pk__in=current.values("epci_id"))
    count = current.count()
    many = count > MAX_COMMUNES_DRAWN  # a département or a region: drawn whole, outlines to ~200 m suffice
    return {
        "epcis": epcis_layer(
            epcis, tolerance=WIDE_OUTLINE_TOLERANCE_DEG if many else MAP_OUTLINE_TOLERANCE_DEG
        ),
        "communes": feature_collection([]) if many else communes_layer(current),
        "communes_total": count,
    }


def departement_list(*, region: str | None = None) -> QuerySet[Departement]:
    qs = Departement.objects.defer(*STORED_GEOMETRIES).select_related("region")
    return qs.filter(region_id=region) if region else qs


def perimeter_search(perimeters: QuerySet, *, q: str | None = None) -> QuerySet:
    """Filter an already scoped queryset of perimeters by name or code."""
    if q:
        perimeters = perimeters.filter(Q(name__unaccent_icontains=q) | Q(code__icontains=q))
    return perimeters.order_by("name", "pk")


def commune_codes_named(q: str) -> QuerySet:
    """Codes of the communes (current or not) whose name contains `q`, accents and case ignored (trigram
    index): how registry searches match a commune name without indexing each establishment's label."""
    return Commune.objects.filter(name__unaccent_icontains=q).values("code")


def points_outside_communes(
    codes: list[str], lons, lats, *, tolerance_m: float
) -> dict[int, tuple[str, str]]:
    """Positions (in the given lists) of the WGS84 points lying farther than `tolerance_m` (Lambert-93) from
    their commune's outline, with the current commune that contains each of them (code, name; empty when
    none does). Communes without an outline are not checked. One PostGIS query over the GiST indexes."""
    if not len(codes):
        return {}
    table = Commune._meta.db_table
    sql = f"""
        WITH p AS (
            SELECT i, code, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS pt
            FROM unnest(%s::text[], %s::float8[], %s::float8[]) WITH ORDINALITY AS u(code, lon, lat, i)
        )
        SELECT p.i, w.code, w.name
        FROM p JOIN {table} c ON c.code = p.code
        LEFT JOIN LATERAL (
            SELECT code, name FROM {table} x
            WHERE x.is_current AND ST_Intersects(x.geometry, p.pt) ORDER BY x.code LIMIT 1
        ) w ON true
        WHERE c.geometry_l93 IS NOT NULL AND NOT ST_DWithin(c.geometry_l93, ST_Transform(p.pt, 2154), %s)
        ORDER BY p.i
    """  # noqa: S608 — the table name comes from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(codes), [float(x) for x in lons], [float(y) for y in lats], tolerance_m])
        return {int(i) - 1: (code or "", name or "") for i, code, name in cursor.fetchall()}


# --- Vector tiles: the map's context (boundaries and names) and the custom perimeters ----------------------
# Which levels a context tile carries at each zoom: outlines from `outline_from`, names from `names_from` to
# `names_to` (a map shows the régions' names zoomed out, the communes' names zoomed in).
CONTEXT_LEVELS = (
    # (layer, model, outline_from, names_from, names_to)
    ("regions", Region, 0, 0, 6),
    ("departements", Departement, 5, 6, 8),
    ("epcis", Epci, 7, 8, 10),
    ("communes", Commune, 9, 11, TILE_MAX_ZOOM),
)
CONTEXT_LABELS = "etiquettes"
LABEL_COLUMNS = ("code", "nom", "niveau", "centroid_lon", "centroid_lat")


def context_tile(*, z: int, x: int, y: int) -> bytes:
    """The base context of every map, from the loaded geography (public reference data): région,
    département, EPCI and commune outlines (layers `regions`, `departements`, `epcis`, `communes`, each
    feature with `code`, `nom`, `niveau`) and their names (layer `etiquettes`: one point per territory, its
    inner point), by zoom (`CONTEXT_LEVELS`). Maps show where things are with no internet base map."""
    tile_check(z, x, y)
    box = tile_box(z, x, y)
    outlines, labels = [], []
    for layer, model, outline_from, names_from, names_to in CONTEXT_LEVELS:
        qs = model.objects.filter(geometry_3857__bboverlaps=box)
        if model in (Epci, Commune):
            qs = qs.filter(is_current=True)
        qs = qs.annotate(nom=F("name"), niveau=Value(layer))
        if model is Epci:
            qs = qs.annotate(code=F("siren"))
        columns = ["code", "nom", "niveau"]
        if z >= outline_from:
            outlines.append(
                mvt_layer(qs, name=layer, columns=columns, geometry=tile_geometry(z, x, y), id_field=None)
            )
        if names_from <= z <= names_to:
            labels.append(qs.filter(centroid_lon__isnull=False))
    parts = b"".join(outlines)
    if labels:
        union = labels[0].values(*LABEL_COLUMNS)
        for qs in labels[1:]:
            union = union.union(qs.values(*LABEL_COLUMNS), all=True)
        parts += _label_layer(union, z=z, x=x, y=y)
    return parts


def _label_layer(rows, *, z: int, x: int, y: int) -> bytes:
    sql, params = rows.query.sql_with_params()
    point = "ST_Transform(ST_SetSRID(ST_MakePoint(centroid_lon, centroid_lat), 4326), 3857)"
    # SQL compiled by the ORM, values as parameters.
    wrapped = f"SELECT code, nom, niveau, ST_AsMVTGeom({point}, ST_TileEnvelope(%s, %s, %s)) AS mvt_geom FROM ({sql}) l"  # noqa: S608
    query = (
        f"SELECT ST_AsMVT(t, %s, {TILE_EXTENT}, 'mvt_geom') FROM ({wrapped}) t WHERE t.mvt_geom IS NOT NULL"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [CONTEXT_LABELS, z, x, y, *params])
        data = cursor.fetchone()[0]
    return bytes(data) if data else b""


def perimeter_tile(actor, *, z: int, x: int, y: int, perimeter_ids: list[int] | None = None) -> bytes:
    """The outlines of the custom perimeters `actor` may see (the permission layer), in layer `perimetres`
    (`id`, `nom`, `type`), each the union of its communes inside the tile (a perimeter stores no outline of its
    own); `perimeter_ids` narrows to a page's perimeters. No feature cap."""
    from tandem.organizations.perms import scope_queryset

    tile_check(z, x, y)
    box = tile_box(z, x, y)
    qs = scope_queryset(actor, Perimeter.objects.all())
    if perimeter_ids is not None:
        qs = qs.filter(pk__in=perimeter_ids)
    inside = Q(communes__geometry__bboverlaps=box, communes__is_current=True)
    qs = qs.filter(inside).annotate(
        outline=Union("communes__geometry", filter=inside), nom=F("name"), type=F("kind")
    )
    return mvt_layer(
        qs, name="perimetres", columns=["id", "nom", "type"], geometry=tile_geometry(z, x, y, "outline")
    )
