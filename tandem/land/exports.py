"""Export of the land inventory in the exact CNIG layouts: CSV, GeoJSON or GeoPackage, one file per table.

Strict exports carry only the standard's columns; Tandem exports add the `tdm_*` extensions. What the actor
may not see is absent (permission layer); personal fields are blank unless the actor's organisation owns the
record or the owner shared them.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import shapely

from tandem.core.audit import audit_record
from tandem.core.errors import UserError
from tandem.core.geo import to_lambert93, to_shapely
from tandem.core.models import AuditEvent
from tandem.core.spreadsheet import neutralise_cell
from tandem.land.io import GEOMETRY_COLUMN, TABLE_LAYERS, format_number, write_csv, write_geojson, write_gpkg
from tandem.land.perms import personal_fields_visible
from tandem.land.records import MODELS, POINT_FIELDS, field_name, text_of, value_columns
from tandem.land.standard import FRICHES, SITES_ECONOMIQUES, TABLES
from tandem.land.validation import standard_columns
from tandem.organizations.perms import Actor, scope_queryset

FORMATS = ("csv", "geojson", "gpkg")
GPKG_TYPES = {
    "pole-eco": "Point",
    "site-eco": "MultiPolygon",
    "terrain-eco": "Unknown",
    "etablissement": "MultiPoint",
}
GPKG_TYPES[FRICHES] = "Unknown"


def land_export(
    *,
    actor: Actor,
    fmt: str,
    output_dir: Path,
    epci_siren: str | None = None,
    region_code: str | None = None,
    strict: bool = False,
    tables: tuple[str, ...] = (*SITES_ECONOMIQUES, FRICHES),
    progress: Callable[[int, str], None] | None = None,
) -> list[Path]:
    """Write one file per table (`site-eco.csv`, `friches.geojson`…) into `output_dir`; return their paths."""
    if fmt not in FORMATS:
        raise UserError(f"Format d'export inconnu : {fmt} (attendu : {', '.join(FORMATS)})")
    if not epci_siren and not region_code:
        raise UserError("Précisez le périmètre de l'export : --epci SIREN ou --region CODE.")
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    counts = {}
    for n, table in enumerate(tables):
        if progress:
            progress(90 * n // len(tables), f"export de la table {table}")
        queryset = _scoped(actor, table, epci_siren=epci_siren, region_code=region_code)
        rows, geometries = table_rows(actor, table, queryset, fmt=fmt)
        columns = export_columns(table, strict=strict)
        counts[table] = len(rows)
        path = output_dir / f"{table}.{fmt}"
        if path.exists():
            path.unlink()
        if fmt == "csv":
            write_csv(path, columns, spreadsheet_safe_rows(table, rows, strict=strict))
        elif fmt == "geojson":
            geometry_column = _feature_geometry_column(table)
            write_geojson(
                path,
                [c for c in columns if c != geometry_column],
                rows,
                [g and json.loads(shapely.to_geojson(g)) for g in geometries],
            )
        else:
            layer = TABLE_LAYERS.get(table, "friches")
            geometry_column = _feature_geometry_column(table)
            gpkg_columns = [c for c in columns if c != geometry_column]
            l93 = [_gpkg_geometry(table, g) for g in geometries]
            renamed = [{field_name(c): row.get(c, "") for c in gpkg_columns} for row in rows]
            write_gpkg(
                path,
                layer,
                [field_name(c) for c in gpkg_columns],
                renamed,
                l93,
                GPKG_TYPES[table],
                "EPSG:2154",
            )
        paths.append(path)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="land.inventory",
        details={
            "format": fmt,
            "strict": strict,
            "epci": epci_siren,
            "region": region_code,
            "counts": counts,
        },
    )
    return paths


def _scoped(actor: Actor, table: str, *, epci_siren: str | None, region_code: str | None):
    queryset = scope_queryset(actor, MODELS[table].objects.all())
    if epci_siren:
        queryset = queryset.filter(commune__epci_id=epci_siren)
    if region_code:
        queryset = queryset.filter(commune__region_id=region_code)
    return queryset


def land_export_row_count(
    *,
    actor: Actor,
    epci_siren: str | None = None,
    region_code: str | None = None,
    tables: tuple[str, ...] = (*SITES_ECONOMIQUES, FRICHES),
) -> int:
    """How many rows `land_export` would write for `actor` (to serve a small export at once, a large one as
    a job: `tandem.core.files`)."""
    return sum(
        _scoped(actor, table, epci_siren=epci_siren, region_code=region_code).count() for table in tables
    )


def land_export_archive(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    """The CNIG export as one ZIP (one file per table) written into `out`: the generator of the web download,
    served at once or by a job (`tandem.core.files`, kind `land.cnig`). `params`: format, epci, region,
    strict."""
    with tempfile.TemporaryDirectory(prefix="tandem-land-export-") as scratch:
        paths = land_export(
            actor=actor,
            fmt=params["format"],
            output_dir=Path(scratch),
            epci_siren=params.get("epci") or None,
            region_code=params.get("region") or None,
            strict=bool(params.get("strict")),
            progress=progress,
        )
        progress(95, "compression")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.name)


# Column types whose values are free text in a spreadsheet; numbers, dates, booleans, coordinates and
# geometries keep their canonical text (`-4.5` stays a number, as the standard requires).
TEXT_TYPES = {"string", "tdm:text", "tdm:enum", "tdm:list"}


def text_columns(table: str, *, strict: bool) -> set[str]:
    specs = TABLES[table]["columns"] if strict else standard_columns(table)
    return {c["name"] for c in specs if c["type"] in TEXT_TYPES}


def spreadsheet_safe_rows(table: str, rows: list[dict], *, strict: bool) -> list[dict]:
    """The CSV rows with their text cells neutralised against formula injection (`tandem.core.spreadsheet`)."""
    text = text_columns(table, strict=strict)
    return [{c: neutralise_cell(v) if c in text else v for c, v in row.items()} for row in rows]


def export_columns(table: str, *, strict: bool) -> list[str]:
    specs = TABLES[table]["columns"] if strict else standard_columns(table)
    return [c["name"] for c in specs]


def _feature_geometry_column(table: str) -> str | None:
    """The column carried by the feature's geometry (friches keep both WKT columns as properties)."""
    return None if table == FRICHES else GEOMETRY_COLUMN[table]


def _gpkg_geometry(table: str, geometry):
    if geometry is None:
        return None
    geometry = to_lambert93(geometry)
    if table == "site-eco" and geometry.geom_type == "Polygon":
        return shapely.multipolygons([geometry])
    if table == "etablissement" and geometry.geom_type == "Point":
        return shapely.multipoints([geometry])
    return geometry


def table_rows(actor: Actor, table: str, queryset, *, fmt: str = "csv") -> tuple[list[dict], list]:
    """Canonical text rows of `queryset` in the standard's columns, and their WGS84 geometries (the feature
    geometry: the table's, or a friche's point)."""
    model = MODELS[table]
    columns = value_columns(table)
    fields = [f for _, f in columns]
    extra = ["owner_id", "geometry"]
    personal = getattr(model, "PERSONAL_FIELDS", ())
    if personal:
        extra.append("personal_shared")
    if table in POINT_FIELDS:
        extra += list(POINT_FIELDS[table])
    link = {
        "site-eco": ("pole_id", "pole_eco__pole_id"),
        "terrain-eco": ("site_id", "site_eco__site_id"),
    }.get(table)
    if link:
        extra.append(link[1])
    key = field_name(TABLES[table]["primary_key"])
    rows, geometries = [], []
    for record in queryset.order_by(key).values(*fields, *extra):
        row = {column: text_of(record[f]) for column, f in columns}
        if personal and not personal_fields_visible(
            actor, owner_id=record["owner_id"], personal_shared=record["personal_shared"]
        ):
            for name in personal:
                row[name] = ""
        if link:
            row[link[0]] = record[link[1]] or ""
        shape = to_shapely(record["geometry"])
        if table == FRICHES:
            lon, lat = record["geompoint_lon"], record["geompoint_lat"]
            point = shapely.points(lon, lat) if lon is not None else None
            row["geompoint"] = (
                f"POINT ({format_number(lon)} {format_number(lat)})" if point is not None else ""
            )
            surface = shape is not None and shape.geom_type in ("Polygon", "MultiPolygon")
            row["geomsurf"] = shapely.to_wkt(shape, rounding_precision=-1) if surface else ""
            rows.append(row)
            geometries.append(shape if surface else point)
            continue
        if table == "site-eco":
            lon, lat = record["site_geompoint_lon"], record["site_geompoint_lat"]
            row["site_geompoint"] = f"{format_number(lon)}, {format_number(lat)}" if lon is not None else ""
        geometry_column = GEOMETRY_COLUMN[table]
        if table == "pole-eco":
            row[geometry_column] = (
                f"{format_number(shapely.get_x(shape))}, {format_number(shapely.get_y(shape))}"
                if shape is not None
                else ""
            )
        else:
            row[geometry_column] = shapely.to_geojson(shape) if shape is not None else ""
        geometries.append(shape)
        rows.append(row)
    return rows, geometries


# --- The site list as CSV (the list page's « Exporter ») --------------------------------------------------

SITE_COLUMNS = [
    "site_id",
    "site_nom",
    "site_type",
    "site_vocadomi",
    "site_etat",
    "site_surf_brute",
    "site_surf_utile",
    "site_epci_siren",
    "site_epci_nom",
    "site_comm_insee",
    "site_comm_nom",
]


def sites_csv_params(filters: dict) -> dict:
    """The list's filters (`land.selectors.site_list` keywords) as a job's JSON parameters."""
    return {k: v for k, v in filters.items() if v is not None}


def sites_csv_file(*, actor: Actor, params: dict, out: BinaryIO, progress) -> None:
    """The visible sites matching the list's filters (`params`), one CSV row each with their availability and
    readiness: the generator of the list's export, served at once or by a job (`tandem.core.files`, kind
    `land.sites_csv`). Audited when generated."""
    from tandem.core.spreadsheet import neutralise_row
    from tandem.land.selectors import site_list

    sites = site_list(actor, **params)
    progress(50, f"{len(sites)} sites à écrire")
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, delimiter=";")
    writer.writerow(
        [*SITE_COLUMNS, "disponible_immediatement_ha", "mobilisable_court_terme_ha", "maturite", "tdm_labels"]
    )
    for site in sites:
        writer.writerow(
            neutralise_row(
                [
                    *(("" if getattr(site, c) is None else getattr(site, c)) for c in SITE_COLUMNS),
                    round(site.available_ha, 2),
                    round(site.short_ha, 2),
                    site.readiness.score,
                    "|".join(site.tdm_labels or []),
                ]
            )
        )
    text.flush()
    text.detach()  # `out` stays open for the caller
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="land.site",
        details={"format": "csv", "count": len(sites)},
    )
