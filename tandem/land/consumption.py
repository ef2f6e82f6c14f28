"""Import of the Cerema commune file of NAF land consumption (« consommation d'espaces naturels, agricoles et
forestiers »), published yearly by the Cerema on the Portail de l'artificialisation.

Layout (one row per commune, `;` or `,`, UTF-8 or Latin-1): `idcom` (INSEE code) and, for each year YY,
`nafYYartZZ` (m² of NAF land consumed between 1 January 20YY and 1 January 20ZZ, ZZ = YY + 1) and its split
`artYYactZZ` (activity), `artYYhabZZ` (housing), `artYYmixZZ` (mixed), `artYYrouZZ` (roads), `artYYferZZ` (rail),
`artYYincZZ` (unknown). Cumulated columns (`naf09art23`…) and the descriptive columns (`idcomtxt`, `epci23`,
populations…) are ignored. Every row is validated first; then everything is written in one transaction;
importing the same file again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from tandem.core.errors import Report, UserError
from tandem.imports.limits import import_limits
from tandem.imports.models import ImportRun
from tandem.imports.reader import read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start
from tandem.land.models import NafConsumption
from tandem.territories.models import Commune

TOTAL = re.compile(r"^naf(\d\d)art(\d\d)$")
SPLIT = re.compile(r"^art(\d\d)(act|hab|mix|rou|fer|inc)(\d\d)$")
SPLIT_FIELDS = {
    "act": "activity_m2",
    "hab": "housing_m2",
    "mix": "mixed_m2",
    "rou": "road_m2",
    "fer": "rail_m2",
    "inc": "unknown_m2",
}
VALUE_FIELDS = ("total_m2", *SPLIT_FIELDS.values())


@dataclass
class NafImportResult:
    rows: int
    created: int
    updated: int
    unchanged: int
    years: list[int]
    warnings: list
    run: ImportRun | None = None


def _year_columns(header: list[str]) -> dict[str, tuple[int, str]]:
    """Annual columns → (year, model field); cumulated multi-year columns are left out."""
    columns = {}
    for name in header:
        key = name.strip().lower()
        if m := TOTAL.match(key):
            start, end = int(m[1]), int(m[2])
            if end == start + 1:
                columns[name] = (2000 + start, "total_m2")
        elif m := SPLIT.match(key):
            start, end = int(m[1]), int(m[3])
            if end == start + 1:
                columns[name] = (2000 + start, SPLIT_FIELDS[m[2]])
    return columns


def _number(text: str) -> int | None:
    text = text.strip().replace(" ", "").replace(",", ".")
    if text == "":
        return 0
    value = float(text)
    if value < 0 or value != value:
        raise ValueError
    return round(value)


def naf_consumption_parse(*, path: Path, report: Report) -> dict[tuple[str, int], dict]:
    """Read and validate the whole file: {(commune code, year): {field: m²}}; problems go to `report`."""
    name = path.name
    table = read_table(path, name, limits=import_limits(), delimiters=(";", ","))
    header = table.header
    for problem in table.problems:
        report.error(problem.file, problem.line, None, problem.message, problem.value)
    if "idcom" not in [h.lower() for h in header]:
        raise UserError(
            f"{name} : colonne obligatoire « idcom » absente (fichier Cerema par commune attendu)."
        )
    columns = _year_columns(header)
    if not any(f == "total_m2" for _, f in columns.values()):
        raise UserError(
            f"{name} : aucune colonne annuelle « nafAAartBB » (ex. naf09art10) : "
            "ce n'est pas le fichier communal de consommation d'espaces du Cerema."
        )
    id_index = [h.lower() for h in header].index("idcom")
    index = {col: header.index(col) for col in columns}
    data: dict[tuple[str, int], dict] = {}
    for line, row in zip(table.lines, table.rows, strict=True):
        code = row[id_index].strip()
        if re.fullmatch(r"\d{4}", code):
            report.warning(name, line, "idcom", "code INSEE à 4 chiffres complété par un zéro initial", code)
            code = "0" + code
        if not re.fullmatch(r"\d[\dAB]\d{3}", code):
            report.error(name, line, "idcom", "code INSEE de commune invalide (5 caractères attendus)", code)
            continue
        for col, (year, field) in columns.items():
            raw = row[index[col]]
            try:
                value = _number(raw)
            except ValueError:
                report.error(name, line, col, "surface en m² attendue (nombre positif ou nul)", raw)
                continue
            key = (code, year)
            if key not in data:
                data[key] = dict.fromkeys(VALUE_FIELDS, 0)
            data[key][field] = value
    return data


def naf_consumption_import(
    *, path: Path, dry_run: bool = False, actor=None, run: ImportRun | None = None
) -> NafImportResult:
    """Validate the whole Cerema file, then write it in one transaction (created / updated / unchanged).
    Recorded as an import run; a refused file leaves only its run, a dry run nothing at all."""
    path = Path(path)
    run = import_run_start(
        kind=ImportRun.Kind.CONSUMPTION, actor=actor, paths=[path], dry_run=dry_run, run=run
    )
    with import_run_guard(run):
        return _naf_consumption_import(path, dry_run, run)


def _naf_consumption_import(path: Path, dry_run: bool, run: ImportRun) -> NafImportResult:
    report = Report()
    data = naf_consumption_parse(path=path, report=report)
    report.raise_if_errors(f"{path.name} : import refusé, rien n'a été écrit.")
    codes = {code for code, _ in data}
    known = set(Commune.objects.filter(pk__in=codes).values_list("pk", flat=True))
    existing = {
        (row.commune_code, row.year): row for row in NafConsumption.objects.filter(commune_code__in=codes)
    }
    to_create, to_update = [], []
    for (code, year), values in sorted(data.items()):
        row = existing.get((code, year))
        if row is None:
            to_create.append(
                NafConsumption(
                    commune_code=code,
                    commune_id=code if code in known else None,
                    year=year,
                    source_name=path.name,
                    **values,
                )
            )
        elif any(getattr(row, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(row, f, v)
            row.source_name = path.name
            to_update.append(row)
    if not dry_run:
        with transaction.atomic():
            NafConsumption.objects.bulk_create(to_create, batch_size=5000)
            NafConsumption.objects.bulk_update(to_update, [*VALUE_FIELDS, "source_name"], batch_size=5000)
    result = NafImportResult(
        rows=len(codes),
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(data) - len(to_create) - len(to_update),
        years=sorted({year for _, year in data}),
        warnings=report.warnings,
    )
    years = f"{result.years[0]}–{result.years[-1]}" if result.years else "aucune"
    result.run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=report.warnings,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        details={"notes": [f"{result.rows} commune(s), années {years}"]},
    )
    return result
