"""Spatial files a user sends, handed to GDAL (through pyogrio) only once they are known to be what they claim.

GDAL opens far more than the formats Tandem reads: a VRT file (found in a zip, or renamed `.gpkg` / `.shp`)
points at any local file (`CSV:/etc/passwd`), at a database through SQL, or at a URL (`/vsicurl/…`), and the
values it reads came back to the user in import reports. So, in this order:

1. `harden_gdal()` (run before every read) leaves only the drivers Tandem reads registered in the process
   (ESRI Shapefile, GPKG, GeoJSON: no VRT, CSV, SQLite or network drivers), removes GDAL's network and
   archive file systems (`/vsicurl/`, `/vsis3/`, `/vsizip/`…) and sets GDAL's configuration so that external
   access stays off. Auto-detection can then only pick one of those three drivers.
2. No name a user controls reaches GDAL: files are copied (or extracted from a zip, safely, to a private
   temporary folder) under names Tandem builds, and names with a virtual-file or driver prefix are refused.
3. Each file is checked by its content before GDAL reads it: a GeoPackage by its SQLite header and its
   `gpkg_contents` table (no views, foreign triggers or virtual tables), a Shapefile by its header (9994),
   a GeoJSON by its first character; a zip holds only the files of a Shapefile.

Every refusal is a `UserError` with a French message naming the file; GDAL's own (English) messages are
never shown, since they may quote what GDAL read.
"""

from __future__ import annotations

import ctypes
import glob
import os
import re
import shutil
import sqlite3
import threading
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tandem.core.problems import UserError
from tandem.imports.limits import ImportLimits, size_text

# The drivers Tandem reads with GDAL; everything else is deregistered from the process.
ALLOWED_DRIVERS = ("ESRI Shapefile", "GPKG", "GeoJSON")
# GDAL virtual file systems that reach the network or read inside archives and other files.
REMOVED_FILE_SYSTEMS = (
    "/vsicurl/",
    "/vsicurl_streaming/",
    "/vsis3/",
    "/vsis3_streaming/",
    "/vsigs/",
    "/vsigs_streaming/",
    "/vsiaz/",
    "/vsiaz_streaming/",
    "/vsiadls/",
    "/vsioss/",
    "/vsioss_streaming/",
    "/vsiswift/",
    "/vsiswift_streaming/",
    "/vsiwebhdfs/",
    "/vsihdfs/",
    "/vsizip/",
    "/vsitar/",
    "/vsigzip/",
    "/vsi7z/",
    "/vsirar/",
    "/vsisubfile/",
    "/vsisparse/",
    "/vsicrypt/",
    "/vsistdin/",
)
GDAL_CONFIG = {
    "GDAL_SKIP": " ".join(
        ["OGR_VRT", "VRT", "CSV", "SQLite", "HTTP", "WFS", "OAPIF", "OGCAPI", "GDALG", "PGDUMP"]
    ),
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tandem-network-disabled",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# Side files that desktop GIS put beside a Shapefile: ignored (never extracted, never read).
SHAPEFILE_SIDE_FILES = (".shp.xml", ".sbn", ".sbx", ".qix", ".qmd", ".qml", ".fix", ".aih", ".ain", ".atx")
# A name with a GDAL prefix: a virtual file system (/vsi…/) or a driver (`CSV:`, `GPKG:`, `PG:`…).
VIRTUAL_NAME = re.compile(
    r"(^|[\\/])vsi[a-z0-9_]*[\\/?]|^[A-Za-z][A-Za-z0-9_ ]*:|<\s*OGRVRT|\.vrt$|\.ovf$", re.I
)
SAFE_STEM = re.compile(r"[^\w\-]+")
COPY_CHUNK = 1 << 20

_hardened = False
_lock = threading.Lock()


def harden_gdal() -> None:
    """Deregister every GDAL driver but ALLOWED_DRIVERS, remove the network and archive file systems and set
    GDAL's configuration, once per process. Raises RuntimeError when GDAL cannot be restricted (reading
    spatial files is then impossible rather than unsafe)."""
    global _hardened
    if _hardened:
        return
    with _lock:
        if _hardened:
            return
        import pyogrio

        for name, value in GDAL_CONFIG.items():
            os.environ[name] = value
        # A .prj or a GeoPackage CRS could name a PROJ grid to download.
        os.environ["PROJ_NETWORK"] = "OFF"
        pyogrio.set_gdal_config_options(GDAL_CONFIG)
        lib = _libgdal(pyogrio)
        drivers = [lib.GDALGetDriver(i) for i in range(lib.GDALGetDriverCount())]
        for driver in drivers:
            if lib.GDALGetDriverShortName(driver).decode() not in ALLOWED_DRIVERS:
                lib.GDALDeregisterDriver(driver)
        for prefix in REMOVED_FILE_SYSTEMS:
            lib.VSIRemovePluginHandler(prefix.encode())
        left = set(pyogrio.list_drivers())
        if not left <= set(ALLOWED_DRIVERS):
            raise RuntimeError(f"GDAL drivers still registered: {sorted(left - set(ALLOWED_DRIVERS))}")
        _hardened = True


def _libgdal(pyogrio):
    """The GDAL library pyogrio loaded (the wheel bundles it; a system build links the system one)."""
    folder = Path(pyogrio.__file__).parent
    candidates = glob.glob(str(folder.parent / "pyogrio.libs" / "libgdal*.so*")) or ["libgdal.so"]
    lib = ctypes.CDLL(candidates[0])
    lib.GDALGetDriverCount.restype = ctypes.c_int
    lib.GDALGetDriver.restype = ctypes.c_void_p
    lib.GDALGetDriver.argtypes = [ctypes.c_int]
    lib.GDALGetDriverShortName.restype = ctypes.c_char_p
    lib.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
    lib.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    lib.VSIRemovePluginHandler.argtypes = [ctypes.c_char_p]
    lib.VSIRemovePluginHandler.restype = ctypes.c_int
    return lib


def check_name(name: str, display: str | None = None) -> None:
    """Refuse a user-given name that GDAL would read as a virtual file, a driver prefix or a VRT."""
    if "\x00" in name or VIRTUAL_NAME.search(name.strip()):
        raise UserError(
            f"{display or name} : nom de fichier refusé (chemin virtuel, préfixe de pilote ou fichier VRT : "
            "seuls des fichiers CSV, GeoJSON, GeoPackage ou Shapefile zippé sont acceptés)"
        )


@dataclass
class SpatialSource:
    """A checked copy of a user file, in a private folder, that GDAL may open."""

    path: Path
    format: str  # "gpkg", "shapefile" or "geojson"


def prepare(path: Path, name: str, fmt: str, workdir: Path, limits: ImportLimits) -> SpatialSource:
    """Copy (or extract) the user file `path`, shown as `name`, into `workdir` under a name Tandem chose, and
    check its content for the format `fmt` ("gpkg", "shapefile" for a .shp or a .zip, "geojson")."""
    path = Path(path)
    check_name(str(path), name)
    check_name(name)
    suffix = path.suffix.lower()
    if fmt == "shapefile" and suffix == ".zip":
        shp = extract_shapefile_zip(path, name, workdir, limits)
    elif fmt == "shapefile":
        shp = _copy_shapefile(path, name, workdir, limits)
    elif fmt == "gpkg":
        target = workdir / "source.gpkg"
        _copy(path, target, name, limits)
        check_geopackage(target, name)
        return SpatialSource(target, fmt)
    elif fmt == "geojson":
        target = workdir / "source.geojson"
        _copy(path, target, name, limits)
        check_geojson(target, name)
        return SpatialSource(target, fmt)
    else:
        raise ValueError(fmt)
    check_shapefile(shp, name)
    return SpatialSource(shp, "shapefile")


def _copy(source: Path, target: Path, name: str, limits: ImportLimits) -> None:
    if source.is_symlink() or not source.is_file():
        raise UserError(f"{name} : ce n'est pas un fichier ordinaire")
    size = source.stat().st_size
    if size > limits.upload_bytes:
        raise UserError(
            f"{name} : fichier trop volumineux ({size_text(size)} ; limite : {size_text(limits.upload_bytes)})"
        )
    shutil.copyfile(source, target)


def _copy_shapefile(shp: Path, name: str, workdir: Path, limits: ImportLimits) -> Path:
    """A .shp given alone: its sibling files (.shx, .dbf, .prj, .cpg of the same name) come along."""
    stem = _safe_stem(shp.stem)
    for suffix in SHAPEFILE_PARTS:
        sibling = next(
            (p for p in shp.parent.glob(f"{glob.escape(shp.stem)}.*") if p.suffix.lower() == suffix), None
        )
        if sibling is not None:
            _copy(sibling, workdir / f"{stem}{suffix}", f"{name} ({sibling.name})", limits)
    _require_parts(workdir, stem, name)
    return workdir / f"{stem}.shp"


def _safe_stem(stem: str) -> str:
    """The layer name GDAL will report: the file's stem reduced to letters, digits, `_` and `-`."""
    return SAFE_STEM.sub("_", stem).strip("_")[:60] or "couche"


def extract_shapefile_zip(path: Path, name: str, workdir: Path, limits: ImportLimits) -> Path:
    """Extract the one Shapefile of a zip into `workdir`, refusing anything else, path tricks and archives
    that expand beyond the limit (declared sizes checked first, real sizes counted while extracting)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"{name} : archive zip illisible ou tronquée") from exc
    with archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
        if len(entries) > limits.zip_entries:
            raise UserError(
                f"{name} : l'archive contient {len(entries)} fichiers (limite : {limits.zip_entries})"
            )
        declared = sum(e.file_size for e in entries)
        if declared > limits.expanded_bytes:
            raise UserError(
                f"{name} : l'archive décompressée ferait {size_text(declared)} "
                f"(limite : {size_text(limits.expanded_bytes)})"
            )
        wanted: dict[str, zipfile.ZipInfo] = {}
        stems = set()
        for entry in entries:
            entry_name = entry.filename
            parts = PurePosixPath(entry_name.replace("\\", "/")).parts
            if entry_name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", entry_name):
                raise UserError(f"{name} : chemin interdit dans l'archive (« {entry_name[:120]} »)")
            if parts[0] == "__MACOSX" or parts[-1].startswith("._"):
                continue  # macOS resource forks
            base = parts[-1]
            lower = base.lower()
            if lower.endswith(SHAPEFILE_SIDE_FILES):
                continue
            suffix = PurePosixPath(lower).suffix
            if suffix not in SHAPEFILE_PARTS:
                raise UserError(
                    f"{name} : fichier « {base[:120]} » refusé dans l'archive (une archive ne doit contenir "
                    "qu'un Shapefile : .shp, .shx, .dbf, .prj, .cpg)"
                )
            check_name(base, f"{name} ({base[:120]})")
            stems.add(PurePosixPath(base).stem)
            if suffix in wanted:
                raise UserError(
                    f"{name} : l'archive contient plusieurs fichiers {suffix} (un seul Shapefile attendu)"
                )
            wanted[suffix] = entry
        if ".shp" not in wanted:
            raise UserError(f"{name} : aucun fichier .shp dans l'archive (un Shapefile zippé est attendu)")
        stem = _safe_stem(PurePosixPath(wanted[".shp"].filename.replace("\\", "/")).stem)
        total = 0
        for suffix, entry in wanted.items():
            target = workdir / f"{stem}{suffix}"
            written = 0
            try:
                with archive.open(entry) as source, open(target, "wb") as out:
                    while chunk := source.read(COPY_CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > entry.file_size or total > limits.expanded_bytes:
                            raise UserError(
                                f"{name} : l'archive se décompresse au-delà de sa taille déclarée ou de la "
                                f"limite ({size_text(limits.expanded_bytes)}) ; import arrêté"
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                # Python stops at the declared size and checks the CRC: an archive that lies ends here.
                raise UserError(
                    f"{name} : archive zip corrompue ou incohérente (tailles ou sommes de contrôle) ; import arrêté"
                ) from exc
    _require_parts(workdir, stem, name)
    return workdir / f"{stem}.shp"


def _require_parts(workdir: Path, stem: str, name: str) -> None:
    missing = [s for s in (".shp", ".shx", ".dbf") if not (workdir / f"{stem}{s}").exists()]
    if missing:
        raise UserError(
            f"{name} : Shapefile incomplet, il manque {', '.join(missing)} (un Shapefile comprend au moins "
            ".shp, .shx et .dbf)"
        )


def check_shapefile(shp: Path, name: str) -> None:
    """A Shapefile's main file starts with the file code 9994 (big-endian) and has version 1000."""
    with open(shp, "rb") as handle:
        header = handle.read(100)
    if (
        len(header) < 100
        or int.from_bytes(header[0:4], "big") != 9994
        or int.from_bytes(header[28:32], "little") != 1000
    ):
        raise UserError(f"{name} : le fichier .shp n'est pas un Shapefile (en-tête invalide)")
    with open(shp.with_suffix(".dbf"), "rb") as handle:
        dbf = handle.read(32)
    if len(dbf) < 32 or dbf[0] not in (
        0x02,
        0x03,
        0x04,
        0x05,
        0x30,
        0x31,
        0x43,
        0x63,
        0x83,
        0x8B,
        0xCB,
        0xF5,
    ):
        raise UserError(f"{name} : le fichier .dbf n'est pas une table dBase (en-tête invalide)")


SQLITE_HEADER = b"SQLite format 3\x00"
# Triggers the GeoPackage standard and GDAL create: spatial index upkeep, metadata checks, feature counts.
STANDARD_TRIGGER = re.compile(
    r"^(rtree_.+_(insert\d?|update\d*|delete)|gpkg_.+|trigger_(insert|delete)_feature_count_.+|"
    r"fts_.+_(insert|update|delete))$",
    re.I,
)


def check_geopackage(path: Path, name: str) -> None:
    """A GeoPackage is an SQLite database with a `gpkg_contents` table listing real tables; views, virtual
    tables other than the spatial index (R*Tree) and triggers other than the standard's are refused."""
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_HEADER:
            raise UserError(f"{name} : ce n'est pas un GeoPackage (en-tête SQLite absent)")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise UserError(f"{name} : GeoPackage illisible") from exc
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
        schema = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        objects = {row[1]: row for row in schema}
        for kind, object_name, _table, sql in schema:
            sql = sql or ""
            if kind == "view":
                raise UserError(f"{name} : le GeoPackage contient une vue (« {object_name[:80]} »), refusée")
            if kind == "trigger" and not STANDARD_TRIGGER.match(object_name):
                raise UserError(
                    f"{name} : le GeoPackage contient un déclencheur non standard (« {object_name[:80]} »), refusé"
                )
            if kind == "table" and re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE", sql, re.I):
                if not (object_name.startswith("rtree_") and re.search(r"\bUSING\s+rtree\s*\(", sql, re.I)):
                    raise UserError(
                        f"{name} : le GeoPackage contient une table virtuelle (« {object_name[:80]} »), refusée"
                    )
        if "gpkg_contents" not in objects:
            raise UserError(f"{name} : ce n'est pas un GeoPackage (table gpkg_contents absente)")
        for (table,) in connection.execute("SELECT table_name FROM gpkg_contents"):
            if objects.get(table, ("",))[0] != "table":
                raise UserError(
                    f"{name} : gpkg_contents désigne « {str(table)[:80]} », qui n'est pas une table du fichier"
                )
    except sqlite3.Error as exc:
        raise UserError(f"{name} : GeoPackage illisible ou corrompu") from exc
    finally:
        connection.close()


def check_geojson(path: Path, name: str) -> None:
    with open(path, "rb") as handle:
        start = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"{"):
        raise UserError(f"{name} : ce n'est pas un fichier GeoJSON (un objet JSON est attendu)")


def list_layers(source: SpatialSource, name: str) -> list[tuple[str, str | None]]:
    import pyogrio

    harden_gdal()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return [(str(layer), kind) for layer, kind in pyogrio.list_layers(str(source.path))]
    except Exception as exc:  # GDAL raises its own error types; its messages may quote the file
        raise UserError(f"{name} : fichier géographique illisible ou tronqué") from exc


def read_layer(source: SpatialSource, name: str, layer: str | None, limits: ImportLimits):
    """(meta, wkb, field_data) of one layer, its feature count checked against the row limit first."""
    import pyogrio

    harden_gdal()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            info = pyogrio.read_info(str(source.path), layer=layer)
            if info.get("features", 0) > limits.rows:
                raise UserError(
                    f"{name} : {info['features']} entités dans la couche {layer or ''} "
                    f"(limite : {limits.rows} lignes par table)".replace("  ", " ")
                )
            meta, _fids, wkb, field_data = pyogrio.raw.read(str(source.path), layer=layer)
    except UserError:
        raise
    except Exception as exc:  # GDAL raises its own error types; its messages may quote the file
        raise UserError(f"{name} : fichier géographique illisible ou tronqué") from exc
    for column, values in zip(meta["fields"], field_data, strict=True):
        if values.dtype != object:
            continue
        lengths = [len(v) if isinstance(v, str) else 0 for v in values]
        if lengths and max(lengths) > limits.field_chars:
            number = next(i for i, n in enumerate(lengths, start=1) if n > limits.field_chars)
            raise UserError(
                f"{name}, entité {number}, champ « {column} » : {lengths[number - 1]} caractères "
                f"(limite : {limits.field_chars})"
            )
    return meta, wkb, field_data
