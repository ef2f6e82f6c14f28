"""Between the standard's columns and Tandem's models: which field stores which column, and the canonical
text of each value (the form import, diff and export all share, so that an identical file changes nothing and
import → export → import gives identical records)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from django.db import models

from tandem.land.io import GEOMETRY_COLUMN, format_number
from tandem.land.models import Etablissement, Friche, Pole, Site, Terrain
from tandem.land.validation import standard_columns

MODELS: dict[str, type[models.Model]] = {
    "pole-eco": Pole,
    "site-eco": Site,
    "terrain-eco": Terrain,
    "etablissement": Etablissement,
    "friches": Friche,
}
# Columns stored as something else than a field of the same name.
LINK_COLUMNS = {("site-eco", "pole_id"): "pole_eco", ("terrain-eco", "site_id"): "site_eco"}
POINT_COLUMNS = {"site-eco": "site_geompoint", "friches": "geompoint"}
POINT_FIELDS = {
    "site-eco": ("site_geompoint_lon", "site_geompoint_lat"),
    "friches": ("geompoint_lon", "geompoint_lat"),
}
GEOMETRY_KEY = "__geometry"  # the geometry's digest in canonical records
POINT_KEY = "__point"


def field_name(column: str) -> str:
    return column.lower().replace("-", "_")


def value_columns(table: str) -> list[tuple[str, str]]:
    """(column, model field) of the columns stored as plain fields (not links, not geometries)."""
    skip = {GEOMETRY_COLUMN[table], POINT_COLUMNS.get(table), "pole_geompoint", "etab_geompoint", "geompoint"}
    return [
        (c["name"], field_name(c["name"]))
        for c in standard_columns(table)
        if c["name"] not in skip and (table, c["name"]) not in LINK_COLUMNS
    ]


def text_of(value) -> str:
    """Canonical text of a stored value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def point_text(lon, lat) -> str:
    if lon is None or lat is None or (isinstance(lon, float) and np.isnan(lon)):
        return ""
    return f"{format_number(round(float(lon), 6))} {format_number(round(float(lat), 6))}"


def db_value(field: models.Field, text: str):
    """The Python value of a field from canonical text."""
    if isinstance(field, models.JSONField):
        return [part for part in text.split("|") if part] if text else []
    if text == "":
        return None if field.null else ""
    if isinstance(field, models.BooleanField):
        return text == "oui"
    if isinstance(field, models.FloatField):
        return float(text)
    if isinstance(field, models.IntegerField):
        return int(float(text))
    if isinstance(field, models.DateField):
        return dt.date.fromisoformat(text)
    return text


def copy_text(field: models.Field, texts: pd.Series) -> pd.Series:
    """Canonical text -> the text PostgreSQL's COPY reads for this field (None for NULL)."""
    if isinstance(field, models.JSONField):
        if not any(texts.tolist()):
            return pd.Series("[]", index=texts.index, dtype=object)
        return texts.map(lambda t: json.dumps([p for p in t.split("|") if p], ensure_ascii=False))
    if isinstance(field, models.BooleanField):
        return texts.map({"oui": "t", "non": "f"})
    if isinstance(field, models.IntegerField) and not isinstance(field, models.AutoField):
        return texts.map(lambda t: str(int(float(t))) if t else None)
    if field.null:
        return texts.where(texts != "", None)
    return texts


def canonical_from_db(table: str, queryset) -> dict[str, dict]:
    """Canonical records of stored objects, keyed by their standard identifier (for the diff)."""
    columns = value_columns(table)
    fields = [f for _, f in columns]
    extra = ["pk", "owner_id", "geometry_digest"]
    if table in POINT_FIELDS:
        extra += list(POINT_FIELDS[table])
    link = {"site-eco": "pole_eco__pole_id", "terrain-eco": "site_eco__site_id"}.get(table)
    if link:
        extra.append(link)
    key = field_name(_primary_key(table))
    records = {}
    for row in queryset.values(*fields, *extra):
        record = {column: text_of(row[f]) for column, f in columns}
        if link:
            record[link_column(table)] = row[link] or ""
        record[GEOMETRY_KEY] = row["geometry_digest"] or ""
        if table in POINT_FIELDS:
            lon, lat = POINT_FIELDS[table]
            record[POINT_KEY] = point_text(row[lon], row[lat])
        record["__pk"] = row["pk"]
        record["__owner"] = row["owner_id"]
        records[row[key]] = record
    return records


def link_column(table: str) -> str:
    return {"site-eco": "pole_id", "terrain-eco": "site_id"}[table]


def _primary_key(table: str) -> str:
    from tandem.land.standard import TABLES

    return TABLES[table]["primary_key"]
