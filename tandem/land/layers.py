"""Reading a reference layer file (GeoJSON, GeoPackage, zipped Shapefile; Lambert-93 or WGS84) for
`tandem load_layer`, through the one route from a user file to GDAL (`tandem.imports.spatial`).

Every feature is checked before anything is written; each problem names the file, the feature and the field.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from tandem.core.geo import from_lambert93
from tandem.core.problems import Report, UserError
from tandem.imports import spatial
from tandem.imports.limits import ImportLimits
from tandem.imports.reader import file_sha256

FORMATS = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".shp": "shapefile",
}
NAME_FIELDS = ("nom", "name", "libelle", "toponyme", "nom_gare", "nom_poste", "label")
GEOMETRY = "géométrie"
CRS_LABELS = {4326: "WGS84 (EPSG:4326)", 2154: "Lambert-93 (EPSG:2154)"}
# Coordinates a file in each system may hold (metropolitan France and its surroundings for Lambert-93).
BOUNDS = {4326: (-180.0, -90.0, 180.0, 90.0), 2154: (-400_000.0, 5_900_000.0, 1_600_000.0, 7_400_000.0)}


@dataclass
class LayerFile:
    """A checked reference layer: one name and one WGS84 geometry per feature."""

    name: str
    sha256: str
    epsg: int
    names: list[str]
    geometries: np.ndarray  # shapely, WGS84

    @property
    def crs_label(self) -> str:
        return CRS_LABELS[self.epsg]


def read_layer_file(path: Path, limits: ImportLimits, name: str | None = None) -> LayerFile:
    """The features of a reference layer file, validated; UserError (French, naming file, feature and field)
    for anything that would not load whole."""
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise UserError(f"{name} : fichier introuvable.")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UserError(f"{name} : format non reconnu (attendu : .geojson, .gpkg ou Shapefile zippé .zip).")
    with tempfile.TemporaryDirectory(prefix="tandem-layer-") as workdir:
        source = spatial.prepare(path, name, fmt, Path(workdir), limits)
        layer = None
        if fmt == "gpkg":
            layers = [n for n, kind in spatial.list_layers(source, name) if kind is not None]
            if len(layers) != 1:
                found = ", ".join(layers) or "aucune"
                raise UserError(
                    f"{name} : une seule couche géographique attendue dans le GeoPackage (trouvées : {found})."
                )
            layer = layers[0]
        meta, wkb, field_data = spatial.read_layer(source, name, layer, limits)
    epsg = _epsg(meta.get("crs"), name, fmt)
    columns = list(meta["fields"])
    lowered = {c.lower(): i for i, c in enumerate(columns)}
    name_index = next((lowered[f] for f in NAME_FIELDS if f in lowered), None)
    n = 0 if wkb is None else len(wkb)
    if not n:
        raise UserError(f"{name} : la couche ne contient aucune entité.")
    geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    report = Report()
    west, south, east, north = BOUNDS[epsg]
    system = CRS_LABELS[epsg]
    for number, geom in enumerate(geometries, start=1):
        if geom is None or geom.is_empty:
            report.error(f"{name}, entité {number}", None, GEOMETRY, "géométrie manquante ou vide")
            continue
        x0, y0, x1, y1 = geom.bounds
        if not (
            np.isfinite([x0, y0, x1, y1]).all() and west <= x0 and x1 <= east and south <= y0 and y1 <= north
        ):
            report.error(
                f"{name}, entité {number}",
                None,
                GEOMETRY,
                f"coordonnées hors des bornes du système {system} "
                "(le système déclaré par le fichier est-il le bon ?)",
                f"{x0:.6g} {y0:.6g}",
            )
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            report.error(f"{name}, entité {number}", None, GEOMETRY, f"géométrie invalide ({reason})")
    names = [""] * n
    if name_index is not None:
        column = columns[name_index]
        for number, value in enumerate(field_data[name_index], start=1):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            if not isinstance(value, str):
                report.error(f"{name}, entité {number}", None, column, "un texte est attendu", value)
                continue
            names[number - 1] = value.strip()
    report.raise_if_errors(f"{name} : la couche n'a pas été chargée (aucune écriture).")
    if epsg == 2154:
        geometries = from_lambert93(geometries)
    return LayerFile(name=name, sha256=file_sha256(path), epsg=epsg, names=names, geometries=geometries)


def _epsg(crs: str | None, name: str, fmt: str) -> int:
    """4326 or 2154; a GeoJSON without a declared system is WGS84 (RFC 7946)."""
    if not crs:
        if fmt == "geojson":
            return 4326
        raise UserError(
            f"{name} : aucun système de coordonnées déclaré (fichier .prj absent ?) ; "
            "Lambert-93 (EPSG:2154) ou WGS84 (EPSG:4326) attendu."
        )
    try:
        parsed = CRS.from_user_input(crs)
        epsg = 4326 if parsed.to_authority() == ("OGC", "CRS84") else parsed.to_epsg()
    except Exception as exc:  # pyproj's own error types
        raise UserError(f"{name} : système de coordonnées illisible (« {str(crs)[:80]} »).") from exc
    if epsg not in CRS_LABELS:
        raise UserError(
            f"{name} : système de coordonnées « {str(crs)[:80]} » non accepté ; "
            "Lambert-93 (EPSG:2154) ou WGS84 (EPSG:4326) attendu."
        )
    return epsg
