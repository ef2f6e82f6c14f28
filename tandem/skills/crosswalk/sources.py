"""Readers of the referentials the crosswalks are built from, given their paths (the files stay where they are
published; nothing is copied into the repository):

- ROME v4.60 (France Travail): `unix_referentiel_code_rome_v460_utf8.csv` (1,584 codes, sub-codes carry
  `code_rome_parent`) and `unix_referentiel_appellation_v460_utf8.csv` (13,120 job titles);
- FAP 2021 nomenclature (Dares): `nomenclature_fap2021.csv`, FAP341 → FAP228 → FAP86 → FAP22;
- ROME professional domains (`domaine_professionnel.csv`, H29 « Mécanique, travail des métaux et outillage »);
- the Formacode ↔ ROME co-occurrence table derived from Certif Info (`formacode_rome_via_certifinfo.csv`);
- the official Dares ROME ↔ FAP 2021 table, in the published layout described at `read_dares_table`.

Every reader goes through the one CSV reader (`tandem.imports.reader.read_table`) and refuses a file with a
French message naming the file, the line and the field. Pure: no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tandem.core.problems import Report, UserError
from tandem.imports.limits import ImportLimits
from tandem.imports.reader import read_table, xlsx_sheets
from tandem.skills.crosswalk.text import fold

# The referentials are published national files, not uploads: their own bound, well above their size.
REFERENCE_LIMITS = ImportLimits(
    upload_bytes=64 * 1024 * 1024,
    expanded_bytes=256 * 1024 * 1024,
    zip_entries=10,
    rows=500_000,
    field_chars=10_000,
)
# Where a pair comes from, as shown to users.
SOURCE_PROPOSED = "proposé"  # computed from the labels by the engine, to be reviewed
SOURCE_OFFICIAL = "officiel (Dares)"
SOURCE_DERIVED = "dérivé (Certif Info)"
ROME_CODE = re.compile(r"^[A-N]\d{4}$")
FAP_CODE = re.compile(r"^[A-Z][0-9A-Z]{2}\d{2}[a-z]?$")  # FAP341 (D1X30a, QAX01) or FAP228 (D1X30)
FORMACODE = re.compile(r"^\d{5}$")


@dataclass
class RomeJob:
    """A ROME v4 code with its label and job titles (appellations)."""

    code: str
    label: str
    parent: str
    executive: bool | None  # « emploi cadre » flag: O/N, None when not stated
    titles: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        """The professional domain (« H29 »)."""
        return self.code[:3]


@dataclass(frozen=True)
class FapPost:
    """One FAP341 post with its ancestors."""

    code341: str
    label341: str
    code228: str
    label228: str
    code86: str
    label86: str
    code22: str
    label22: str


@dataclass(frozen=True)
class FormacodeRome:
    """A Formacode and a ROME code that the same certifications carry (derived, not official)."""

    formacode: str
    formacode_label: str
    code_rome: str
    certifications: int


@dataclass(frozen=True)
class OfficialPair:
    """One row of the official Dares ROME ↔ FAP 2021 table."""

    code_rome: str
    code_fap: str  # as published: FAP341 or FAP228
    code_fap228: str
    code_ogr: str | None  # when the table splits a ROME code by job title
    line: int


def _table(path: Path, limits: ImportLimits | None, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    path = Path(path)
    table = read_table(path, path.name, limits=limits or REFERENCE_LIMITS)
    if table.problems:
        raise UserError(f"{path.name} : lignes mal formées.", table.problems)
    missing = [c for c in required if c not in table.header]
    if missing:
        raise UserError(f"{path.name} : colonne(s) manquante(s) : {', '.join(missing)}.")
    return table.records()


def read_rome(
    codes_path: Path, titles_path: Path, *, limits: ImportLimits | None = None
) -> dict[str, RomeJob]:
    """ROME codes by code, each with its job titles (the principal title is the code's label)."""
    report = Report()
    jobs: dict[str, RomeJob] = {}
    name = Path(codes_path).name
    for line, row in _table(
        codes_path, limits, ["code_rome", "libelle_rome", "code_rome_parent", "emploi_cadre"]
    ):
        code = row["code_rome"].strip()
        if not ROME_CODE.match(code):
            report.error(name, line, "code_rome", "code ROME attendu (lettre A à N et 4 chiffres)", code)
            continue
        if code in jobs:
            report.error(name, line, "code_rome", "code ROME en double", code)
            continue
        flag = row["emploi_cadre"].strip().upper()
        jobs[code] = RomeJob(
            code=code,
            label=row["libelle_rome"].strip(),
            parent=row["code_rome_parent"].strip() or code,
            executive={"O": True, "N": False}.get(flag),
        )
    report.raise_if_errors(f"{name} : référentiel ROME refusé.")
    name = Path(titles_path).name
    for line, row in _table(titles_path, limits, ["code_rome", "libelle_appellation_long"]):
        code = row["code_rome"].strip()
        if code not in jobs:
            report.error(name, line, "code_rome", "code ROME absent du référentiel des codes", code)
            continue
        jobs[code].titles.append(row["libelle_appellation_long"].strip())
    report.raise_if_errors(f"{name} : appellations ROME refusées.")
    return jobs


FAP_COLUMNS = [
    "Code_FAP341", "Intitulé_FAP341", "Code_FAP228", "Intitulé_FAP228",
    "Code_FAP86", "Intitulé_FAP86", "Code_FAP22", "Intitulé_FAP22",
]  # fmt: skip


def read_fap(path: Path, *, limits: ImportLimits | None = None) -> list[FapPost]:
    """The FAP 2021 nomenclature, one post per FAP341 code."""
    report = Report()
    name = Path(path).name
    posts: dict[str, FapPost] = {}
    for line, row in _table(path, limits, FAP_COLUMNS):
        values = [row[c].strip() for c in FAP_COLUMNS]
        for column, value in zip(FAP_COLUMNS[0:4:2], values[0:4:2], strict=True):
            if not FAP_CODE.match(value):
                report.error(name, line, column, "code FAP 2021 attendu (ex. D0X31 ou D1X30a)", value)
        if values[0] in posts:
            report.error(name, line, "Code_FAP341", "code FAP341 en double", values[0])
        posts[values[0]] = FapPost(*values)
    report.raise_if_errors(f"{name} : nomenclature FAP 2021 refusée.")
    return list(posts.values())


def read_rome_domains(path: Path, *, limits: ImportLimits | None = None) -> dict[str, str]:
    """ROME professional domain labels by code (« H29 » -> « Mécanique, travail des métaux et outillage »)."""
    rows = _table(path, limits, ["code_domaine_professionnel", "libelle_domaine_professionnel"])
    return {
        row["code_domaine_professionnel"].strip(): row["libelle_domaine_professionnel"].strip()
        for _, row in rows
    }


def read_formacode_rome(path: Path, *, limits: ImportLimits | None = None) -> list[FormacodeRome]:
    """The Formacode ↔ ROME co-occurrence table derived from Certif Info (main Formacode × Code_Rome_1..5)."""
    report = Report()
    name = Path(path).name
    links = []
    for line, row in _table(
        path, limits, ["code_formacode", "libelle_formacode", "code_rome", "nb_certifications"]
    ):
        formacode, code, count = (
            row["code_formacode"].strip(),
            row["code_rome"].strip(),
            row["nb_certifications"],
        )
        if not FORMACODE.match(formacode):
            report.error(name, line, "code_formacode", "Formacode attendu (5 chiffres)", formacode)
        if not ROME_CODE.match(code):
            report.error(name, line, "code_rome", "code ROME attendu (lettre A à N et 4 chiffres)", code)
        if not count.strip().isdigit():
            report.error(name, line, "nb_certifications", "nombre entier attendu", count)
        if report.errors:
            continue
        links.append(FormacodeRome(formacode, row["libelle_formacode"].strip(), code, int(count)))
    report.raise_if_errors(f"{name} : table Formacode ↔ ROME refusée.")
    return links


# --- The official Dares table ---------------------------------------------------------------------------------
# Assumed published layout (Dares, « Table de correspondance ROME – FAP 2021 », XLSX or CSV export): in XLSX,
# the first sheet holding the header row, up to 30 title lines above it; a CSV starts with its header row. One
# row per ROME code, or per ROME job title (code OGR) when Dares splits a code between families. Columns are recognised by name, case, accents and punctuation aside:
#   code ROME   : « Code ROME », « ROME », « Code_ROME »                                  (required)
#   code FAP    : « Code FAP 2021 », « FAP 2021 », « FAP-2021 », « Code FAP », « FAP225 », « FAP341 »
#                 (FAP341 such as D1X30a or FAP228 such as D1X30)                          (required)
#   code OGR    : « Code OGR », « Code appellation », « OGR »                              (optional)
# Labels (« Libellé ROME », « Intitulé FAP »…) and any other column are ignored.
DARES_COLUMNS = {
    "code_rome": ("coderome", "rome", "coderomev4", "coderomev3"),
    "code_fap": ("codefap2021", "fap2021", "codefap", "fap", "fap225", "fap228", "fap341", "codefap225",
                 "codefap228", "codefap341"),
    "code_ogr": ("codeogr", "ogr", "codeappellation"),
}  # fmt: skip
HEADER_SEARCH_ROWS = 30


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(header))


def _dares_columns(header: list[str]) -> dict[str, int] | None:
    keys = [_key(h) for h in header]
    found = {}
    for role, names in DARES_COLUMNS.items():
        for index, key in enumerate(keys):
            if key in names and role not in found:
                found[role] = index
    return found if {"code_rome", "code_fap"} <= set(found) else None


def xlsx_rows(path: Path, limits: ImportLimits, is_header=None) -> list[tuple[int, list[str]]]:
    """The rows of the first sheet whose first 30 rows hold a header row (`is_header(values)`, by default the
    Dares table's); dates come as ISO text (« 2026-09-01 »)."""
    is_header = is_header or _dares_columns
    for rows in xlsx_sheets(path, path.name, limits):
        if any(is_header(r) for _, r in rows[:HEADER_SEARCH_ROWS]):
            return rows
    return []


def _csv_rows(path: Path, limits: ImportLimits) -> list[tuple[int, list[str]]]:
    table = read_table(path, path.name, limits=limits)
    if table.problems:
        raise UserError(f"{path.name} : lignes mal formées.", table.problems)
    return [(1, table.header), *zip(table.lines, table.rows, strict=True)]


def read_dares_table(path: Path, *, fap: list[FapPost], limits: ImportLimits) -> list[OfficialPair]:
    """The official Dares ROME ↔ FAP 2021 table (XLSX or CSV) in the layout above. Every row is checked
    (ROME code format, FAP code known in the FAP 2021 nomenclature) before anything is returned; a table with
    any error is refused whole, naming file, line and field."""
    path = Path(path)
    rows = xlsx_rows(path, limits) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path, limits)
    start = next((i for i, (_, r) in enumerate(rows[:HEADER_SEARCH_ROWS]) if _dares_columns(r)), None)
    if start is None:
        raise UserError(
            f"{path.name} : ligne d'en-tête introuvable : colonnes « Code ROME » et « Code FAP 2021 » attendues "
            f"dans les {HEADER_SEARCH_ROWS} premières lignes."
        )
    header_line, header = rows[start]
    columns = _dares_columns(header)
    by_341 = {p.code341: p.code228 for p in fap}
    known_228 = {p.code228 for p in fap}
    report = Report()
    pairs = []
    for line, values in rows[start + 1 :]:
        if not any(values):
            continue
        values = values + [""] * (len(header) - len(values))
        code = values[columns["code_rome"]].strip().upper()
        code_fap = values[columns["code_fap"]].strip()
        ogr = values[columns["code_ogr"]].strip() if "code_ogr" in columns else ""
        rome_field, fap_field = header[columns["code_rome"]], header[columns["code_fap"]]
        ok = True
        if not ROME_CODE.match(code):
            report.error(path.name, line, rome_field, "code ROME attendu (lettre A à N et 4 chiffres)", code)
            ok = False
        if code_fap in by_341:
            code228 = by_341[code_fap]
        elif code_fap in known_228:
            code228 = code_fap
        else:
            report.error(path.name, line, fap_field, "code absent de la nomenclature FAP 2021", code_fap)
            ok = False
        if ogr and not ogr.isdigit():
            report.error(
                path.name, line, header[columns["code_ogr"]], "code OGR attendu (nombre entier)", ogr
            )
            ok = False
        if ok:
            pairs.append(OfficialPair(code, code_fap, code228, ogr or None, line))
    report.raise_if_errors(
        f"{path.name} : table de correspondance ROME ↔ FAP refusée (ligne d'en-tête {header_line})."
    )
    if not pairs:
        raise UserError(f"{path.name} : aucune ligne de correspondance sous l'en-tête (ligne {header_line}).")
    return pairs
