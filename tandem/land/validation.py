"""Validation of CNIG tables against the strict schemas, column by column (vectorised). Pure: no Django.

Input: `RawTable`s of text. Output: for each table, the canonical text of every standard column (the one form
that import, diff and export share: numbers without useless decimals, ISO dates, `oui`/`non`), WGS84
geometries, and every problem in French naming file, line, column, value and rule. Harmless variants
(typographic apostrophes, letter case, surrounding spaces, decimal commas, dd/mm/yyyy dates) are normalised
with a warning; everything else that breaks the schema is an error and marks its row invalid.

The commune and EPCI referential comes in through a small `Referential` protocol so this module stays pure.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import shapely

from tandem.core.errors import Problem
from tandem.land.io import GEOMETRY_COLUMN, RawTable, format_number
from tandem.land.models.extensions import EXTENSIONS
from tandem.land.standard import FRICHES, FRICHES_PREVIOUS, SITES_ECONOMIQUES, TABLES

EXTENSION_TABLES = ("site-eco", "terrain-eco")
EXTENSION_SPECS = {name: (kind, unit, label, enum) for name, kind, unit, label, enum in EXTENSIONS}
APOSTROPHES = "[\u2019\u2018\u02bc\u00b4`]"
PRIMARY_KEY = {t: TABLES[t]["primary_key"] for t in (*SITES_ECONOMIQUES, FRICHES)}
# (child table, child column, parent table): the links pole → site → terrain → établissement.
FOREIGN_KEYS = [
    ("site-eco", "pole_id", "pole-eco"),
    ("terrain-eco", "site_id", "site-eco"),
    ("etablissement", "terr_id", "terrain-eco"),
]
MAX_LISTED_VALUES = 14


class CommuneInfo(Protocol):
    name: str
    epci_siren: str | None
    is_current: bool


class Referential(Protocol):
    """What validation needs to know about the territory and the data already stored."""

    communes: dict[str, CommuneInfo]
    epcis: dict[str, str]  # SIREN -> name

    def outside_communes(self, codes: np.ndarray, points: np.ndarray) -> dict[int, tuple[str, str]]:
        """Rows whose point lies outside their declared commune -> (found commune code, name) or ("", "")."""

    def existing_ids(self, table: str) -> set[str]:
        """Identifiers already stored for the import's scope (links may point to them)."""


@dataclass
class ValidatedTable:
    table: str
    source: str
    format: str
    values: pd.DataFrame  # canonical text of the standard (and tdm_*) columns present or filled
    lines: np.ndarray
    geometries: np.ndarray  # WGS84 shapely geometries (None where missing)
    points: np.ndarray | None = None  # friches geompoint / site_geompoint (WGS84 shapely points)
    invalid: np.ndarray | None = None  # bool per row
    row_problems: dict[int, list[Problem]] = field(default_factory=dict)
    raw: pd.DataFrame | None = None  # the row as read (for the rejects file)
    late_problems: list[Problem] = field(default_factory=list)  # found after validation (owners, rights)
    version: str = ""

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Validation:
    tables: dict[str, ValidatedTable]
    problems: list[Problem]
    kind: str  # "sites_economiques" or "friches"
    migration: list[str] = field(default_factory=list)  # what a v1.0.3 -> v1.0.6 migration had to fill
    unreadable: list[Problem] = field(default_factory=list)  # rows that could not be read (field counts)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


def standard_columns(table: str) -> list[dict]:
    """The columns of `table`: the standard's, then Tandem's `tdm_*` extensions where they apply."""
    columns = list(TABLES[table]["columns"])
    if table in EXTENSION_TABLES:
        columns += [{"name": name, "type": f"tdm:{kind}"} for name, kind, *_ in EXTENSIONS]
    return columns


def guess_table(raw: RawTable) -> str | None:
    if raw.table:
        return raw.table
    names = {c.strip().lower() for c in raw.frame.columns}
    if "siret" in names:
        return "etablissement"
    if "terr_id" in names and names & {"terr_stade_comm", "terr_surf_brute", "site_id"}:
        return "terrain-eco"
    if "pole_id" in names and "pole_nom" in names:
        return "pole-eco"
    site_eco_marks = {"site_vocadomi", "site_etat", "site_epci_siren", "site_surf_brute", "site_geomsurf"}
    friches_marks = {
        "comm_insee",
        "geompoint",
        "site_statut",
        "urba_zaer",
        "sol_pollution_existe",
        "bati_type",
    }
    if "site_id" in names:
        eco, fri = len(names & site_eco_marks), len(names & friches_marks)
        if eco or fri:
            return "site-eco" if eco > fri else FRICHES
    stem = raw.source.lower().replace("_", "-")
    for table in ("pole-eco", "site-eco", "terrain-eco", "etablissement", "friche"):
        if table in stem:
            return FRICHES if table == "friche" else table
    return None


def validate(
    raws: list[RawTable],
    *,
    referential: Referential,
    sets: dict[str, str] | None = None,
    epci_siren: str | None = None,
    renames: dict[str, str] | None = None,
    web: bool = False,
) -> Validation:
    """Validate every row of every table, then the links between tables and with the referential.

    `renames` reads a file's column as a standard one (`--rename OLD=NEW`, the mapping step of the web form);
    `web` words the hints for the import page instead of the command line."""
    problems: list[Problem] = []
    unreadable: list[Problem] = []
    tables: dict[str, ValidatedTable] = {}
    migration: list[str] = []
    sets = dict(sets or {})
    used_sets: set[str] = set()
    renames = dict(renames or {})
    used_renames: set[str] = set()
    for raw in raws:
        problems.extend(raw.problems)
        unreadable.extend(raw.problems)
        table = guess_table(raw)
        if table is None:
            problems.append(
                Problem(
                    raw.source,
                    None,
                    None,
                    "table non reconnue : ni POLE-ECO, SITE-ECO, TERRAIN-ECO, ETABLISSEMENT ni Friches "
                    "(nommez le fichier d'après sa table ou vérifiez ses colonnes)",
                )
            )
            continue
        if table in tables:
            problems.append(Problem(raw.source, None, None, f"la table {table} est fournie deux fois"))
            continue
        checker = _TableChecker(
            raw, table, sets, used_sets, referential, renames=renames, used_renames=used_renames, web=web
        )
        validated = checker.run()
        migration.extend(checker.migration)
        problems.extend(checker.problems)
        tables[table] = validated
    unknown_sets = set(sets) - used_sets
    for name in sorted(unknown_sets):
        problems.append(
            Problem(
                "--set", None, name, "colonne inconnue des tables importées : valeur non utilisée", sets[name]
            )
        )
    for old in sorted(set(renames) - used_renames):
        problems.append(
            Problem(
                "--rename",
                None,
                old,
                "association de colonnes non utilisée : le fichier n'a pas cette colonne, ou la colonne "
                "visée n'est pas une colonne du standard",
                renames[old],
            )
        )
    kinds = {FRICHES if t == FRICHES else "sites" for t in tables}
    if len(kinds) > 1:
        problems.append(
            Problem(
                ", ".join(t.source for t in tables.values()),
                None,
                None,
                "un import contient soit les tables Sites économiques, soit un fichier Friches, pas les deux",
            )
        )
    kind = "friches" if FRICHES in tables else "sites_economiques"
    if kind == "sites_economiques":
        problems.extend(_check_links(tables, referential))
        problems.extend(_check_sites_territory(tables, referential, epci_siren))
    else:
        problems.extend(_check_friches_territory(tables, referential))
    problems.extend(_check_points_in_communes(tables, referential))
    return Validation(tables=tables, problems=problems, kind=kind, migration=migration, unreadable=unreadable)


# A value starting or ending with a space, as seen in a column joined with NUL separators (one pass).
_EDGE_MARKS = re.compile("\x00[ \t\xa0\r\n]|[ \t\xa0\r\n]\x00")


def _key(series: pd.Series) -> pd.Series:
    """The comparison key of harmless variants: apostrophes, case, spaces."""
    return (
        series.str.replace(APOSTROPHES, "'", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
        .str.casefold()
    )


class _TableChecker:
    def __init__(
        self,
        raw: RawTable,
        table: str,
        sets,
        used_sets,
        referential,
        *,
        renames=None,
        used_renames=None,
        web=False,
    ):
        self.raw, self.table, self.sets, self.used_sets = raw, table, sets, used_sets
        self.renames = renames or {}
        self.used_renames = used_renames if used_renames is not None else set()
        self.web = web
        self.referential = referential
        self.problems: list[Problem] = []
        self.migration: list[str] = []
        self.n = len(raw.frame)
        self.invalid = np.zeros(self.n, dtype=bool)
        self.row_problems: dict[int, list[Problem]] = {}
        self.version = ""

    # -- problems ----------------------------------------------------------------------------------------
    def table_error(self, column, message, value=None, level="error"):
        self.problems.append(Problem(self.raw.source, None, column, message, value, level=level))

    def cell(self, rows, column, message, values=None, level="error"):
        """One problem per row in `rows` (positions); `values` aligned with `rows` or None."""
        lines = self.raw.lines
        for k, i in enumerate(
            np.flatnonzero(rows) if isinstance(rows, np.ndarray) and rows.dtype == bool else rows
        ):
            value = None if values is None else values[k]
            problem = Problem(self.raw.source, int(lines[i]), column, message, value, level=level)
            self.problems.append(problem)
            if level == "error":
                self.invalid[i] = True
                self.row_problems.setdefault(int(i), []).append(problem)

    # -- run -----------------------------------------------------------------------------------------------
    def run(self) -> ValidatedTable:
        frame = self.map_columns()
        specs = {c["name"]: c for c in standard_columns(self.table)}
        if self.table == FRICHES and self.version == "1.0.3":
            frame = self.migrate_friches(frame)
        frame = self.apply_sets(frame, specs)
        self.check_missing_columns(frame, specs)
        out = pd.DataFrame(index=frame.index)
        geometry_column = GEOMETRY_COLUMN[self.table]
        for name, spec in specs.items():
            if name not in frame.columns:
                continue
            series = frame[name].astype(str)
            series = self.strip(series, name)
            if name in (geometry_column, "geompoint", "site_geompoint", "pole_geompoint", "etab_geompoint"):
                out[name] = series  # parsed below with the geometries
                self.check_required(series, spec)
                continue
            out[name] = self.check_column(series, spec)
        geometries, points = self.geometries(out, frame)
        self.check_primary_key(out)
        return ValidatedTable(
            table=self.table,
            source=self.raw.source,
            format=self.raw.format,
            values=out.reset_index(drop=True),
            lines=self.raw.lines,
            geometries=geometries,
            points=points,
            invalid=self.invalid,
            row_problems=self.row_problems,
            raw=self.raw.frame,
            version=self.version,
        )

    def map_columns(self) -> pd.DataFrame:
        """Standard names kept; case or separator variants renamed (with a warning in CSV, silently for the
        GeoPackage template which spells `siret`, `ban_id`); unknown columns reported and kept out."""
        specs = standard_columns(self.table)
        names = [c["name"] for c in specs]
        by_key = {n.lower().replace("-", "_"): n for n in names}
        if self.table == FRICHES:
            self.version = self.friches_version()
            if self.version == "1.0.3":
                by_key.update({c["name"]: c["name"] for c in TABLES[FRICHES_PREVIOUS]["columns"]})
        renames, keep, seen = {}, [], {}
        truncated = self.raw.format == "shapefile"
        for column in self.raw.frame.columns:
            target = None
            if self.renames.get(column) in names:
                target = self.renames[column]
                self.used_renames.add(column)
                self.table_error(
                    column, f"colonne lue comme « {target} » (association demandée)", level="warning"
                )
            elif column in names or (self.version == "1.0.3" and column in by_key):
                target = column
            else:
                key = column.strip().lower().replace("-", "_")
                target = by_key.get(key)
                if target is None and truncated and len(column) == 10:
                    candidates = [n for n in names if n.lower().startswith(key)]
                    target = candidates[0] if len(candidates) == 1 else None
                if target is not None and self.raw.format == "csv":
                    self.table_error(
                        column,
                        f"nom de colonne lu comme « {target} » (variante de casse ou de séparateur)",
                        level="warning",
                    )
            if target is None:
                suggestion = difflib.get_close_matches(column.strip().lower(), names, n=1, cutoff=0.6)
                hint = ""
                if suggestion:
                    how = (
                        "associez-la dans « Associer des colonnes »"
                        if self.web
                        else f"--rename « {column}={suggestion[0]} »"
                    )
                    hint = f" ; vouliez-vous dire « {suggestion[0]} » ? ({how})"
                self.table_error(
                    column, f"colonne inconnue du standard {self.table}, ignorée{hint}", level="warning"
                )
                continue
            if target in seen:
                self.table_error(
                    column, f"colonne en double avec « {seen[target]} » (toutes deux lues comme « {target} »)"
                )
                self.invalid[:] = True
                continue
            seen[target] = column
            renames[column] = target
            keep.append(column)
        return self.raw.frame[keep].rename(columns=renames)

    def friches_version(self) -> str:
        """A file with the complete v1.0.3 header (and none of the three columns added since) is a 1.0.3 file."""
        present = set(self.raw.frame.columns)
        previous = {c["name"] for c in TABLES[FRICHES_PREVIOUS]["columns"]}
        added = {"site_reconv_annee", "site_reconv_type", "urba_zaer"}
        return "1.0.3" if previous <= present and not (added & present) else "1.0.6"

    def migrate_friches(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Friches v1.0.3 -> v1.0.6: `urba_zaer` (now mandatory) filled with « inconnu » unless --set gives it;
        `site_type` « mixte » split in 1.0.6 into « mixte - dominante habitat » / « mixte - autre »: the rows
        are reported for the producer to choose (left as errors, never guessed)."""
        frame = frame.copy()
        if "urba_zaer" not in self.sets:
            frame["urba_zaer"] = "inconnu"
            self.migration.append(
                f"{self.raw.source} : version 1.0.3 migrée en 1.0.6 ; « urba_zaer » (obligatoire depuis 1.0.6) "
                f"rempli avec « inconnu » pour {len(frame)} ligne(s)"
            )
        for name in ("site_reconv_annee", "site_reconv_type"):
            frame[name] = ""
        mixte = (frame.get("site_type", pd.Series([], dtype=str)).str.strip() == "mixte").to_numpy()
        if mixte.any():
            self.migration.append(
                f"{self.raw.source} : {int(mixte.sum())} ligne(s) de type « mixte », valeur scindée en 1.0.6 : "
                "à préciser (« mixte - dominante habitat » ou « mixte - autre »)"
            )
        return frame

    def apply_sets(self, frame: pd.DataFrame, specs: dict) -> pd.DataFrame:
        for name, value in self.sets.items():
            if name not in specs:
                continue
            self.used_sets.add(name)
            if name in frame.columns:
                empty = frame[name].astype(str).str.strip() == ""
                frame = frame.copy()
                frame.loc[empty, name] = value
                filled = int(empty.sum())
            else:
                frame = frame.assign(**{name: value})
                filled = len(frame)
            self.table_error(
                name,
                f"--set : {filled} cellule(s) vide(s) remplie(s) avec « {value} »",
                value,
                level="warning",
            )
        return frame

    def check_missing_columns(self, frame: pd.DataFrame, specs: dict) -> None:
        missing = [n for n, s in specs.items() if s.get("required") and n not in frame.columns]
        if (
            self.table in ("pole-eco", "site-eco", "terrain-eco", "etablissement")
            and self.raw.format != "csv"
        ):
            missing = [n for n in missing if n != GEOMETRY_COLUMN[self.table]]
        if self.table == FRICHES and self.raw.format != "csv":
            missing = [n for n in missing if n != "geompoint"]
        for name in missing:
            how = (
                f"dans « Compléter des colonnes » par une ligne {name}=VALEUR"
                if self.web
                else f"avec --set {name}=VALEUR"
            )
            enum = specs[name].get("enum")
            allowed = f" ; valeurs admises : {', '.join(enum)}" if enum else ""
            self.table_error(
                name,
                "colonne obligatoire absente du fichier (ajoutez-la, ou donnez une valeur pour tout le fichier "
                f"{how}){allowed}",
            )
        if missing:
            self.invalid[:] = True
            for i in range(self.n):
                self.row_problems.setdefault(i, []).append(
                    Problem(
                        self.raw.source,
                        int(self.raw.lines[i]),
                        None,
                        "colonne(s) obligatoire(s) absente(s) : " + ", ".join(missing),
                    )
                )

    def strip(self, series: pd.Series, name: str) -> pd.Series:
        # One regular expression over the whole column joined is much faster than stripping every cell.
        joined = "\x00".join(series.tolist())
        if (
            not _EDGE_MARKS.search(joined)
            and not joined[:1].isspace()
            and not joined[-1:].isspace()
        ):
            return series
        stripped = series.str.strip()
        changed = (stripped != series).to_numpy()
        if changed.any():
            self.cell(
                changed,
                name,
                "espaces en début ou fin de valeur supprimés",
                series[changed].tolist(),
                level="warning",
            )
        return stripped

    def check_required(self, series: pd.Series, spec: dict) -> np.ndarray:
        empty = (series == "").to_numpy()
        if spec.get("required") and empty.any():
            self.cell(empty, spec["name"], "valeur obligatoire manquante")
        return empty

    def check_column(self, series: pd.Series, spec: dict) -> pd.Series:
        name, kind = spec["name"], spec["type"]
        if not spec.get("required") and not any(series.tolist()):
            return series  # an empty optional column: nothing to check
        empty = self.check_required(series, spec)
        present = ~empty
        if not present.any():
            return series
        if kind.startswith("tdm:"):
            return self.check_extension(series, name, kind[4:], present)
        enum = spec.get("enum")
        if enum:
            series = self.check_enum(series, name, enum, present)
        elif kind == "number" or kind == "integer":
            series = self.check_number(series, name, present, integer=kind == "integer")
        elif kind == "date" and spec.get("format") == "%Y":
            bad = present & ~series.str.fullmatch(r"\d{4}").to_numpy()
            if bad.any():
                self.cell(bad, name, "année attendue (AAAA)", series[bad].tolist())
        elif kind == "date":
            series = self.check_date(series, name, present)
        if "minimum" in spec or "maximum" in spec:
            numbers = pd.to_numeric(series.where(present, None), errors="coerce").to_numpy(dtype=float)
            low, high = spec.get("minimum", -np.inf), spec.get("maximum", np.inf)
            bad = present & np.isfinite(numbers) & ((numbers < low) | (numbers > high))
            if bad.any():
                self.cell(
                    bad, name, f"valeur hors des bornes du standard [{low} ; {high}]", series[bad].tolist()
                )
        if "minLength" in spec or "maxLength" in spec:
            lengths = series.str.len().to_numpy()
            bad = present & ((lengths < spec.get("minLength", 0)) | (lengths > spec.get("maxLength", np.inf)))
            if bad.any():
                self.cell(bad, name, "longueur hors des bornes du standard", series[bad].tolist())
        if spec.get("unique"):
            duplicated = present & series.duplicated(keep="first").to_numpy()
            if duplicated.any():
                self.cell(
                    duplicated,
                    name,
                    "valeur en double (unicité exigée par le standard)",
                    series[duplicated].tolist(),
                )
        if spec.get("pattern"):
            matches = series.str.fullmatch(spec["pattern"]).fillna(False).to_numpy(dtype=bool)
            bad = present & ~matches
            if bad.any():
                self.cell(
                    bad, name, f"ne respecte pas le motif du standard {spec['pattern']}", series[bad].tolist()
                )
        if spec.get("format") == "email":
            bad = present & ~series.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").to_numpy(dtype=bool)
            if bad.any():
                self.cell(bad, name, "adresse électronique invalide", series[bad].tolist())
        if spec.get("format") == "uri":
            bad = present & ~series.str.match(r"[A-Za-z][A-Za-z0-9+.\-]*:").to_numpy(dtype=bool)
            if bad.any():
                self.cell(bad, name, "URI invalide", series[bad].tolist())
        return series

    def check_enum(self, series: pd.Series, name: str, enum: list[str], present: np.ndarray) -> pd.Series:
        ok = series.isin(enum).to_numpy() | ~present
        if ok.all():
            return series
        keys = dict(zip(_key(pd.Series(enum, dtype=str)), enum, strict=True))
        candidates = series[~ok]
        normalised = _key(candidates).map(keys)
        fixable = normalised.notna().to_numpy()
        if fixable.any():
            originals, targets = candidates[fixable], normalised[fixable]
            straight = originals.str.replace(APOSTROPHES, "'", regex=True)
            apostrophe = (straight == targets.str.replace(APOSTROPHES, "'", regex=True)).to_numpy()
            reasons = np.where(apostrophe, "apostrophe typographique", "variante de casse ou d'espaces")
            rows = np.flatnonzero(~ok)[fixable]
            for reason in ("apostrophe typographique", "variante de casse ou d'espaces"):
                pick = reasons == reason
                if pick.any():
                    self.cell(
                        rows[pick],
                        name,
                        f"valeur normalisée ({reason}) vers la valeur du standard",
                        [f"{a} → {b}" for a, b in zip(originals[pick], targets[pick], strict=True)],
                        level="warning",
                    )
            series = series.copy()
            series.iloc[rows] = targets.to_numpy()
        bad_rows = np.flatnonzero(~ok)[~fixable]
        if len(bad_rows):
            listed = ", ".join(f"« {v} »" for v in enum[:MAX_LISTED_VALUES])
            more = " …" if len(enum) > MAX_LISTED_VALUES else ""
            self.cell(
                bad_rows,
                name,
                f"valeur hors de la liste du standard (admises : {listed}{more})",
                series.iloc[bad_rows].tolist(),
            )
        return series

    def check_number(self, series: pd.Series, name: str, present: np.ndarray, *, integer=False) -> pd.Series:
        comma = present & series.str.fullmatch(r"-?\d+,\d+").to_numpy(dtype=bool)
        if comma.any():
            self.cell(
                comma,
                name,
                "virgule décimale remplacée par un point",
                series[comma].tolist(),
                level="warning",
            )
            series = series.copy()
            series[comma] = series[comma].str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(series.where(present, None), errors="coerce").to_numpy(dtype=float)
        bad = present & ~np.isfinite(numbers)
        if bad.any():
            self.cell(bad, name, "nombre attendu", series[bad].tolist())
        if integer:
            fractional = present & ~bad & (np.floor(np.nan_to_num(numbers)) != np.nan_to_num(numbers))
            if fractional.any():
                self.cell(fractional, name, "nombre entier attendu", series[fractional].tolist())
        return pd.Series(_canonical_numbers(numbers, present & ~bad, series), index=series.index)

    def check_date(self, series: pd.Series, name: str, present: np.ndarray) -> pd.Series:
        french = present & series.str.fullmatch(r"\d{2}/\d{2}/\d{4}").to_numpy(dtype=bool)
        if french.any():
            converted = series[french].str.replace(r"(\d{2})/(\d{2})/(\d{4})", r"\3-\2-\1", regex=True)
            self.cell(
                french,
                name,
                "date JJ/MM/AAAA convertie au format AAAA-MM-JJ",
                series[french].tolist(),
                level="warning",
            )
            series = series.copy()
            series[french] = converted
        iso = series.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
        parsed = pd.to_datetime(series.where(present & iso, None), format="%Y-%m-%d", errors="coerce")
        bad = present & (~iso | parsed.isna().to_numpy())
        if bad.any():
            self.cell(bad, name, "date attendue au format AAAA-MM-JJ", series[bad].tolist())
        return series

    def check_extension(self, series: pd.Series, name: str, kind: str, present: np.ndarray) -> pd.Series:
        _kind, unit, label, enum = EXTENSION_SPECS[name]
        if kind in ("float", "int"):
            series = self.check_number(series, name, present, integer=kind == "int")
            numbers = pd.to_numeric(series.where(present, None), errors="coerce").to_numpy(dtype=float)
            negative = present & (np.nan_to_num(numbers) < 0)
            if negative.any():
                self.cell(
                    negative, name, f"{label} : valeur positive attendue ({unit})", series[negative].tolist()
                )
            return series
        if kind == "date":
            return self.check_date(series, name, present)
        if kind == "bool":
            return self.check_enum(series, name, ["oui", "non"], present)
        if kind == "enum":
            values = [v for v, _ in _enum_values(enum)]
            return self.check_enum(series, name, values, present)
        if kind == "list" and enum:
            values = [v for v, _ in _enum_values(enum)]
            parts = series.where(present, "").str.split("|")
            items = parts.explode().str.strip()
            keys = dict(zip(_key(pd.Series(values, dtype=str)), values, strict=True))
            mapped = _key(items).map(keys)
            bad_items = items[(items != "") & mapped.isna()]
            if len(bad_items):
                bad = np.zeros(self.n, dtype=bool)
                bad[np.unique(bad_items.index.to_numpy())] = True
                self.cell(
                    bad, name, f"élément hors de la liste (admis : {', '.join(values)})", series[bad].tolist()
                )
            rebuilt = mapped.fillna(items).groupby(level=0).agg(lambda s: "|".join(x for x in s if x))
            return rebuilt.reindex(series.index).fillna("")
        if kind == "list":
            return series.str.split("|").map(lambda parts: "|".join(p.strip() for p in parts if p.strip()))
        return series

    # -- geometry ------------------------------------------------------------------------------------------
    def geometries(self, out: pd.DataFrame, frame: pd.DataFrame):
        """WGS84 geometries of the rows; Lambert-93 recognised and projected, swapped lat/lon reported."""
        geometry_column = GEOMETRY_COLUMN[self.table]
        spatial = self.raw.geometries is not None
        points = None
        if self.table == FRICHES:
            point_text = out["geompoint"] if "geompoint" in out else pd.Series([""] * self.n)
            points = self.parse(point_text, "geompoint", "wkt")
            surfaces = (
                self.parse(out[geometry_column], geometry_column, "wkt")
                if geometry_column in out
                else np.full(self.n, None)
            )
            if spatial:
                layer = self._layer_geometries()
                is_point = shapely.get_type_id(layer) == 0
                points = np.where(is_point & shapely.is_missing(points), layer, points)
                surfaces = np.where(~is_point & shapely.is_missing(surfaces), layer, surfaces)
            no_point = shapely.is_missing(points) & ~shapely.is_missing(surfaces)
            if no_point.any():
                self.cell(
                    no_point,
                    "geompoint",
                    "point absent : point intérieur de la surface utilisé",
                    level="warning",
                )
                points = np.where(
                    no_point, shapely.point_on_surface(np.where(no_point, surfaces, None)), points
                )
            if spatial and (nothing := shapely.is_missing(points)).any():
                self.cell(nothing, "geompoint", "géométrie manquante (ni point ni surface)")
            return surfaces, points
        if spatial:
            geometries = self._layer_geometries()
            missing = shapely.is_missing(geometries) | (
                shapely.is_empty(geometries) & ~shapely.is_missing(geometries)
            )
            if missing.any() and self.table != "pole-eco":
                self.cell(missing, geometry_column, "géométrie manquante")
        elif self.table == "pole-eco":
            geometries = self.parse(
                out.get("pole_geompoint", pd.Series([""] * self.n)), "pole_geompoint", "geopoint"
            )
        elif geometry_column in out:
            geometries = self.parse(out[geometry_column], geometry_column, "geojson")
        else:
            geometries = np.full(self.n, None, dtype=object)
        if self.table == "site-eco" and "site_geompoint" in out:
            points = self.parse(out["site_geompoint"], "site_geompoint", "geopoint")
        return geometries, points

    def _layer_geometries(self) -> np.ndarray:
        geometries = np.asarray(self.raw.geometries, dtype=object)
        crs = (self.raw.crs or "").upper()
        if crs and crs not in ("EPSG:4326", "OGC:CRS84", "EPSG:2154"):
            from pyproj import Transformer

            transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            present = ~shapely.is_missing(geometries)
            geometries = geometries.copy()
            geometries[present] = shapely.transform(
                geometries[present], lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
            )
        return self.recognise(geometries, GEOMETRY_COLUMN[self.table], None)

    def parse(self, series: pd.Series, name: str, kind: str) -> np.ndarray:
        text = series.to_numpy(dtype=object)
        present = text != ""
        geometries = np.full(self.n, None, dtype=object)
        if not present.any():
            return geometries
        if kind == "geojson":
            parsed = shapely.from_geojson(text[present], on_invalid="ignore")
            rule = "GeoJSON attendu"
        elif kind == "wkt":
            parsed = shapely.from_wkt(text[present], on_invalid="ignore")
            rule = "géométrie WKT attendue (ex. POINT (4.72 49.77))"
        else:  # geopoint "lon, lat"
            pairs = series[present].str.extract(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
            lon, lat = pd.to_numeric(pairs[0]).to_numpy(), pd.to_numeric(pairs[1]).to_numpy()
            ok = np.isfinite(lon) & np.isfinite(lat)
            parsed = np.full(len(lon), None, dtype=object)
            parsed[ok] = shapely.points(lon[ok], lat[ok])
            rule = "point attendu au format « longitude, latitude »"
        geometries[present] = parsed
        bad = present & shapely.is_missing(geometries)
        if bad.any():
            self.cell(bad, name, rule, [str(v)[:80] for v in text[bad]])
        return self.recognise(geometries, name, text)

    def recognise(self, geometries: np.ndarray, name: str, text) -> np.ndarray:
        """Classify coordinates: WGS84 kept, Lambert-93 projected, swapped latitude/longitude reported as an
        error (never silently fixed), anything else reported."""
        from tandem.core.geo import from_lambert93

        present = ~shapely.is_missing(geometries)
        present[present] = ~shapely.is_empty(geometries[present])
        if not present.any():
            return geometries
        bounds = np.full((self.n, 4), np.nan)
        bounds[present] = shapely.bounds(geometries[present])
        minx, miny, maxx, maxy = bounds.T
        wgs84 = present & (minx >= -180) & (maxx <= 180) & (miny >= -90) & (maxy <= 90)
        swapped = wgs84 & (minx >= 40.5) & (maxx <= 52) & (miny >= -6) & (maxy <= 10.5)
        lambert = (
            present
            & ~wgs84
            & (minx >= -400_000)
            & (maxx <= 1_400_000)
            & (miny >= 5_900_000)
            & (maxy <= 7_300_000)
        )
        unknown = present & ~wgs84 & ~lambert
        shown = (
            (lambda rows: [str(text[i])[:80] for i in np.flatnonzero(rows)])
            if text is not None
            else (lambda rows: [shapely.to_wkt(g, rounding_precision=5)[:80] for g in geometries[rows]])
        )
        if swapped.any():
            self.cell(
                swapped,
                name,
                "latitude et longitude semblent inversées (une latitude française est entre 41 et 51 et vient en "
                "second) : corrigez l'ordre des coordonnées dans le fichier",
                shown(swapped),
            )
        if unknown.any():
            self.cell(
                unknown,
                name,
                "coordonnées ni en WGS84 (longitude, latitude) ni en Lambert-93 (EPSG:2154)",
                shown(unknown),
            )
        out = geometries.copy()
        if lambert.any():
            out[lambert] = [from_lambert93(g) for g in geometries[lambert]]
        out[swapped | unknown] = None
        usable = present & ~swapped & ~unknown
        invalid = usable.copy()
        invalid[usable] = ~shapely.is_valid(geometries[usable])
        if invalid.any():
            # Never repaired here: make_valid turns a crossed outline into another shape (a « bow tie » becomes
            # two triangles, whose area has nothing to do with the declared one); the producer must redraw it.
            reasons = [invalid_geometry_reason(g) for g in geometries[invalid]]
            for reason in sorted(set(reasons)):
                rows = np.flatnonzero(invalid)[[r == reason for r in reasons]]
                self.cell(
                    rows,
                    name,
                    f"géométrie invalide : {reason} ; Tandem ne la corrige pas, redessinez-la dans le SIG",
                    shown(np.isin(np.arange(self.n), rows)),
                )
            out[invalid] = None
        return out

    def check_primary_key(self, out: pd.DataFrame) -> None:
        key = PRIMARY_KEY[self.table]
        if key not in out:
            return
        ids = out[key]
        duplicated = ((ids != "") & ids.duplicated(keep="first")).to_numpy()
        if duplicated.any():
            self.cell(
                duplicated,
                key,
                "identifiant en double dans le fichier (clé primaire)",
                ids[duplicated].tolist(),
            )


GEOS_REASONS = {
    "Self-intersection": "le contour se recoupe (auto-intersection)",
    "Ring Self-intersection": "un anneau se recoupe (auto-intersection)",
    "Too few points": "trop peu de points pour former un contour",
    "Hole lies outside shell": "un trou est hors du contour extérieur",
    "Nested holes": "des trous sont imbriqués",
    "Interior is disconnected": "l'intérieur est coupé en plusieurs morceaux",
    "Nested shells": "des contours sont imbriqués",
    "Duplicate Rings": "un anneau est répété",
    "Invalid Coordinate": "coordonnée invalide",
    "Ring is not closed": "un anneau n'est pas fermé",
}


def invalid_geometry_reason(geometry) -> str:
    """GEOS's reason for an invalid geometry, in French, with the place it names (« près de x y »)."""
    reason = shapely.is_valid_reason(geometry)
    kind, _, place = reason.partition("[")
    text = GEOS_REASONS.get(kind.strip(), "géométrie non conforme (OGC)")
    coordinates = place.rstrip("]").split()
    if len(coordinates) >= 2:
        try:
            text += f" près de {float(coordinates[0]):.5f} {float(coordinates[1]):.5f}"
        except ValueError:
            pass
    return text


def _enum_values(enum) -> list[tuple[str, str]]:
    if isinstance(enum, str):  # an enumeration borrowed from a standard column
        from tandem.land.standard import enum_choices

        return enum_choices(FRICHES, enum)
    return [(v, v) for v in enum]


def _canonical_numbers(numbers: np.ndarray, ok: np.ndarray, original: pd.Series) -> np.ndarray:
    out = original.to_numpy(dtype=object).copy()
    if not ok.any():
        return out
    values = numbers[ok]
    integral = (values == np.floor(values)) & (np.abs(values) < 1e15)
    texts = np.empty(len(values), dtype=object)
    texts[integral] = values[integral].astype(np.int64).astype(str)
    texts[~integral] = [format_number(v) for v in values[~integral]]
    out[ok] = texts
    return out


# --- cross-table checks ---------------------------------------------------------------------------------------


def _problem(table: ValidatedTable, rows, column, message, values, level="error") -> list[Problem]:
    problems = []
    for k, i in enumerate(rows):
        problem = Problem(table.source, int(table.lines[i]), column, message, values[k], level=level)
        problems.append(problem)
        if level == "error":
            table.invalid[i] = True
            table.row_problems.setdefault(int(i), []).append(problem)
    return problems


def _check_links(tables: dict[str, ValidatedTable], referential: Referential) -> list[Problem]:
    problems = []
    for child, column, parent in FOREIGN_KEYS:
        if child not in tables or column not in tables[child].values:
            continue
        known = set(referential.existing_ids(parent))
        if parent in tables and PRIMARY_KEY[parent] in tables[parent].values:
            known |= set(tables[parent].values[PRIMARY_KEY[parent]])
        values = tables[child].values[column]
        if child == "etablissement":  # a `|`-separated list of terrains
            items = values.str.split("|").explode().str.strip()
            missing = items[(items != "") & ~items.isin(known)]
            rows = np.unique(missing.index.to_numpy())
            shown = [", ".join(missing[missing.index == r]) for r in rows]
        else:
            mask = ((values != "") & ~values.isin(known)).to_numpy()
            rows, shown = np.flatnonzero(mask), values[mask].tolist()
        if len(rows):
            problems += _problem(
                tables[child],
                rows,
                column,
                f"lien vers {parent} : identifiant absent de la table {parent}",
                shown,
            )
    return problems


def cascade_rejections(tables: dict[str, ValidatedTable]) -> None:
    """With --skip-invalid: a row whose parent (pole, site, terrain) is rejected is rejected too."""
    for child, column, parent in FOREIGN_KEYS:
        if child not in tables or parent not in tables or column not in tables[child].values:
            continue
        parent_table = tables[parent]
        rejected = set(parent_table.values[PRIMARY_KEY[parent]][parent_table.invalid])
        if not rejected:
            continue
        table = tables[child]
        items = table.values[column].str.split("|").explode().str.strip()
        hit = np.unique(items[items.isin(rejected)].index.to_numpy())
        hit = [i for i in hit if not table.invalid[i]]
        if hit:
            _problem(
                table,
                hit,
                column,
                f"ligne écartée : elle dépend d'un enregistrement rejeté de la table {parent}",
                table.values[column].iloc[hit].tolist(),
            )


def _check_commune_codes(table: ValidatedTable, column: str, referential: Referential) -> list[Problem]:
    if column not in table.values:
        return []
    codes = table.values[column]
    known = codes.isin(referential.communes.keys()).to_numpy()
    bad = (codes != "").to_numpy() & ~known
    problems = []
    if bad.any():
        problems += _problem(
            table, np.flatnonzero(bad), column, "code INSEE de commune inconnu du COG", codes[bad].tolist()
        )
    merged = [code for code, info in referential.communes.items() if not info.is_current]
    old = np.flatnonzero(known & codes.isin(merged).to_numpy()).tolist()
    if old:
        problems += _problem(
            table,
            old,
            column,
            "commune fusionnée ou supprimée dans le COG en vigueur",
            codes.iloc[old].tolist(),
            level="warning",
        )
    return problems


def _check_sites_territory(tables, referential: Referential, epci_siren: str | None) -> list[Problem]:
    problems = []
    for name, commune_column, epci_column in (
        ("site-eco", "site_comm_insee", "site_epci_siren"),
        ("etablissement", "comm_insee", "epci_siren"),
    ):
        table = tables.get(name)
        if table is None:
            continue
        problems += _check_commune_codes(table, commune_column, referential)
        if epci_column not in table.values:
            continue
        sirens = table.values[epci_column]
        unknown = ((sirens != "") & ~sirens.isin(referential.epcis.keys())).to_numpy()
        if unknown.any():
            problems += _problem(
                table, np.flatnonzero(unknown), epci_column, "SIREN d'EPCI inconnu", sirens[unknown].tolist()
            )
        if epci_siren and name == "site-eco":
            other = ((sirens != "") & (sirens != epci_siren)).to_numpy()
            if other.any():
                problems += _problem(
                    table,
                    np.flatnonzero(other),
                    epci_column,
                    f"le site appartient à un autre EPCI que celui de l'import (--epci {epci_siren})",
                    sirens[other].tolist(),
                )
        if commune_column in table.values:
            code_list, siren_list = table.values[commune_column].tolist(), sirens.tolist()
            communes, epcis = referential.communes, referential.epcis
            rows = [
                i
                for i, (code, siren) in enumerate(zip(code_list, siren_list, strict=True))
                if code in communes and siren in epcis and communes[code].epci_siren not in (None, siren)
            ]
            codes = table.values[commune_column]
            if rows:
                problems += _problem(
                    table,
                    rows,
                    commune_column,
                    "la commune n'appartient pas à l'EPCI déclaré",
                    [
                        f"{codes.iat[i]} (EPCI {referential.communes[codes.iat[i]].epci_siren}) ≠ {sirens.iat[i]}"
                        for i in rows
                    ],
                )
    return problems


def _check_friches_territory(tables, referential: Referential) -> list[Problem]:
    table = tables.get(FRICHES)
    return _check_commune_codes(table, "comm_insee", referential) if table else []


def _check_points_in_communes(tables, referential: Referential) -> list[Problem]:
    """A point (or a surface's inner point) outside its declared commune is flagged, naming both."""
    problems = []
    for name, column, geometry_name in (
        ("site-eco", "site_comm_insee", "site_geomsurf"),
        ("etablissement", "comm_insee", "etab_geompoint"),
        (FRICHES, "comm_insee", "geompoint"),
    ):
        table = tables.get(name)
        if table is None or column not in table.values:
            continue
        geometries = table.points if name == FRICHES else table.geometries
        if geometries is None:
            continue
        geometries = np.asarray(geometries, dtype=object)
        present = ~shapely.is_missing(geometries)
        present[present] = ~shapely.is_empty(geometries[present])
        points = np.full(len(geometries), None, dtype=object)
        points[present] = shapely.point_on_surface(geometries[present])
        codes = table.values[column].to_numpy(dtype=object)
        outside = referential.outside_communes(codes, points)
        if not outside:
            continue
        rows = sorted(outside)
        shown = []
        for i in rows:
            found_code, found_name = outside[i]
            declared = referential.communes[codes[i]]
            where = f"{found_name} ({found_code})" if found_code else "aucune commune connue"
            shown.append(
                f"{shapely.get_x(points[i]):.5f} {shapely.get_y(points[i]):.5f} : déclarée {declared.name} "
                f"({codes[i]}), trouvée dans {where}"
            )
        problems += _problem(
            table, rows, geometry_name, "le point est hors de sa commune déclarée", shown, level="warning"
        )
    return problems
