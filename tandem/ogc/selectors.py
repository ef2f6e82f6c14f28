"""Reads of the OGC API – Features: the collections, their extents and their features as GeoJSON text built by
PostGIS (`ST_AsGeoJSON`, `row_to_json`).

Every feature comes from `scope_queryset(actor, …)`: what the actor may not see is absent from the items and
their counts, and a single item they may not see is not found. The standard's personal fields (a terrain's
buyer and sale figures, a friche owner's name) are filled only where `land.perms.personal_fields_visible` says
so, row by row; otherwise they are null. Properties are named after the CNIG columns (`tandem.land.records`);
Tandem's own ones start with `tdm_`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Exists, F, Max, Min, Model, OuterRef, QuerySet
from django.http import Http404

from tandem.core.ids import parse_id
from tandem.land.models import Friche, Pole, Site, Terrain
from tandem.land.perms import personal_fields_visible
from tandem.land.records import LINK_COLUMNS, value_columns
from tandem.ogc.params import CRS84, SRIDS, Interval
from tandem.organizations.perms import Actor, scope_queryset
from tandem.organizations.scoping import check_scoped
from tandem.territories.models import Commune, Perimeter
from tandem.territories.perimeters import perimeter_outline

# Decimal digits of the coordinates: the stored WGS84 grid is 1e-5° (`tandem.core.geo.GRID_DEG`); Lambert-93
# to the centimetre.
PRECISION = {4326: 6, 2154: 2}
MODIFIED = "tdm_modifie_le"  # the temporal property: last change in Tandem, what `datetime` filters


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    model: type[Model]
    table: str | None = None  # the CNIG table whose columns name the properties
    # Plain properties: (property name, model field).
    columns: tuple[tuple[str, str], ...] = field(default=())
    personal: tuple[tuple[str, str], ...] = field(default=())
    link: tuple[str, str] | None = None  # (property, lookup) of the parent's CNIG identifier

    def base_queryset(self) -> QuerySet:
        return self.model.objects.all()


def _land_collection(id_: str, title: str, description: str, model, table: str) -> Collection:
    personal = set(getattr(model, "PERSONAL_FIELDS", ()))
    columns = value_columns(table)
    link = next(
        ((column, f"{lookup}__{column}") for (t, column), lookup in LINK_COLUMNS.items() if t == table), None
    )
    return Collection(
        id=id_,
        title=title,
        description=description,
        model=model,
        table=table,
        columns=tuple((c, f) for c, f in columns if f not in personal),
        personal=tuple((c, f) for c, f in columns if f in personal),
        link=link,
    )


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        _land_collection(
            "poles",
            "Pôles économiques",
            "Pôles d'activités économiques (standard CNIG Sites économiques, table POLE-ECO) : un point par pôle.",
            Pole,
            "pole-eco",
        ),
        _land_collection(
            "sites",
            "Sites économiques",
            "Zones d'activités économiques et autres sites économiques (standard CNIG Sites économiques, "
            "table SITE-ECO), avec les extensions Tandem (tdm_*) utiles à l'accueil d'entreprises.",
            Site,
            "site-eco",
        ),
        _land_collection(
            "terrains",
            "Terrains économiques",
            "Terrains des sites économiques (standard CNIG Sites économiques, table TERRAIN-ECO). L'acquéreur, "
            "le montant de la vente et le prix au m² ne sont renseignés que pour l'organisation propriétaire, "
            "ou si elle les partage.",
            Terrain,
            "terrain-eco",
        ),
        _land_collection(
            "friches",
            "Friches",
            "Friches (standard CNIG Friches) : contour de l'unité foncière, ou point quand il manque. Le nom du "
            "propriétaire n'est renseigné que pour l'organisation productrice, ou si elle le partage.",
            Friche,
            "friches",
        ),
        Collection(
            id="perimetres",
            title="Périmètres",
            description="Périmètres personnalisés (territoires de Maison de Région, Territoires d'industrie, "
            "SCoT…) : l'union des contours de leurs communes.",
            model=Perimeter,
            columns=(
                ("nom", "name"),
                ("code", "code"),
                ("type", "kind"),
                ("description", "description"),
                ("source", "source"),
            ),
        ),
    )
}


def collection_or_404(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise Http404("Collection inconnue.") from None


# --- schema -----------------------------------------------------------------------------------------------
# JSON Schema type (and format) of each kind of model field; the list columns (`tdm_*` lists) are JSON lists.
_FIELD_TYPES = {
    "FloatField": ("number", None),
    "DecimalField": ("number", None),
    "IntegerField": ("integer", None),
    "BigIntegerField": ("integer", None),
    "PositiveSmallIntegerField": ("integer", None),
    "PositiveIntegerField": ("integer", None),
    "BooleanField": ("boolean", None),
    "DateField": ("string", "date"),
    "DateTimeField": ("string", "date-time"),
    "JSONField": ("array", None),
}


def property_types(collection: Collection) -> list[tuple[str, str, str | None, str]]:
    """(property, JSON type, format, French title) of each property of the collection's features, in order."""
    out = []
    for name, field_name in collection.columns + collection.personal:
        model_field = collection.model._meta.get_field(field_name)
        json_type, fmt = _FIELD_TYPES.get(model_field.get_internal_type(), ("string", None))
        out.append((name, json_type, fmt, str(model_field.verbose_name)))
    if collection.link:
        out.append((collection.link[0], "string", None, "identifiant de l'objet parent"))
    out.append((MODIFIED, "string", "date-time", "date de dernière modification dans Tandem"))
    return out


# --- filters ----------------------------------------------------------------------------------------------
def _box(bbox, srid: int) -> Polygon:
    box = Polygon.from_bbox(bbox)
    box.srid = srid
    return box


def visible_features(
    actor: Actor,
    collection: Collection,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    bbox_crs: str = CRS84,
    interval: Interval | None = None,
) -> QuerySet:
    """The collection's objects `actor` may see, within `bbox` (intersecting it, in `bbox_crs`) and last
    changed within `interval`."""
    qs = scope_queryset(actor, collection.base_queryset())
    if bbox is not None:
        srid = SRIDS[bbox_crs]
        box = _box(bbox, srid)
        column = "geometry" if srid == 4326 else "geometry_l93"
        if collection.model is Perimeter:
            communes = Commune.objects.filter(perimeters=OuterRef("pk"), **{f"{column}__intersects": box})
            qs = qs.filter(Exists(communes))
        else:
            qs = qs.filter(**{f"{column}__intersects": box})
    if interval is not None:
        if interval.start is not None:
            qs = qs.filter(updated_at__gte=interval.start)
        if interval.end is not None:
            qs = qs.filter(updated_at__lte=interval.end)
    return qs


def collection_extent(actor: Actor, collection: Collection) -> dict:
    """The spatial (CRS84) and temporal extent of what `actor` sees of the collection."""
    qs = scope_queryset(actor, collection.base_queryset())
    if collection.model is Perimeter:
        box = Commune.objects.filter(perimeters__in=qs.values("pk")).aggregate(box=Extent("geometry"))["box"]
    else:
        box = qs.aggregate(box=Extent("geometry"))["box"]
    times = qs.aggregate(first=Min("updated_at"), last=Max("updated_at"))
    return {
        "spatial": {"bbox": [list(box) if box else [-180.0, -90.0, 180.0, 90.0]], "crs": CRS84},
        "temporal": {
            "interval": [[_iso(times["first"]), _iso(times["last"])]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        },
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


# --- GeoJSON ----------------------------------------------------------------------------------------------
def features_geojson(
    actor: Actor, collection: Collection, queryset: QuerySet, *, crs: str = CRS84
) -> list[str]:
    """The GeoJSON text of each feature of `queryset` (already scoped, filtered and sliced), in `crs`: built
    by PostGIS; personal fields spliced in (or nulled) per row by `personal_fields_visible`."""
    srid = SRIDS[crs]
    if collection.model is Perimeter:
        geometry = perimeter_outline(srid=srid)
    else:
        geometry = F("geometry" if srid == 4326 else "geometry_l93")
    annotations = {"ogc_geometry": geometry, "ogc_modified": F("updated_at")}
    if collection.link:
        annotations["ogc_link"] = F(collection.link[1])
    fields = [f for _, f in collection.columns] + [f for _, f in collection.personal]
    personal = bool(collection.personal)
    check_scoped(queryset)  # compiled to SQL below, never evaluated: the permission layer is checked here
    inner_sql, params = (
        queryset.annotate(**annotations)
        .values("id", "owner_id", *(["personal_shared"] if personal else []), *fields, *annotations)
        .query.sql_with_params()
    )
    qn = connection.ops.quote_name
    # Identifiers only (quoted model fields and CNIG column names from code); every value is a parameter.
    props = ", ".join(
        [f"t.{qn(f)} AS {qn(c)}" for c, f in collection.columns]
        + ([f"t.ogc_link AS {qn(collection.link[0])}"] if collection.link else [])
        + [f"t.ogc_modified AS {MODIFIED}"]
    )
    hidden_props = ", ".join(f"t.{qn(f)} AS {qn(c)}" for c, f in collection.personal)
    personal_sql = f"(SELECT row_to_json(q) FROM (SELECT {hidden_props}) q)::text" if personal else "NULL"  # noqa: S608
    shared_sql = "t.personal_shared" if personal else "false"
    sql = f"""SELECT t.id, t.owner_id, {shared_sql}, ST_AsGeoJSON(t.ogc_geometry, {PRECISION[srid]}, 0),
        (SELECT row_to_json(p) FROM (SELECT {props}) p)::text, {personal_sql}
        FROM ({inner_sql}) t ORDER BY t.id"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    if personal:
        shown = personal_fields_visible(
            actor,
            owner_id=np.array([r[1] for r in rows]),
            personal_shared=np.array([r[2] for r in rows], dtype=bool),
        )
        hidden = json.dumps(dict.fromkeys((c for c, _ in collection.personal)), ensure_ascii=False)[1:-1]
    out = []
    for k, (pk, _owner, _shared, geometry_json, props_json, personal_json) in enumerate(rows):
        if personal:
            props_json = f"{props_json[:-1]},{personal_json[1:-1] if shown[k] else hidden}}}"
        out.append(
            f'{{"type":"Feature","id":{pk},"geometry":{geometry_json or "null"},"properties":{props_json}}}'
        )
    return out


def feature_geojson(actor: Actor, collection: Collection, feature_id: str, *, crs: str = CRS84) -> str:
    """One feature's GeoJSON text; 404 when it does not exist or `actor` may not see it."""
    pk = parse_id(feature_id)
    if pk is None:
        raise Http404("Objet introuvable.")
    features = features_geojson(
        actor, collection, scope_queryset(actor, collection.base_queryset()).filter(pk=pk), crs=crs
    )
    if not features:
        raise Http404("Objet introuvable.")
    return features[0]
