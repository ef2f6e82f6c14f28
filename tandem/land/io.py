"""Reading and writing CNIG files: CSV (`;` or `,`, UTF-8 or Latin-1), GeoJSON, GeoPackage in the CNIG
template layout and zipped Shapefile. Pure: no Django.

Every table is read as text (a pandas DataFrame of strings, "" when empty), whatever the format, so one
validation engine handles them all; spatial formats also give their geometries (shapely) and CRS.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from tandem.core.problems import Problem, UserError
from tandem.imports import spatial
from tandem.imports.limits import ImportLimits, import_limits, size_text
from tandem.imports.reader import decode, file_sha256, read_table
from tandem.imports.spatial import check_name

# GeoPackage layer names of the CNIG template, and the standard's table names.
LAYER_TABLES = {"pole_eco": "pole-eco", "site_eco": "site-eco", "terrain_eco": "terrain-eco"}
LAYER_TABLES["etablissement"] = "etablissement"
TABLE_LAYERS = {table: layer for layer, table in LAYER_TABLES.items()}
# The standard column holding each table's geometry.
GEOMETRY_COLUMN = {
    "pole-eco": "pole_geompoint",
    "site-eco": "site_geomsurf",
    "terrain-eco": "terr_geomsurf",
    "etablissement": "etab_geompoint",
    "friches": "geomsurf",
}


@dataclass
class RawTable:
    """One table as read from a file: text columns, line numbers, and geometries for spatial formats."""

    source: str  # file name, with the layer for multi-layer files
    frame: pd.DataFrame  # every cell a str, "" when empty
    lines: np.ndarray  # line (CSV) or feature number of each row, as shown to the user
    format: str  # csv, geojson, gpkg, shapefile
    table: str | None = None  # standard table, guessed from the layer name or the columns
    geometries: np.ndarray | None = None  # shapely geometries of spatial formats
    crs: str | None = None  # e.g. "EPSG:2154" for spatial formats
    encoding: str = ""
    delimiter: str = ""
    sha256: str = ""
    size: int = 0  # bytes of the file
    problems: list[Problem] = field(default_factory=list)  # structural problems (bad field counts)


def read_files(
    paths: list[Path],
    *,
    display_names: dict[Path, str] | None = None,
    limits: ImportLimits | None = None,
) -> list[RawTable]:
    """Read every table of every file. Raises UserError (French message naming the file) for a file that is
    unreadable, too large, or not what its name says (see tandem.imports.spatial for spatial files)."""
    limits = limits or import_limits()
    tables: list[RawTable] = []
    for path in paths:
        path = Path(path)
        name = (display_names or {}).get(path, path.name)
        check_name(str(path), name)
        check_name(name)
        size = path.stat().st_size
        if size > limits.upload_bytes:
            raise UserError(
                f"{name} : fichier trop volumineux ({size_text(size)} ; limite : {size_text(limits.upload_bytes)})"
            )
        digest = file_sha256(path)
        suffix = path.suffix.lower()
        if suffix in (".csv", ".txt"):
            read = [read_csv(path, name, limits)]
        elif suffix in (".geojson", ".json"):
            read = [read_geojson(path, name, limits)]
        elif suffix == ".gpkg":
            read = read_ogr(path, name, "gpkg", limits)
        elif suffix in (".zip", ".shp"):
            read = read_ogr(path, name, "shapefile", limits)
        else:
            raise UserError(
                f"{name} : format non reconnu (attendu : .csv, .geojson, .gpkg, ou .zip contenant un Shapefile)"
            )
        for table in read:
            table.sha256, table.size = digest, size
        tables.extend(read)
    return tables


def read_csv(path: Path, name: str, limits: ImportLimits | None = None) -> RawTable:
    """A CNIG CSV through the shared reader (encoding, delimiter, physical line numbers, French refusals);
    rows whose field count differs from the header's are reported and kept out."""
    table = read_table(path, name, limits=limits or import_limits(), multiline=True)
    return RawTable(
        source=name,
        frame=text_frame(table.rows, table.header),
        lines=np.asarray(table.lines, dtype=int),
        format="csv",
        encoding=table.encoding,
        delimiter=table.delimiter,
        problems=table.problems,
    )


def text_frame(rows: list[list[str]], header: list[str]) -> pd.DataFrame:
    """A frame of text columns from rows of equal length, built column by column from one 2-D array (twice
    as fast as pandas' row-wise construction on a national file)."""
    if not rows or len(set(header)) < len(header):  # several unnamed columns: pandas keeps them all
        return pd.DataFrame(rows, columns=header, dtype=str)
    cells = np.empty((len(rows), len(header)), dtype=object)
    cells[:] = rows
    return pd.DataFrame(
        {column: pd.Series(cells[:, i], dtype=str) for i, column in enumerate(header)}, columns=header
    )


def read_geojson(path: Path, name: str, limits: ImportLimits | None = None) -> RawTable:
    text, encoding = decode(Path(path).read_bytes(), name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{name} : GeoJSON illisible ({exc.msg}, ligne {exc.lineno})") from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise UserError(f"{name} : ce GeoJSON n'est pas une FeatureCollection")
    if len(features) > (limits or import_limits()).rows:
        raise UserError(f"{name} : plus de {(limits or import_limits()).rows} entités (limite d'un import)")
    crs = "EPSG:4326"
    crs_name = str(((data.get("crs") or {}).get("properties") or {}).get("name", ""))
    if crs_name.endswith("2154"):
        crs = "EPSG:2154"
    records = [{k: _to_text(v) for k, v in (f.get("properties") or {}).items()} for f in features]
    frame = pd.DataFrame.from_records(records).fillna("") if records else pd.DataFrame()
    geometries = np.array(
        [
            shapely.from_geojson(json.dumps(f["geometry"]), on_invalid="ignore")
            if f.get("geometry")
            else None
            for f in features
        ],
        dtype=object,
    )
    return RawTable(
        source=name,
        frame=frame,
        lines=np.arange(1, len(frame) + 1),
        format="geojson",
        geometries=geometries,
        crs=crs,
        encoding=encoding,
    )


def read_ogr(path: Path, name: str, fmt: str, limits: ImportLimits | None = None) -> list[RawTable]:
    """The layers of a GeoPackage or a Shapefile (alone or zipped), read by GDAL from a checked private copy."""
    limits = limits or import_limits()
    with tempfile.TemporaryDirectory(prefix="tandem-spatial-") as workdir:
        source = spatial.prepare(Path(path), name, fmt, Path(workdir), limits)
        layers = spatial.list_layers(source, name)
        tables = []
        for layer, geometry_type in layers:
            if geometry_type is None and layer == "layer_styles":
                continue  # QGIS forms and styles shipped with the CNIG template
            meta, wkb, field_data = spatial.read_layer(source, name, layer, limits)
            columns = {
                column: [_to_text(v) for v in values]
                for column, values in zip(meta["fields"], field_data, strict=True)
            }
            frame = pd.DataFrame(columns, dtype=str)
            geometries = shapely.from_wkb(wkb) if wkb is not None else None
            tables.append(
                RawTable(
                    source=f"{name} (couche {layer})" if len(layers) > 1 else name,
                    frame=frame,
                    lines=np.arange(1, len(frame) + 1),
                    format=fmt,
                    table=LAYER_TABLES.get(layer),
                    geometries=geometries,
                    crs=meta.get("crs"),
                    encoding=meta.get("encoding") or "",
                )
            )
    return tables


def _to_text(value) -> str:
    """Spatial formats give typed values: write them the way the CSV layout does."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else format_number(value)
    if isinstance(value, (np.floating,)):
        return "" if np.isnan(value) else format_number(float(value))
    if isinstance(value, (bool, np.bool_)):
        return "oui" if value else "non"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value)[:10]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_number(value: float) -> str:
    """The canonical text of a number: integers without decimals, others in their shortest exact form."""
    if value == math.floor(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


# --- writing ------------------------------------------------------------------------------------------------


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """CNIG CSV layout: UTF-8, `,`-separated, quoted where needed (geometries)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_geojson(path: Path, columns: list[str], rows: list[dict], geometries: list[dict | None]) -> None:
    features = [
        {"type": "Feature", "geometry": geometry, "properties": {c: row.get(c, "") for c in columns}}
        for row, geometry in zip(rows, geometries, strict=True)
    ]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"type": "FeatureCollection", "features": features}, handle, ensure_ascii=False)


def write_gpkg(
    path: Path, layer: str, columns: list[str], rows: list[dict], geometries, geometry_type: str, crs: str
) -> None:
    """One layer of a GeoPackage (text attributes, geometry in `crs`)."""
    import pyogrio

    wkb = shapely.to_wkb(np.asarray(geometries, dtype=object)) if len(rows) else np.array([], dtype=object)
    field_data = [np.array([row.get(c, "") for row in rows], dtype=object) for c in columns]
    pyogrio.raw.write(
        str(path),
        wkb,
        field_data,
        columns,
        layer=layer,
        driver="GPKG",
        geometry_type=geometry_type,
        crs=crs,
        append=Path(path).exists(),
    )
