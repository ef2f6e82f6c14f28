"""The labour market from France Travail's BMO survey: import (every row validated, then one transaction,
re-importing changes nothing) and the figures used by the matching, the answer file and the project value.

`*` in the survey is statistical secret: kept as missing, never 0. The share of difficult recruitments of a
basin is computed over the occupations where both the projects and the difficult ones are published.
"""

from __future__ import annotations

import gzip
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
from tandem.prospects.models import BmoBasin, BmoBasinCommune, BmoJob

BMO_COLUMNS = [
    "annee",
    "Code métier BMO",
    "Nom métier BMO",
    "Famille_met",
    "Lbl_fam_met",
    "BE24",
    "NOMBE24",
    "met",
    "xmet",
    "smet",
]
BASSIN_COLUMNS = ["code_commune_insee", "code_bassin_BMO", "lib_bassin_BMO"]
JOB_CODE = re.compile(r"^[A-Z][0-9A-Z]{2}\d{2}$")  # FAP 2021: A0X40, QAX01…
ROME_ONLY = re.compile(r"^[A-N]\d{4}$")  # a ROME code (H2913), never a FAP 2021 one (letter, digit, letter)
BASIN_CODE = re.compile(r"^\d{4}$")
COMMUNE_CODE = re.compile(r"^\d[\dAB]\d{3}$")


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (physical line, row) of a BMO file (CSV, possibly .gz) through the shared import reader."""
    limits = import_limits()
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as handle:
            raw = handle.read(limits.expanded_bytes + 1)
        if len(raw) > limits.expanded_bytes:
            raise UserError(
                f"{path.name} : fichier décompressé trop volumineux (limite : {limits.expanded_bytes} octets)."
            )
        table = read_table(None, path.name, limits=limits, data=raw, delimiters=(",", ";"))
    else:
        table = read_table(path, path.name, limits=limits, delimiters=(",", ";"))
    if table.problems:
        raise UserError(f"{path.name} : lignes mal formées.", table.problems)
    return table.header, table.records()


def _count(report: Report, name: str, line: int, field: str, value: str) -> int | None:
    value = (value or "").strip()
    if value == "*":
        return None  # statistical secret
    if not value.isdigit():
        report.error(name, line, field, "nombre entier ou « * » (secret statistique) attendu", value)
        return None
    return int(value)


@dataclass
class BmoImportResult:
    basins: int
    communes: int
    created: int
    updated: int
    unchanged: int
    run: ImportRun | None = None


def bmo_import(
    *, actor, bmo_path: Path, bassins_path: Path, dry_run: bool = False, run: ImportRun | None = None
) -> BmoImportResult:
    """Import a BMO survey file (CSV, possibly .gz) and the commune → basin table. Recorded as an import run;
    a refused import leaves only its run, a dry run nothing at all."""
    run = import_run_start(
        kind=ImportRun.Kind.BMO,
        actor=actor,
        paths=[Path(bmo_path), Path(bassins_path)],
        dry_run=dry_run,
        run=run,
    )
    with import_run_guard(run):
        basins, communes, jobs, bmo_name, warnings = _bmo_read(Path(bmo_path), Path(bassins_path))
        with import_writes(run):
            result = _write(actor, basins, communes, jobs, bmo_name)
    result.run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=warnings,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        details={"notes": [f"{result.basins} bassin(s), {result.communes} commune(s)"]},
    )
    return result


def _bmo_read(bmo_path: Path, bassins_path: Path):
    report = Report()
    bmo_name, bassins_name = Path(bmo_path).name, Path(bassins_path).name
    fields, rows = _read(Path(bmo_path))
    missing = [c for c in BMO_COLUMNS if c not in fields]
    if missing:
        report.error(bmo_name, 1, None, f"colonnes manquantes : {', '.join(missing)}")
        report.raise_if_errors("Fichier BMO invalide.")
    basins: dict[str, str] = {}
    jobs: dict[tuple[int, str, str, str], dict] = {}
    for line, row in rows:
        year = (row["annee"] or "").strip()
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            report.error(bmo_name, line, "annee", "année invalide", year)
            continue
        basin, code = (row["BE24"] or "").strip(), (row["Code métier BMO"] or "").strip()
        if not BASIN_CODE.match(basin):
            report.error(bmo_name, line, "BE24", "code de bassin à 4 chiffres attendu", basin)
        if not JOB_CODE.match(code):
            report.error(bmo_name, line, "Code métier BMO", "code FAP 2021 attendu (ex. A0X40)", code)
        values = {f: _count(report, bmo_name, line, f, row[f]) for f in ("met", "xmet", "smet")}
        if values["met"] is not None and values["xmet"] is not None and values["xmet"] > values["met"]:
            report.error(bmo_name, line, "xmet", "plus de projets difficiles que de projets", row["xmet"])
        dep = (row["Dept"] or "").strip()
        if not re.match(r"^(\d{2}|2[AB]|97\d)$", dep):
            report.error(bmo_name, line, "Dept", "code de département attendu", dep)
        key = (int(year), basin, dep, code)
        if key in jobs:
            report.error(
                bmo_name,
                line,
                "Code métier BMO",
                "métier en double pour ce bassin, ce département et cette année",
                code,
            )
        basins[basin] = (row["NOMBE24"] or "").strip()
        jobs[key] = {
            "job_name": (row["Nom métier BMO"] or "").strip()[:200],
            "family_code": (row["Famille_met"] or "").strip()[:2],
            "family_label": (row["Lbl_fam_met"] or "").strip()[:100],
            "projects": values["met"],
            "difficult": values["xmet"],
            "seasonal": values["smet"],
        }
    fields, rows = _read(Path(bassins_path))
    missing = [c for c in BASSIN_COLUMNS if c not in fields]
    if missing:
        report.error(bassins_name, 1, None, f"colonnes manquantes : {', '.join(missing)}")
        report.raise_if_errors("Table des bassins invalide.")
    communes: dict[str, str] = {}
    for line, row in rows:
        commune, basin = (row["code_commune_insee"] or "").strip(), (row["code_bassin_BMO"] or "").strip()
        if not COMMUNE_CODE.match(commune):
            report.error(bassins_name, line, "code_commune_insee", "code INSEE de commune attendu", commune)
        if not BASIN_CODE.match(basin):
            report.error(bassins_name, line, "code_bassin_BMO", "code de bassin à 4 chiffres attendu", basin)
        communes[commune] = basin
        basins.setdefault(basin, (row["lib_bassin_BMO"] or "").strip())
    report.raise_if_errors("Import BMO refusé : aucune ligne n'a été écrite.")
    return basins, communes, jobs, bmo_name, report.warnings


def _write(actor, basins, communes, jobs, name) -> BmoImportResult:
    existing_basins = dict(BmoBasin.objects.values_list("code", "name"))
    BmoBasin.objects.bulk_create(
        [BmoBasin(code=c, name=n) for c, n in basins.items() if c not in existing_basins], batch_size=1000
    )
    for code, label in basins.items():
        if code in existing_basins and existing_basins[code] != label and label:
            BmoBasin.objects.filter(code=code).update(name=label)
    current = dict(BmoBasinCommune.objects.values_list("commune_code", "basin_id"))
    BmoBasinCommune.objects.bulk_create(
        [BmoBasinCommune(commune_code=c, basin_id=b) for c, b in communes.items() if c not in current],
        batch_size=2000,
    )
    for commune, basin in communes.items():
        if commune in current and current[commune] != basin:
            BmoBasinCommune.objects.filter(commune_code=commune).update(basin_id=basin)
    fields = ["job_name", "family_code", "family_label", "projects", "difficult", "seasonal"]
    years = {key[0] for key in jobs}
    before = {
        (j.year, j.basin_id, j.departement, j.job_code): j
        for j in BmoJob.objects.filter(year__in=years, basin_id__in=basins)
    }
    create, update, unchanged = [], [], 0
    for (year, basin, dep, code), values in jobs.items():
        job = before.get((year, basin, dep, code))
        if job is None:
            create.append(BmoJob(year=year, basin_id=basin, departement=dep, job_code=code, **values))
        elif any(getattr(job, f) != values[f] for f in fields):
            for f in fields:
                setattr(job, f, values[f])
            update.append(job)
        else:
            unchanged += 1
    BmoJob.objects.bulk_create(create, batch_size=2000)
    BmoJob.objects.bulk_update(update, fields, batch_size=2000)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        object_type="prospects.bmojob",
        details={"file": name, "created": len(create), "updated": len(update), "unchanged": unchanged},
    )
    return BmoImportResult(len(basins), len(communes), len(create), len(update), unchanged)


def basin_figures(year: int | None = None) -> dict[str, dict]:
    """Per basin: hiring projects (published ones), and the share judged difficult."""
    jobs = BmoJob.objects.all()
    if year is None:
        year = jobs.order_by("-year").values_list("year", flat=True).first()
    out: dict[str, dict] = {}
    for basin, projects, difficult in jobs.filter(year=year).values_list("basin_id", "projects", "difficult"):
        figures = out.setdefault(basin, {"projects": 0, "difficult": 0, "base": 0, "year": year})
        if projects is not None:
            figures["projects"] += projects
            if difficult is not None:
                figures["difficult"] += difficult
                figures["base"] += projects
    for figures in out.values():
        figures["difficult_share"] = figures["difficult"] / figures["base"] if figures["base"] else None
    return out


def commune_labour(commune_codes) -> dict[str, tuple[float, float | None]]:
    """Commune code -> (hiring projects in its basin, share difficult) for the communes of a BMO basin."""
    figures = basin_figures()
    mapping = BmoBasinCommune.objects.filter(commune_code__in=list(commune_codes)).values_list(
        "commune_code", "basin_id"
    )
    return {
        commune: (figures[basin]["projects"], figures[basin]["difficult_share"])
        for commune, basin in mapping
        if basin in figures
    }


def basin_jobs(basin_code: str, year: int) -> list[dict]:
    """The BMO jobs of one bassin, most hiring projects first: a bassin the survey publishes in two départements
    (Sélestat: Bas-Rhin and Haut-Rhin) adds its cells; secret cells are counted apart and a job whose every cell
    is secret has `projects` None (unknown, never 0). The answer file and the skills pages read this."""
    rows: dict[str, dict] = {}
    for job in BmoJob.objects.filter(basin_id=basin_code, year=year).order_by("job_code", "departement"):
        row = rows.setdefault(
            job.job_code,
            {"code": job.job_code, "name": job.job_name, "projects": None, "difficult": 0, "base": 0,
             "secret_cells": 0},
        )  # fmt: skip
        if job.projects is None:
            row["secret_cells"] += 1
            continue
        row["projects"] = (row["projects"] or 0) + job.projects
        if job.difficult is not None:
            row["difficult"] += job.difficult
            row["base"] += job.projects
    for row in rows.values():
        row["difficult_share"] = row["difficult"] / row["base"] if row["base"] else None
    return sorted(rows.values(), key=lambda r: (r["projects"] is None, -(r["projects"] or 0), r["code"]))


def basin_market(commune_code: str | None, skills=(), top: int = 5) -> dict | None:
    """The labour market of a commune's basin for the answer file: totals, top occupations, asked skills.
    A skill asked as a ROME code (a job title resolved by `skills.jobs`) is read through its FAP 2021 family in
    force (`skills.selectors.rome_fap_in_force`, the gaps' rule); a title left unresolved matches nothing."""
    link = BmoBasinCommune.objects.select_related("basin").filter(commune_code=commune_code).first()
    if link is None:
        return None
    figures = basin_figures().get(link.basin_id)
    if figures is None:
        return None
    jobs = [j for j in basin_jobs(link.basin_id, figures["year"]) if j["projects"] is not None]
    wanted = {s for s in skills if isinstance(s, str)}
    if any(ROME_ONLY.match(s) for s in wanted):
        # Imported here: the skills app builds on this module.
        from tandem.skills.selectors import rome_fap_in_force

        in_force = rome_fap_in_force()
        wanted |= {family for s in wanted for family, _ in in_force.get(s, [])}
    return {
        "basin": str(link.basin),
        "year": figures["year"],
        "projects": figures["projects"],
        "difficult_share": figures["difficult_share"],
        "top": jobs[:top],
        "skills": sorted((j for j in jobs if j["code"] in wanted), key=lambda j: j["code"]),
    }
