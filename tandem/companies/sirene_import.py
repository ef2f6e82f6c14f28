"""SIRENE stock import into PostgreSQL: stream the file through COPY, validate and transform in SQL, upsert.

Why this shape: the national stock has tens of millions of rows, so the file is never held in memory and
PostgreSQL does the parsing (COPY of ~16 MB chunks into a temporary table whose columns are the file's own
header, so columns are matched by name). Each chunk is then validated and filtered to the territory in one
SQL pass, changes against the current registry are recorded, and rows are upserted with
`INSERT … ON CONFLICT DO UPDATE … WHERE (something changed)`: re-importing the same file changes nothing.

A malformed row (bad structure, bad encoding, a value breaking its rule) is skipped and reported with its
line and field; every other row is imported. The national file cannot be all-or-nothing, so this is the
documented exception to the house rule; the whole run is still one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from tandem.companies import sirene_format as fmt
from tandem.companies.models import Company, Establishment, RegistryChange, RegistryImport
from tandem.core.audit import audit_record
from tandem.core.errors import Problem, UserError
from tandem.core.models import AuditEvent

CHUNK_BYTES = 16 * 1024 * 1024
MAX_LINES_IN_A_FIELD = 100
MAX_PROBLEMS_KEPT = 1000
SIRENE_SOURCE = "INSEE, base SIRENE des entreprises et de leurs établissements (stock)"
SIRENE_LICENCE = "Licence Ouverte / Etalab 2.0"

# Lambert-93 (EPSG:2154, GRS80) to WGS84 in SQL: inverse Lambert conformal conic, then geodetic latitude from
# the conformal latitude by its series (error < 1e-9 rad). Computing it in SQL keeps the import one pass.
_L93 = {
    "n": 0.7256077650532670,
    "c": 11754255.426096,
    "xs": 700000.0,
    "ys": 12655612.049876,
    "e": 0.0818191910428158,
}
_E2 = _L93["e"] ** 2
_SERIES = (
    _E2 / 2 + 5 * _E2**2 / 24 + _E2**3 / 12 + 13 * _E2**4 / 360,
    7 * _E2**2 / 48 + 29 * _E2**3 / 240 + 811 * _E2**4 / 11520,
    7 * _E2**3 / 120 + 81 * _E2**4 / 1120,
    4279 * _E2**4 / 161280,
)


def _conformal_latitude_sql(x: str, y: str) -> str:
    """SQL expression of the conformal latitude (radians) from Lambert-93 columns `x`, `y`."""
    n, c, xs, ys = _L93["n"], _L93["c"], _L93["xs"], _L93["ys"]
    r = f"sqrt(power({x} - {xs}, 2) + power({y} - {ys}, 2))"
    return f"(2 * atan(exp(-ln({r} / {c}) / {n})) - pi() / 2)"


def _lambert_sql(x: str, y: str, chi: str | None = None) -> tuple[str, str]:
    """SQL expressions (latitude, longitude) in degrees from Lambert-93 columns `x`, `y`.

    `chi`: a column already holding the conformal latitude. The latitude series uses it five times; computed
    inline it would be evaluated five times per row (it was the single most expensive expression of the import).
    """
    n, xs, ys = _L93["n"], _L93["xs"], _L93["ys"]
    chi = chi or _conformal_latitude_sql(x, y)
    lat = (
        f"degrees({chi} + "
        + " + ".join(f"{k!r} * sin({2 * (i + 1)} * {chi})" for i, k in enumerate(_SERIES))
        + ")"
    )
    lon = f"(3 + degrees(atan(({x} - {xs}) / ({ys} - {y})) / {n}))"
    return lat, lon


@dataclass
class ImportResult:
    run: RegistryImport
    problems: list[Problem] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read by blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_header(path: Path) -> tuple[list[str], str, int]:
    """Column names, delimiter, and byte offset of the first data line."""
    with path.open("rb") as handle:
        raw = handle.readline()
    try:
        line = raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path.name}, ligne 1 : l'en-tête n'est pas en UTF-8.") from exc
    delimiter = ";" if line.count(";") > line.count(",") else ","
    header = next(csv.reader([line], delimiter=delimiter))
    return [h.strip() for h in header], delimiter, len(raw)


def _chunks(path: Path, start: int) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines (never cutting a quoted field): (number of the first line, bytes)."""
    line = 2
    with path.open("rb") as handle:
        handle.seek(start)
        while True:
            data = handle.read(CHUNK_BYTES)
            if not data:
                return
            if not data.endswith(b"\n"):
                data += handle.readline()
            extra = 0
            # A quoted field spans lines: keep reading to its end, but not forever (a stray quote would
            # otherwise pull the rest of the file into memory; that chunk then goes row by row).
            while data.count(b'"') % 2 and extra < MAX_LINES_IN_A_FIELD:
                more = handle.readline()
                if not more:
                    break
                data += more
                extra += 1
            yield line, data
            line += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


_ND = fmt.NOT_DIFFUSED
_SQL_TYPES = {
    "date": "date",
    "datetime": "timestamptz",
    "year": "int",
    "int": "int",
    "bool": "boolean",
    "number": "float8",
}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Importer:
    """One file, chunk by chunk. Each chunk is validated, filtered and upserted by one SQL statement.

    Two variants of that statement: the fast one checks values with cheap tests and casts them directly; if a
    cast fails or a SIRET appears twice in the chunk, PostgreSQL aborts it and the chunk is redone with the
    safe one (strict checks guarding every cast, duplicates resolved: the last row wins).
    """

    def __init__(self, *, path: Path, kind: str, header: list[str], delimiter: str, departements, run):
        self.path, self.kind, self.header, self.delimiter = path, kind, header, delimiter
        self.departements = sorted(departements) if departements else None
        self.run = run
        self.fields, _ = fmt.KINDS[kind]
        self.problems: list[Problem] = []
        self.rejected = 0
        self.rows_read = 0
        self.counts = {"in_territory": 0, "created": 0, "updated": 0, "changes": 0}
        self.latest_processed = None
        self.header_bytes = 0
        self.first_load = False  # the establishments table was empty when this import began
        self.status_column = {
            "etablissement": "statutDiffusionEtablissement",
            "unite_legale": "statutDiffusionUniteLegale",
        }.get(kind)

    # --- SQL building ------------------------------------------------------------------------------------
    def _col(self, name: str) -> str:
        # Only names from sirene_format (code constants) reach SQL this way; file headers go through
        # psycopg's identifier quoting (see `execute`).
        return f'r."{name}"'

    def _checks(self, f: fmt.Field) -> tuple[str, str]:
        """(cheap check, strict check) of one field, on the raw text (never NULL: FORCE_NOT_NULL)."""
        v = self._col(f.source)
        digits = "'0123456789'"
        if f.kind == "text":
            # octet_length is O(1); length (characters) is only computed for long UTF-8 values.
            cheap = strict = f"(octet_length({v}) <= {f.arg} or length({v}) <= {f.arg})"
        elif f.kind == "digits":
            cheap = strict = f"(length({v}) = {f.arg} and ltrim({v}, {digits}) = '')"
        elif f.kind == "choice":
            cheap = strict = f"{v} in ({', '.join(_quote(c) for c in f.arg)})"
        elif f.kind == "commune":
            cheap = strict = f"(length({v}) = 5 and ltrim({v}, '0123456789AB') = '')"
        elif f.kind == "date":
            cheap = f"{v} like '____-__-__'"
            strict = (
                f"({v} ~ '{fmt.DATE_RE}' and substr({v}, 9, 2)::int <= extract(day from "
                f"make_date(substr({v}, 1, 4)::int, substr({v}, 6, 2)::int, 1) + interval '1 month - 1 day'))"
            )
        elif f.kind == "datetime":
            cheap = f"{v} like '____-__-__T__:__:__%%'"
            strict = (
                f"({v} ~ '{fmt.DATETIME_RE}' and substr({v}, 9, 2)::int <= extract(day from "
                f"make_date(substr({v}, 1, 4)::int, substr({v}, 6, 2)::int, 1) + interval '1 month - 1 day'))"
            )
        elif f.kind == "year":
            cheap = strict = f"(length({v}) = 4 and ltrim({v}, {digits}) = '')"
        elif f.kind == "int":
            cheap = strict = f"(length({v}) <= 4 and ltrim({v}, {digits}) = '')"
        elif f.kind == "bool":
            cheap = strict = f"{v} in ('true', 'false')"
        elif f.kind == "number":
            cheap = f"ltrim({v}, '0123456789.-') = ''"
            strict = f"{v} ~ '{fmt.NUMBER_RE}'"
        else:
            raise ValueError(f.kind)
        if f.kind not in ("text", "bool"):
            empty = f"{v} = ''" if not f.protected else f"{v} in ('', '{_ND}')"
            if not f.required:
                cheap, strict = f"({empty} or {cheap})", f"({empty} or {strict})"
        elif f.kind == "bool" and not f.required:
            cheap = strict = f"{v} in ('', 'true', 'false')"
        return cheap, strict

    def _value(self, f: fmt.Field, *, safe: bool) -> str:
        if f.source not in self.header:
            # An optional column this release does not have.
            return {"text": "''", "digits": "''", "choice": "''", "commune": "''", "bool": "false"}.get(
                f.kind, f"null::{_SQL_TYPES.get(f.kind)}"
            )
        v = self._col(f.source)
        nd = f"case when {v} = '{_ND}' then '' else {v} end" if f.protected else v
        blank = "''"
        if f.kind in ("text", "digits", "choice", "commune"):
            value = nd
        elif f.kind == "bool":
            value, blank = f"({v} = 'true')", "false"
        else:
            blank = "null"
            cast = {
                "date": f"nullif({v}, '')::date",
                "datetime": f"(nullif({v}, '')::timestamp at time zone 'Europe/Paris')",
                "year": f"nullif({v}, '')::int",
                "int": f"nullif({v}, '')::int",
                "number": f"nullif(nullif({v}, ''), '{_ND}')::float8",
            }[f.kind]
            value = f"case when {self._checks(f)[1]} then {cast} end" if safe else cast
        if f.protected and self.status_column in self.header:
            value = f"case when {self._col(self.status_column)} = 'O' then {value} else {blank} end"
        return value

    def _row_ok(self, *, safe: bool) -> str:
        parts = []
        for f in self.fields:
            if f.source in self.header:
                cheap, strict = self._checks(f)
                parts.append(f"({cheap} and {strict})" if safe and strict != cheap else cheap)
        if self.kind == "etablissement":
            parts.append(f"{self._col('siret')} = {self._col('siren')} || {self._col('nic')}")
        return " and ".join(parts) or "true"

    def _territory_filter(self) -> str:
        if self.kind == "etablissement":
            if not self.departements:
                return "true"
            cc = self._col("codeCommuneEtablissement")
            if all(len(d) == 2 and d not in ("97", "98") for d in self.departements):
                # No overseas département kept: the first two characters decide (same answer, cheaper).
                return f"left({cc}, 2) = any(%(deps)s)"
            return f"(case when left({cc}, 2) in ('97', '98') then left({cc}, 3) else left({cc}, 2) end) = any(%(deps)s)"
        if self.kind == "unite_legale" and not self.departements:
            return "true"
        # Legal units and coordinates have no location: keep those of the territory's establishments.
        table, key = (
            ("companies_company", "siren")
            if self.kind == "unite_legale"
            else ("companies_establishment", "siret")
        )
        return f"exists (select 1 from {table} t where t.{key} = {self._col(key)})"  # noqa: S608 (identifiers from code constants)

    def _new_rows_sql(self, *, safe: bool) -> str:
        """The chunk's rows of the territory, transformed, with `_ok` telling whether they are valid."""
        columns = [f"{self._value(f, safe=safe)} as {f.target}" for f in self.fields]
        columns += [f"{self._row_ok(safe=safe)} as _ok", "r._line as _line"]
        join = ""
        if self.kind == "etablissement":
            cc = self._col("codeCommuneEtablissement")
            columns += [
                f"(case when left({cc}, 2) in ('97', '98') then left({cc}, 3) else left({cc}, 2) end) as _departement",
                "c.code as _commune",
            ]
            join = f"left join territories_commune c on c.code = {cc}"
        rows = f"select {', '.join(columns)} from sirene_raw r {join} where {self._territory_filter()}"  # noqa: S608 (identifiers from code constants)
        if self.kind != "etablissement":
            return rows
        # The conformal latitude, once per row, where Lambert-93 applies (metropolitan France; overseas, INSEE
        # uses local projections). The guard also keeps ln() away from non-positive values. OFFSET 0 keeps the
        # inner query apart, so that each column expression is evaluated once.
        chi = _conformal_latitude_sql("s.lambert_x", "s.lambert_y")
        metropolitan = (
            "s.lambert_x > 0 and s.lambert_y > 0 and s.lambert_y < 12655612"
            " and s._departement not in ('971', '972', '973', '974', '975', '976', '977', '978', '986', '987', '988')"
        )
        return f"select s.*, case when {metropolitan} then {chi} end as _chi from ({rows} offset 0) s"  # noqa: S608 (identifiers from code constants)

    # --- the run --------------------------------------------------------------------------------------
    def execute(self) -> None:
        with connection.cursor() as cursor:
            self.cursor = cursor
            # A chunk's transformed rows (tens of MB) stay in memory rather than spilling to temporary files;
            # SET LOCAL ends with the import's transaction.
            cursor.execute("set local work_mem = '256MB'")
            # Rebuilding the deferred indexes sorts millions of keys: in memory rather than on disk.
            cursor.execute("set local maintenance_work_mem = '512MB'")
            # The staging table has no statistics (analysing each chunk would cost more than it saves): the
            # planner then sorts a chunk to merge-join it with the communes, where a hash join is cheaper.
            cursor.execute("set local enable_mergejoin = off")
            # The staging table has no statistics (analysing each chunk would cost more than it saves): the
            # planner then sorts a chunk to merge-join it with the communes, where a hash join is cheaper.
            cursor.execute("set local enable_mergejoin = off")
            cursor.execute(
                "drop table if exists sirene_raw; drop sequence if exists sirene_line;"
                "create temporary sequence sirene_line"
            )
            # Header names come from the file: quoted by psycopg, never pasted into SQL.
            cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(name)) for name in self.header)
            raw = sql.SQL(
                "create temporary table sirene_raw ({}, _line bigint default nextval('sirene_line'))"
            )
            cursor.execute(raw.format(cols).as_string(cursor.connection))
            deferred = self._defer_indexes()
            for first_line, data in _chunks(self.path, self.header_bytes):
                self._load_chunk(first_line, data)
                self._process_chunk()
            if deferred:
                cursor.execute("set constraints all immediate; set constraints all deferred")
            for definition in deferred:
                cursor.execute(definition)
            cursor.execute("drop table if exists sirene_raw; drop sequence if exists sirene_line")

    def _defer_indexes(self) -> list[str]:
        """First load into an empty table: drop its secondary indexes and rebuild them at the end.

        Building an index once over millions of rows is several times cheaper than updating it row by row.
        The primary key stays (the upsert needs it). DDL is transactional: a failed import restores them.
        """
        tables = {
            "etablissement": ["companies_establishment", "companies_company"],
            "unite_legale": ["companies_company"],
        }.get(self.kind, [])
        empty = []
        for table in tables:
            self.cursor.execute(f"select not exists (select 1 from {table})")  # noqa: S608 (constant table name)
            if self.cursor.fetchone()[0]:
                empty.append(table)
        self.first_load = "companies_establishment" in empty
        if not empty:
            return []
        # Index DDL is refused while foreign-key checks are pending on the table: run those checks now.
        self.cursor.execute("set constraints all immediate; set constraints all deferred")
        self.cursor.execute(
            "select i.indexname, i.indexdef from pg_indexes i where i.schemaname = current_schema()"
            " and i.tablename = any(%s) and i.indexname not in (select c.conname from pg_constraint c"
            " where c.conrelid::regclass::text = any(%s))",
            [empty, empty],
        )
        indexes = self.cursor.fetchall()
        for name, _definition in indexes:
            self.cursor.execute(
                sql.SQL("drop index {}").format(sql.Identifier(name)).as_string(self.cursor.connection)
            )
        return [definition for _name, definition in indexes]

    def _copy_sql(self, with_line: bool):
        cols = [sql.Identifier(name) for name in self.header]
        names = sql.SQL(", ").join(cols)
        if with_line:
            cols.append(sql.Identifier("_line"))
        # FORCE_NOT_NULL: empty fields read as '' (not NULL), so checks need no coalesce.
        return sql.SQL(
            "copy sirene_raw ({}) from stdin (format csv, delimiter {}, force_not_null ({}))"
        ).format(sql.SQL(", ").join(cols), sql.Literal(self.delimiter), names)

    def _load_chunk(self, first_line: int, data: bytes) -> None:
        cursor = self.cursor
        cursor.execute("select setval('sirene_line', %s, false)", [first_line])
        try:
            with transaction.atomic():
                copy_cursor = cursor.connection.cursor()
                with copy_cursor.copy(self._copy_sql(False)) as copy:
                    copy.write(data)
            self.rows_read += copy_cursor.rowcount
        except (psycopg.Error, UnicodeError):
            # COPY refuses a whole chunk for one bad row: redo this chunk row by row.
            cursor.execute("truncate sirene_raw")
            self._load_chunk_row_by_row(first_line, data)

    def _load_chunk_row_by_row(self, first_line: int, data: bytes) -> None:
        """The slow path for a chunk COPY refused: find the bad rows, report them, load the others."""
        good_lines: list[str] = []
        numbers: list[int] = []
        for offset, raw in enumerate(data.splitlines(keepends=True)):
            number = first_line + offset
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.rows_read += 1
                self._problem(number, None, "ligne illisible : le fichier doit être encodé en UTF-8")
                continue
            if "\x00" in text:
                self.rows_read += 1
                self._problem(number, None, "caractère nul dans la ligne")
                continue
            if not text.strip():
                continue  # a blank line is not a row
            good_lines.append(text)
            numbers.append(number)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\n")
        expected = len(self.header)
        # Here each physical line is one row, so that a stray quote costs its own line only (INSEE's files
        # have no line breaks inside fields).
        for text, number in zip(good_lines, numbers, strict=True):
            self.rows_read += 1
            try:
                row = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter, strict=True))
            except csv.Error:
                self._problem(number, None, "guillemets mal placés (structure de ligne invalide)")
                continue
            if len(row) != expected:
                self._problem(
                    number, None, f"{len(row)} champs au lieu de {expected} (structure de ligne invalide)"
                )
                continue
            writer.writerow([*row, number])
        with self.cursor.connection.cursor().copy(self._copy_sql(True)) as copy:
            copy.write(out.getvalue())

    def _problem(self, line: int, field_name: str | None, message: str, value=None) -> None:
        self.rejected += field_name is None
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(Problem(self.path.name, line, field_name, message, value))

    def _process_chunk(self) -> None:
        try:
            with transaction.atomic():
                counts = self._run_statement(safe=False)
        except DatabaseError:
            # A value the cheap checks let through did not cast, or a SIRET appears twice: redo safely.
            counts = self._run_statement(safe=True)
        in_territory, bad, created, updated, changes, latest = counts
        self.counts["in_territory"] += in_territory - bad
        self.counts["created"] += created
        self.counts["updated"] += updated
        self.counts["changes"] += changes
        if latest and (self.latest_processed is None or latest > self.latest_processed):
            self.latest_processed = latest
        if bad:
            self._report_bad_rows()
        self.cursor.execute("truncate sirene_raw")

    def _report_bad_rows(self) -> None:
        """Name the line and the field of each invalid row of the chunk (they were not imported)."""
        checks = []
        for f in self.fields:
            if f.source in self.header:
                cheap, strict = self._checks(f)
                checks.append((f, f"({cheap} and {strict})"))
        flags = ", ".join(f"case when not {ok} then {_quote(f.source)} end" for f, ok in checks)
        self.cursor.execute(
            f"select r._line, array_remove(array[{flags}]::text[], null), to_jsonb(r) from sirene_raw r"  # noqa: S608 (identifiers from code constants)
            f" where {self._territory_filter()} and not ({self._row_ok(safe=True)}) order by r._line",
            {"deps": self.departements},
        )
        messages = {f.source: f.message or _DEFAULT_MESSAGES[f.kind](f) for f in self.fields}
        for line, names, raw in self.cursor.fetchall():
            raw = json.loads(raw) if isinstance(raw, str) else raw  # Django reads jsonb as text
            self.rejected += 1
            if not names:  # only the SIRET = SIREN + NIC rule is broken
                self._problem(line, "siret", "le SIRET doit être le SIREN suivi du NIC", raw.get("siret"))
            for name in names:
                self._problem(line, name, messages[name], raw.get(name))

    def _run_statement(self, *, safe: bool):
        statement = getattr(self, f"_statement_{self.kind}")(safe=safe)
        self.cursor.execute(statement, {"run": self.run.pk, "deps": self.departements})
        return self.cursor.fetchone()

    def _upsert(
        self, *, table: str, key: str, columns: list[str], compared: list[str], select: str, safe: bool
    ) -> str:
        source = (
            f"(select distinct on ({key}) * from new where _ok order by {key}, _line desc) n"  # noqa: S608 (identifiers from code constants)
            if safe
            else "new n"
        )
        where = "" if safe else " where n._ok"
        sets = ", ".join(f"{c} = excluded.{c}" for c in compared)
        distinct = " or ".join(f"t.{c} is distinct from excluded.{c}" for c in compared)
        return (
            f"insert into {table} as t ({', '.join(columns)}, last_import_id, imported_at, updated_at)"  # noqa: S608 (identifiers from code constants)
            f" select {select}, %(run)s, now(), now() from {source}{where}"
            f" on conflict ({key}) do update set {sets}, last_import_id = excluded.last_import_id,"
            f" updated_at = excluded.updated_at where {distinct}"
        )

    def _statement_etablissement(self, *, safe: bool) -> str:
        lat, lon = _lambert_sql("n.lambert_x", "n.lambert_y", chi="n._chi")
        compared = [
            "siren", "nic", "diffusion", "is_head_office", "state", "state_since", "closed_on", "created_on", "naf",
            "naf_nomenclature", "crafts_naf", "headcount_band", "headcount_year", "employer", "signboard",
            "usual_name", "address_complement", "street_number", "street_number_suffix", "street_type",
            "street_name", "postcode", "commune_label", "special_distribution", "cedex_code", "cedex_label",
            "foreign_country_code", "foreign_country_label", "address_id", "commune_code", "departement_code",
            "commune_id", "lambert_x", "lambert_y", "latitude", "longitude", "periods_count",
            "registry_processed_at",
        ]  # fmt: skip
        special = {
            "closed_on": "case when n.state = 'F' then n.state_since end",
            "signboard": "concat_ws(' ', nullif(n.signboard1, ''), nullif(n.signboard2, ''), nullif(n.signboard3, ''))",
            "departement_code": "n._departement",
            "commune_id": "n._commune",
            # Coordinates: those of the file (géo-SIRENE), else computed from Lambert-93 in metropolitan
            # France (overseas, INSEE uses local projections).
            # `_chi` is null outside metropolitan France (see `_new_rows_sql`).
            "latitude": f"coalesce(n.latitude, case when n._chi is not null then {lat} end)",
            "longitude": f"coalesce(n.longitude, case when n._chi is not null then {lon} end)",
        }
        special["geolocation_quality"] = "''"  # set by the geolocated stock only
        columns = ["siret", *compared, "geolocation_quality"]
        select = ", ".join(special.get(c, f"n.{c}") for c in columns)
        upsert = self._upsert(
            table="companies_establishment",
            key="siret",
            columns=columns,
            compared=compared,
            select=select,
            safe=safe,
        )
        companies = (
            f"with new as materialized ({self._new_rows_sql(safe=safe)}),"  # noqa: S608 (identifiers from code constants)
            f" companies as ({self._missing_companies_sql('(select siren from new where _ok)')}),"
        )
        if self.first_load and not safe:
            # First load into an empty table: nothing to compare, nothing changed; a plain insert. A SIRET
            # already inserted by an earlier chunk makes it fail, and that chunk is redone by the upsert.
            # (Streaming the insert from the staging table instead of the materialised chunk was measured
            # slower: the planner, without statistics on the staging table, then picks worse plans.)
            return (
                f"{companies} up as (insert into companies_establishment ({', '.join(columns)}, last_import_id,"  # noqa: S608 (identifiers from code constants)
                f" imported_at, updated_at) select {select}, %(run)s, now(), now() from new n where n._ok)"
                " select (select count(*) from new), (select count(*) from new where not _ok),"
                " (select count(*) from new where _ok), 0, 0, (select max(registry_processed_at) from new)"
            )
        # The RETURNING sub-query reads the table as it was before this statement: the previous vintage.
        return (
            f"{companies}"  # noqa: S608 (identifiers from code constants)
            f" up as ({upsert} returning t.siret, t.siren, t.state, t.headcount_band, t.naf, t.commune_code,"
            " t.closed_on, t.state_since, t.registry_processed_at, (t.xmax = 0) as inserted,"
            " case when t.xmax <> 0 then (select array[o.state, o.headcount_band, o.naf, o.commune_code]"
            " from companies_establishment o where o.siret = t.siret) end as old),"
            " changes as (insert into companies_registrychange (run_id, siren, siret, kind, old_value, new_value,"
            " effective_on, detected_at)"
            " select %(run)s, u.siren, u.siret, k.kind, k.old, k.new, k.effective_on, now() from up u"
            " cross join lateral (values"
            "  ('closure', u.old[1], u.state, u.closed_on, u.old[1] = 'A' and u.state = 'F'),"
            "  ('reopening', u.old[1], u.state, u.state_since, u.old[1] = 'F' and u.state = 'A'),"
            "  ('headcount', u.old[2], u.headcount_band, null::date,"
            "   u.old[2] <> u.headcount_band and u.old[2] <> '' and u.headcount_band <> ''),"
            "  ('naf', u.old[3], u.naf, u.state_since, u.old[3] <> u.naf and u.old[3] <> '' and u.naf <> ''),"
            "  ('commune', u.old[4], u.commune_code, u.state_since,"
            "   u.old[4] <> u.commune_code and u.old[4] <> '' and u.commune_code <> '')"
            " ) as k(kind, old, new, effective_on, happened) where not u.inserted and k.happened returning 1)"
            " select (select count(*) from new), (select count(*) from new where not _ok),"
            " (select count(*) from up where inserted), (select count(*) from up where not inserted),"
            " (select count(*) from changes), (select max(registry_processed_at) from new)"
        )

    @staticmethod
    def _missing_companies_sql(source: str) -> str:
        """Create the company (SIREN) of each establishment of `source` that has none yet: legal units may come
        later (or never, outside the territory). `collate "C"`: a byte-wise sort of the digits, several times
        cheaper than the locale's."""
        return (
            "insert into companies_company (siren, legal_unit_loaded, diffusion, purged, name,"  # noqa: S608 (identifiers from code constants)
            " acronym, usual_name, last_name, usage_name, first_name, pseudonym, sex, legal_category, naf,"
            " naf_nomenclature, headcount_band, company_category, state, head_office_nic, ess, employer,"
            " association_id, imported_at, updated_at)"
            " select distinct s.siren collate \"C\", false, 'O', false, '', '', '', '', '', '', '', '', '', '',"
            f" '', '', '', '', '', '', '', '', now(), now() from {source} s where not exists"
            " (select 1 from companies_company o where o.siren = s.siren) on conflict (siren) do nothing"
        )

    def _statement_unite_legale(self, *, safe: bool) -> str:
        compared = [
            "diffusion", "purged", "name", "acronym", "usual_name", "last_name", "usage_name", "first_name",
            "pseudonym", "sex", "legal_category", "naf", "naf_nomenclature", "headcount_band", "headcount_year",
            "company_category", "company_category_year", "state", "state_since", "created_on", "ceased_on",
            "head_office_nic", "ess", "employer", "association_id", "periods_count", "registry_processed_at",
            "legal_unit_loaded",
        ]  # fmt: skip
        special = {
            "first_name": "coalesce(nullif(n.first_name, ''), n.first_name1)",
            "ceased_on": "case when n.state = 'C' then n.state_since end",
            "legal_unit_loaded": "true",
        }
        columns = ["siren", *compared]
        select = ", ".join(special.get(c, f"n.{c}") for c in columns)
        upsert = self._upsert(
            table="companies_company",
            key="siren",
            columns=columns,
            compared=compared,
            select=select,
            safe=safe,
        )
        return (
            f"with new as materialized ({self._new_rows_sql(safe=safe)}),"  # noqa: S608 (identifiers from code constants)
            f" up as ({upsert} returning t.siren, t.state, t.headcount_band, t.ceased_on, (t.xmax = 0) as inserted,"
            " case when t.xmax <> 0 then (select array[o.state, o.headcount_band, o.legal_unit_loaded::text]"
            " from companies_company o where o.siren = t.siren) end as old),"
            " changes as (insert into companies_registrychange (run_id, siren, siret, kind, old_value, new_value,"
            " effective_on, detected_at)"
            " select %(run)s, u.siren, null, k.kind, k.old, k.new, k.effective_on, now() from up u"
            " cross join lateral (values"
            "  ('cessation', u.old[1], u.state, u.ceased_on, u.old[1] = 'A' and u.state = 'C'),"
            "  ('headcount', u.old[2], u.headcount_band, null::date,"
            "   u.old[2] <> u.headcount_band and u.old[2] <> '' and u.headcount_band <> '')"
            " ) as k(kind, old, new, effective_on, happened)"
            " where not u.inserted and u.old[3] = 'true' and k.happened returning 1)"
            " select (select count(*) from new), (select count(*) from new where not _ok),"
            " (select count(*) from up where inserted), (select count(*) from up where not inserted),"
            " (select count(*) from changes), (select max(registry_processed_at) from new)"
        )

    def _statement_geolocalisation(self, *, safe: bool) -> str:
        lat, lon = _lambert_sql("s.lambert_x", "s.lambert_y")
        # Only diffusible establishments carry coordinates (see PROTECTED_ESTABLISHMENT_FIELDS).
        return (
            f"with new as materialized ({self._new_rows_sql(safe=safe)}),"  # noqa: S608 (identifiers from code constants)
            " s as (select siret, lambert_x, lambert_y, geolocation_quality,"
            f" coalesce(latitude, case when epsg = '2154' and lambert_y < 12655612 then {lat} end) as latitude,"
            f" coalesce(longitude, case when epsg = '2154' and lambert_y < 12655612 then {lon} end) as longitude"
            " from (select distinct on (siret) * from new where _ok order by siret, _line desc) s),"
            " up as (update companies_establishment t set lambert_x = s.lambert_x, lambert_y = s.lambert_y,"
            " latitude = s.latitude, longitude = s.longitude, geolocation_quality = s.geolocation_quality,"
            " last_import_id = %(run)s, updated_at = now() from s"
            " where t.siret = s.siret and t.diffusion = 'O' and ((t.lambert_x, t.lambert_y, t.latitude,"
            " t.longitude, t.geolocation_quality) is distinct from (s.lambert_x, s.lambert_y, s.latitude,"
            " s.longitude, s.geolocation_quality)) returning 1)"
            " select (select count(*) from new), (select count(*) from new where not _ok), 0,"
            " (select count(*) from up), 0, null::timestamptz"
        )


_DEFAULT_MESSAGES = {
    "text": lambda f: f"texte de plus de {f.arg} caractères",
    "digits": lambda f: f"{f.arg} chiffres attendus",
    "choice": lambda f: "valeur attendue : " + ", ".join(f.arg),
    "commune": lambda f: "code commune INSEE attendu (5 caractères)",
    "date": lambda f: "date AAAA-MM-JJ attendue",
    "datetime": lambda f: "date et heure AAAA-MM-JJTHH:MM:SS attendues",
    "year": lambda f: "année à 4 chiffres attendue",
    "int": lambda f: "nombre entier attendu",
    "bool": lambda f: "valeur attendue : true ou false",
    "number": lambda f: "nombre attendu",
}


def territory_departements(departements: list[str] | None) -> list[str] | None:
    """The départements to keep: those given, else those of the instance's Region organisations (None: all)."""
    from tandem.organizations.models import Organization
    from tandem.territories.models import Departement

    if departements:
        known = set(Departement.objects.filter(code__in=departements).values_list("code", flat=True))
        unknown = sorted(set(departements) - known)
        if unknown:
            raise UserError(f"Département(s) inconnu(s) : {', '.join(unknown)}.")
        return sorted(known)
    regions = Organization.objects.filter(kind=Organization.Kind.REGION, region__isnull=False).values(
        "region"
    )
    codes = sorted(Departement.objects.filter(region__in=regions).values_list("code", flat=True))
    return codes or None


def sirene_import(
    *, path: Path, actor, departements: list[str] | None = None, vintage: date | None = None
) -> ImportResult:
    """Import one SIRENE stock file (StockEtablissement, StockUniteLegale or the geolocated stock).

    Import establishments before legal units: with a territory filter, legal units are kept for the
    companies that have an establishment in the territory. Returns the run (counts, problems).
    """
    if connection.vendor != "postgresql":
        raise UserError("L'import SIRENE nécessite PostgreSQL (COPY) ; la base configurée n'en est pas une.")
    path = Path(path)
    if not path.exists():
        raise UserError(f"Fichier introuvable : {path}")
    header, delimiter, header_bytes = read_header(path)
    kind = fmt.detect_kind(header)
    if kind is None:
        raise UserError(
            f"{path.name}, ligne 1 : en-tête non reconnu (ni StockEtablissement, ni StockUniteLegale, ni stock"
            " géolocalisé)."
        )
    _fields, required = fmt.KINDS[kind]
    missing = [name for name in required if name not in header]
    if missing:
        raise UserError(
            f"{path.name}, ligne 1 : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}."
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise UserError(f"{path.name}, ligne 1 : colonne(s) en double : {', '.join(duplicated)}.")
    deps = territory_departements(departements)
    started = time.perf_counter()
    with transaction.atomic():
        run = RegistryImport.objects.create(
            kind=kind,
            file_name=path.name,
            file_sha256=file_sha256(path),
            file_size=path.stat().st_size,
            vintage=vintage,
            departements=deps or [],
            source=SIRENE_SOURCE,
            licence=SIRENE_LICENCE,
        )
        importer = _Importer(
            path=path, kind=kind, header=header, delimiter=delimiter, departements=deps, run=run
        )
        importer.header_bytes = header_bytes
        importer.execute()
        importer.problems.sort(key=lambda p: p.line or 0)
        counts = importer.counts
        run.rows_read = importer.rows_read
        run.rows_in_territory = counts["in_territory"]
        run.rows_rejected = importer.rejected
        run.created = counts["created"]
        run.updated = counts["updated"]
        run.unchanged = max(counts["in_territory"] - counts["created"] - counts["updated"], 0)
        run.changes_recorded = counts["changes"]
        run.problems = [
            {"line": p.line, "field": p.field, "message": p.message, "value": p.value}
            for p in importer.problems
        ]
        if run.vintage is None and importer.latest_processed:
            run.vintage = importer.latest_processed.date()
        run.duration_s = time.perf_counter() - started
        run.save()
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            obj=run,
            details={
                "file": path.name,
                "created": run.created,
                "updated": run.updated,
                "rejected": run.rows_rejected,
            },
        )
    return ImportResult(run=run, problems=importer.problems)


__all__ = [
    "Company",
    "Establishment",
    "ImportResult",
    "RegistryChange",
    "sirene_import",
    "territory_departements",
]
