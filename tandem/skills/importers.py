"""Importers of the jobs-and-skills facts, through the one import framework (`tandem.imports`): every row is
checked first (French errors naming file, line and field), then written in one transaction; a refused import
or a dry run writes nothing; importing the same file again changes nothing.

- `rome_import`: France Travail's ROME referential (codes and job titles, v4.60 layout).
- `tension_import`: Dares / France Travail tension indicators by ROME × bassin d'emploi (`;`, comma decimals,
  quintiles 1–5) with the commune → bassin 2019 table.

Bassins 2019 and BMO bassins: the tension file uses the 2019 zoning (BE19), the BMO survey the 2024 one (BE24).
Both are attached to territories through their OWN commune table (never by matching bassin codes), so a
boundary change between 2019 and 2024 follows the communes. In Grand Est the 43 BE19 codes are the 43 BE24
codes (checked by tests/skills/test_importers.py).

The BMO survey itself is imported by `tandem.prospects.labour.bmo_import` (the one BMO model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tandem.core.audit import audit_record
from tandem.core.errors import Report, UserError
from tandem.core.models import AuditEvent
from tandem.imports.limits import import_limits
from tandem.imports.models import ImportRun
from tandem.imports.reader import read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.skills.crosswalk.sources import ROME_CODE
from tandem.skills.models import INDICATORS, RomeCode, RomeTitle, Tension, TensionBasin, TensionBasinCommune

BASIN_CODE = re.compile(r"^\d{4}$")
COMMUNE_CODE = re.compile(r"^\d[\dAB]\d{3}$")
OGR_CODE = re.compile(r"^\d{1,10}$")
ROME_COLUMNS = ["code_rome", "libelle_rome", "code_rome_parent", "transition_eco", "emploi_cadre"]
TITLE_COLUMNS = ["code_ogr", "libelle_appellation_long", "code_rome"]
TENSION_COLUMNS = {
    "annee": "year",
    "ROME": "rome_code",
    "cbassin": "basin",
    "oee": "offers",
    "defm_abc": "seekers",
    "ind_tension_d": "tension",
    "ind_int_emb_d": "hiring_intensity",
    "ind_main_oeuvre_d": "labour_shortage",
    "ind_dur_empl_d": "lasting_jobs",
    "ind_cond_travail_d": "working_conditions",
    "ind_mismatch_geo_d": "geographic_mismatch",
    "ind_specif_form_empl_d": "training_specificity",
}
BASSIN_COMMUNE_COLUMNS = ["CODE_COMMUNE_INSEE", "BE19", "NOMBE19"]
MISSING = {"", "NA", "N/A", "nd", "ND", "*"}


@dataclass
class SkillsImportResult:
    created: int
    updated: int
    unchanged: int
    notes: list[str]
    run: ImportRun | None = None


def _rows(path: Path, required: list[str], report: Report) -> list[tuple[int, dict]]:
    path = Path(path)
    table = read_table(path, path.name, limits=import_limits())
    if table.problems:
        raise UserError(f"{path.name} : lignes mal formées.", table.problems)
    missing = [c for c in required if c not in table.header]
    if missing:
        report.error(path.name, 1, None, f"colonne(s) manquante(s) : {', '.join(missing)}")
        report.raise_if_errors(f"{path.name} : fichier refusé, rien n'a été écrit.")
    return table.records()


def _run(kind, actor, paths, dry_run, run, read, write, name) -> SkillsImportResult:
    run = import_run_start(kind=kind, actor=actor, paths=[Path(p) for p in paths], dry_run=dry_run, run=run)
    with import_run_guard(run):
        data, warnings = read()
        with import_writes(run):
            result = write(data)
            audit_record(
                actor=actor,
                action=AuditEvent.Action.IMPORT,
                object_type=name,
                details={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
    result.run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=warnings,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        details={"notes": result.notes},
    )
    return result


def _sync(model, key: str, rows: dict[str, dict], fields: list[str]) -> tuple[int, int, int]:
    """Create what is new, update what changed, count what is the same (rows by primary key)."""
    before = model.objects.in_bulk(list(rows))
    create, update, same = [], [], 0
    for pk, values in rows.items():
        obj = before.get(pk)
        if obj is None:
            create.append(model(**{key: pk}, **values))
        elif any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            update.append(obj)
        else:
            same += 1
    model.objects.bulk_create(create, batch_size=2000)
    model.objects.bulk_update(update, fields, batch_size=2000)
    return len(create), len(update), same


# --- ROME ---------------------------------------------------------------------------------------------------
def rome_import(
    *, actor, codes_path: Path, titles_path: Path, version: str = "", dry_run: bool = False, run=None
) -> SkillsImportResult:
    """Import the ROME codes and their job titles (France Travail open-data layout)."""

    def read():
        report = Report()
        codes_name, titles_name = Path(codes_path).name, Path(titles_path).name
        codes: dict[str, dict] = {}
        for line, row in _rows(codes_path, ROME_COLUMNS, report):
            code = row["code_rome"].strip()
            if not ROME_CODE.match(code):
                report.error(
                    codes_name, line, "code_rome", "code ROME attendu (lettre A à N et 4 chiffres)", code
                )
                continue
            if code in codes:
                report.error(codes_name, line, "code_rome", "code ROME en double", code)
                continue
            parent = row["code_rome_parent"].strip() or code
            if not ROME_CODE.match(parent):
                report.error(codes_name, line, "code_rome_parent", "code ROME attendu", parent)
            label = row["libelle_rome"].strip()
            if not label:
                report.error(codes_name, line, "libelle_rome", "intitulé vide")
            codes[code] = {
                "label": label[:200],
                "parent": parent,
                "green": row["transition_eco"].strip()[:80],
                "executive": {"O": True, "N": False}.get(row["emploi_cadre"].strip().upper()),
                "version": version,
            }
        titles: dict[str, dict] = {}
        for line, row in _rows(titles_path, TITLE_COLUMNS, report):
            ogr, code = row["code_ogr"].strip(), row["code_rome"].strip()
            if not OGR_CODE.match(ogr):
                report.error(titles_name, line, "code_ogr", "code OGR numérique attendu", ogr)
                continue
            if code not in codes:
                report.error(titles_name, line, "code_rome", "code ROME absent du fichier des codes", code)
                continue
            if ogr in titles:
                report.error(titles_name, line, "code_ogr", "appellation en double", ogr)
                continue
            titles[ogr] = {"label": row["libelle_appellation_long"].strip()[:250], "rome_id": code}
        report.raise_if_errors("Import du référentiel ROME refusé : aucune ligne n'a été écrite.")
        return (codes, titles), report.warnings

    def write(data):
        codes, titles = data
        c = _sync(RomeCode, "code", codes, ["label", "parent", "green", "executive", "version"])
        t = _sync(RomeTitle, "code_ogr", titles, ["label", "rome_id"])
        return SkillsImportResult(
            c[0] + t[0],
            c[1] + t[1],
            c[2] + t[2],
            [f"{len(codes)} code(s) ROME, {len(titles)} appellation(s)"],
        )

    return _run(
        ImportRun.Kind.ROME, actor, [codes_path, titles_path], dry_run, run, read, write, "skills.romecode"
    )


# --- tension indicators -------------------------------------------------------------------------------------
def _decimal(report: Report, name: str, line: int, field: str, value: str) -> float | None:
    """A French decimal (« 16,95 ») or a dot decimal; missing stays missing."""
    value = (value or "").strip()
    if value in MISSING:
        return None
    try:
        number = float(value.replace("\u202f", "").replace(" ", "").replace(",", "."))
    except ValueError:
        report.error(name, line, field, "nombre attendu (décimales avec une virgule)", value)
        return None
    if number < 0:
        report.error(name, line, field, "nombre positif attendu", value)
        return None
    return number


def _quintile(report: Report, name: str, line: int, field: str, value: str) -> int | None:
    value = (value or "").strip()
    if value in MISSING:
        return None
    if value not in {"1", "2", "3", "4", "5"}:
        report.error(name, line, field, "indicateur de 1 à 5 attendu (quintile)", value)
        return None
    return int(value)


def tension_import(
    *, actor, tensions_path: Path, bassins_path: Path, dry_run: bool = False, run=None
) -> SkillsImportResult:
    """Import the tension indicators by ROME × bassin d'emploi 2019 and the commune → bassin 2019 table."""

    def read():
        report = Report()
        t_name, b_name = Path(tensions_path).name, Path(bassins_path).name
        basins: dict[str, dict] = {}
        communes: dict[str, dict] = {}
        for line, row in _rows(bassins_path, BASSIN_COMMUNE_COLUMNS, report):
            commune, basin = row["CODE_COMMUNE_INSEE"].strip(), row["BE19"].strip()
            if not COMMUNE_CODE.match(commune):
                report.error(b_name, line, "CODE_COMMUNE_INSEE", "code INSEE de commune attendu", commune)
                continue
            if not BASIN_CODE.match(basin):
                report.error(b_name, line, "BE19", "code de bassin à 4 chiffres attendu", basin)
                continue
            basins[basin] = {"name": row["NOMBE19"].strip()[:100]}
            communes[commune] = {"basin_id": basin}
        cells: dict[tuple, dict] = {}
        for line, row in _rows(tensions_path, list(TENSION_COLUMNS), report):
            year, code, basin = row["annee"].strip(), row["ROME"].strip(), row["cbassin"].strip()
            if not (year.isdigit() and 2000 <= int(year) <= 2100):
                report.error(t_name, line, "annee", "année invalide", year)
                continue
            if not ROME_CODE.match(code):
                report.error(t_name, line, "ROME", "code ROME attendu (lettre A à N et 4 chiffres)", code)
                continue
            if basin not in basins:
                report.error(
                    t_name, line, "cbassin", "bassin absent de la table des communes (bassins 2019)", basin
                )
                continue
            key = (int(year), basin, code)
            if key in cells:
                report.error(t_name, line, "ROME", "métier en double pour ce bassin et cette année", code)
                continue
            values = {
                "offers": _decimal(report, t_name, line, "oee", row["oee"]),
                "seekers": _decimal(report, t_name, line, "defm_abc", row["defm_abc"]),
            }
            for column, field in TENSION_COLUMNS.items():
                if field in INDICATORS:
                    values[field] = _quintile(report, t_name, line, column, row[column])
            cells[key] = values
        report.raise_if_errors("Import des indicateurs de tension refusé : aucune ligne n'a été écrite.")
        return (basins, communes, cells), report.warnings

    def write(data):
        basins, communes, cells = data
        b = _sync(TensionBasin, "code", basins, ["name"])
        c = _sync(TensionBasinCommune, "commune_code", communes, ["basin_id"])
        fields = ["offers", "seekers", *INDICATORS]
        years = {key[0] for key in cells}
        before = {(t.year, t.basin_id, t.rome_code): t for t in Tension.objects.filter(year__in=years)}
        create, update, same = [], [], 0
        for (year, basin, code), values in cells.items():
            obj = before.get((year, basin, code))
            if obj is None:
                create.append(Tension(year=year, basin_id=basin, rome_code=code, **values))
            elif any(getattr(obj, f) != values[f] for f in fields):
                for f in fields:
                    setattr(obj, f, values[f])
                update.append(obj)
            else:
                same += 1
        Tension.objects.bulk_create(create, batch_size=2000)
        Tension.objects.bulk_update(update, fields, batch_size=2000)
        return SkillsImportResult(
            b[0] + c[0] + len(create),
            b[1] + c[1] + len(update),
            b[2] + c[2] + same,
            [f"{len(cells)} indicateur(s), {len(basins)} bassin(s) 2019, {len(communes)} commune(s)"],
        )

    return _run(
        ImportRun.Kind.TENSIONS,
        actor,
        [tensions_path, bassins_path],
        dry_run,
        run,
        read,
        write,
        "skills.tension",
    )
