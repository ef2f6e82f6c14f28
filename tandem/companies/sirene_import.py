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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
from django.db import connection, transaction
from psycopg import sql

from tandem.companies import sirene_format as fmt
from tandem.companies.models import Company, Establishment, RegistryChange, RegistryImport
from tandem.core.audit import audit_record
from tandem.core.errors import Problem, UserError
from tandem.core.models import AuditEvent

CHUNK_BYTES = 16 * 1024 * 1024
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


def _lambert_sql(x: str, y: str) -> tuple[str, str]:
    """SQL expressions (latitude, longitude) in degrees from Lambert-93 columns `x`, `y`."""
    n, c, xs, ys = _L93["n"], _L93["c"], _L93["xs"], _L93["ys"]
    r = f"sqrt(power({x} - {xs}, 2) + power({y} - {ys}, 2))"
    chi = f"(2 * atan(exp(-ln({r} / {c}) / {n})) - pi() / 2)"
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
            while data.count(b'"') % 2:  # a quoted field spans lines: keep reading to its end
                more = handle.readline()
                if not more:
                    break
                data += more
            yield line, data
            line += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


class _Importer:
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

    # --- SQL building ------------------------------------------------------------------------------------
    def _src(self, name: str) -> str:
        # Columns the file does not have read as empty (optional columns of older or newer releases).
        return f"coalesce(r.\"{name}\", '')" if name in self.header else "''"

    def _rule(self, f: fmt.Field) -> tuple[str, str, str]:
        """(value expression, validity expression, French message) for one field, NULL-safe."""
        if f.source not in self.header:
            # An optional column this release does not have: a constant (PostgreSQL would fold casts of '').
            if f.kind in ("text", "code", "bool"):
                return ("''" if f.kind != "bool" else "false"), "true", ""
            return f"null::{self._sql_type(f)}", "true", ""
        v = self._src(f.source)
        nd = f"nullif({v}, '{fmt.NOT_DIFFUSED}')"
        if f.kind == "text":
            return f"coalesce({nd}, '')", f"length({v}) <= {f.arg}", f"texte de plus de {f.arg} caractères"
        if f.kind == "code":
            ok = f"{v} ~ '{f.arg}'"
            if not f.required:
                ok = f"({v} = '' or {v} = '{fmt.NOT_DIFFUSED}' or {ok})"
            return f"coalesce({nd}, '')", ok, f.message or "valeur invalide"
        if f.kind == "date":
            ok = (
                f"({v} = '' or ({v} ~ '{fmt.DATE_RE}' and substr({v}, 9, 2)::int <= extract(day from "
                f"make_date(substr({v}, 1, 4)::int, substr({v}, 6, 2)::int, 1) + interval '1 month - 1 day')))"
            )
            return f"case when {v} <> '' then {v}::date end", ok, "date AAAA-MM-JJ attendue"
        if f.kind == "datetime":
            ok = f"({v} = '' or {v} ~ '{fmt.DATETIME_RE}')"
            return (
                f"case when {v} <> '' then {v}::timestamp at time zone 'Europe/Paris' end",
                ok,
                "date et heure attendues",
            )
        if f.kind in ("year", "int"):
            pattern = r"^\d{4}$" if f.kind == "year" else r"^\d{1,4}$"
            return (
                f"case when {v} <> '' then {v}::int end",
                f"({v} = '' or {v} ~ '{pattern}')",
                "nombre entier attendu",
            )
        if f.kind == "bool":
            ok = f"{v} in ('true', 'false')" if f.required else f"{v} in ('', 'true', 'false')"
            return f"({v} = 'true')", ok, "valeur attendue : true ou false"
        if f.kind == "number":
            ok = f"({v} in ('', '{fmt.NOT_DIFFUSED}') or {v} ~ '{fmt.NUMBER_RE}')"
            return f"case when {v} ~ '{fmt.NUMBER_RE}' then {v}::float8 end", ok, "nombre attendu"
        raise ValueError(f.kind)

    def _rules(self):
        rules = []
        for f in self.fields:
            value, ok, message = self._rule(f)
            if f.required and f.source in self.header:
                ok = f"({ok} and {self._src(f.source)} <> '')"
            rules.append((f, value, ok, message))
        return rules

    def _territory_filter(self) -> str:
        if self.kind == "etablissement":
            if not self.departements:
                return "true"
            cc = self._src("codeCommuneEtablissement")
            dep = f"case when left({cc}, 2) in ('97', '98') then left({cc}, 3) else left({cc}, 2) end"
            return f"{dep} = any(%(deps)s)"
        # Legal units and coordinates have no location: keep those of the territory's establishments.
        if self.kind == "unite_legale" and not self.departements:
            return "true"
        table, key = (
            ("companies_company", "siren")
            if self.kind == "unite_legale"
            else ("companies_establishment", "siret")
        )
        return f'exists (select 1 from {table} t where t.{key} = r."{key}")'  # noqa: S608 (identifiers from code constants)

    # --- the run --------------------------------------------------------------------------------------
    def execute(self) -> None:
        with connection.cursor() as cursor:
            self.cursor = cursor
            self._create_tables()
            for first_line, data in _chunks(self.path, self.header_bytes):
                self._load_chunk(first_line, data)
                self._process_chunk()
            cursor.execute("drop table if exists sirene_raw; drop table if exists sirene_stage")

    def _create_tables(self) -> None:
        # Header names come from the file: quoted by psycopg, never pasted into SQL.
        cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(name)) for name in self.header)
        rules = self._rules()
        stage_cols = ", ".join(f"{f.target} {self._sql_type(f)}" for f, *_ in rules)
        self.cursor.execute(
            "drop table if exists sirene_raw; drop table if exists sirene_stage; drop sequence if exists sirene_line;"
            "create temporary sequence sirene_line"
        )
        raw = sql.SQL("create temporary table sirene_raw ({}, _line bigint default nextval('sirene_line'))")
        self.cursor.execute(raw.format(cols).as_string(self.cursor.connection))
        self.cursor.execute(
            f"create temporary table sirene_stage ({stage_cols}, _bad text[], _raw jsonb, _line bigint,"
            " _departement text, _commune text, _latitude float8, _longitude float8)"
        )

    @staticmethod
    def _sql_type(f: fmt.Field) -> str:
        return {
            "date": "date",
            "datetime": "timestamptz",
            "year": "int",
            "int": "int",
            "bool": "boolean",
            "number": "float8",
        }.get(f.kind, "text")

    def _copy_sql(self, with_line: bool):
        cols = [sql.Identifier(name) for name in self.header]
        if with_line:
            cols.append(sql.Identifier("_line"))
        return sql.SQL("copy sirene_raw ({}) from stdin (format csv, delimiter {})").format(
            sql.SQL(", ").join(cols), sql.Literal(self.delimiter)
        )

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
        reader = csv.reader(good_lines, delimiter=self.delimiter)
        expected = len(self.header)
        for row in reader:
            self.rows_read += 1
            number = numbers[min(reader.line_num, len(numbers)) - 1]
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
        cursor = self.cursor
        rules = self._rules()
        bad = (
            "array_remove(array["
            + ", ".join(f"case when not ({ok}) then '{f.source}' end" for f, _v, ok, _m in rules)
            + "]::text[], null)"
        )
        values = []
        for f, value, ok, _m in rules:
            expr = (
                f"case when {ok} then {value} end"
                if f.kind not in ("text", "code")
                else f"case when {ok} then {value} else '' end"
            )
            if f.protected and self.kind != "geolocalisation":
                status = self._src(
                    "statutDiffusionEtablissement"
                    if self.kind == "etablissement"
                    else "statutDiffusionUniteLegale"
                )
                expr = (
                    f"case when {status} = 'O' then {expr} end"
                    if f.kind not in ("text", "code")
                    else f"case when {status} = 'O' then {expr} else '' end"
                )
            values.append(expr)
        extra = "null, null, null, null"
        if self.kind == "etablissement":
            cc = self._src("codeCommuneEtablissement")
            extra = f"case when left({cc}, 2) in ('97', '98') then left({cc}, 3) else left({cc}, 2) end, c.code, null, null"
        join = (
            'left join territories_commune c on c.code = r."codeCommuneEtablissement"'
            if self.kind == "etablissement"
            else ""
        )
        cursor.execute(
            f"insert into sirene_stage select {', '.join(values)}, b.bad,"  # noqa: S608 (identifiers from code constants)
            f" case when cardinality(b.bad) > 0 then to_jsonb(r) end, r._line, {extra}"
            f" from sirene_raw r {join} cross join lateral (select {bad} as bad) b"
            f" where {self._territory_filter()}",
            {"deps": self.departements},
        )
        cursor.execute(
            "select _line, _bad, _raw from sirene_stage where cardinality(_bad) > 0 order by _line"
        )
        for line, bad_fields, raw in cursor.fetchall():
            self.rejected += 1
            for name in bad_fields:
                rule = next(r for r in rules if r[0].source == name)
                self._problem(line, name, rule[3], (raw or {}).get(name) if name in (raw or {}) else "")
        cursor.execute("delete from sirene_stage where cardinality(_bad) > 0")
        cursor.execute(
            "select count(*), max(registry_processed_at) from sirene_stage"
            if self.kind != "geolocalisation"
            else "select count(*), null from sirene_stage"
        )
        in_territory, latest = cursor.fetchone()
        self.counts["in_territory"] += in_territory
        if latest and (self.latest_processed is None or latest > self.latest_processed):
            self.latest_processed = latest
        getattr(self, f"_upsert_{self.kind}")()
        cursor.execute("truncate sirene_raw; truncate sirene_stage")

    def _count_upsert(self, statement: str, params=None) -> None:
        self.cursor.execute(
            f"with up as ({statement} returning (xmax = 0) as inserted)"  # noqa: S608 (identifiers from code constants)
            " select count(*) filter (where inserted), count(*) filter (where not inserted) from up",
            params,
        )
        created, updated = self.cursor.fetchone()
        self.counts["created"] += created
        self.counts["updated"] += updated

    def _record_changes(self, statement: str) -> None:
        self.cursor.execute(statement, {"run": self.run.pk})
        self.counts["changes"] += self.cursor.rowcount

    def _upsert_etablissement(self) -> None:
        lat, lon = _lambert_sql("s.lambert_x", "s.lambert_y")
        # Coordinates: those of the file when it has them (géo-SIRENE), else computed from Lambert-93
        # (metropolitan France only: overseas départements use local projections).
        self.cursor.execute(
            f"update sirene_stage s set latitude = {lat}, longitude = {lon} where s.latitude is null"  # noqa: S608 (identifiers from code constants)
            " and s.lambert_x is not null and s.lambert_y is not null and s._departement not like '97%%'"
            " and s._departement not like '98%%' and s.lambert_y < 12655612"
        )
        self.cursor.execute(
            "insert into companies_company (siren, legal_unit_loaded, diffusion, purged, name, acronym, usual_name,"
            " last_name, usage_name, first_name, pseudonym, sex, legal_category, naf, naf_nomenclature,"
            " headcount_band, company_category, state, head_office_nic, ess, employer, association_id,"
            " imported_at, updated_at)"
            " select distinct siren, false, 'O', false, '', '', '', '', '', '', '', '', '', '', '', '', '', '',"
            " '', '', '', '', now(), now() from sirene_stage on conflict (siren) do nothing"
        )
        compared = [
            "siren", "nic", "diffusion", "is_head_office", "state", "state_since", "closed_on", "created_on", "naf",
            "naf_nomenclature", "crafts_naf", "headcount_band", "headcount_year", "employer", "signboard",
            "usual_name", "address_complement", "street_number", "street_number_suffix", "street_type",
            "street_name", "postcode", "commune_label", "special_distribution", "cedex_code", "cedex_label",
            "foreign_country_code", "foreign_country_label", "address_id", "commune_code", "departement_code",
            "commune_id", "lambert_x", "lambert_y", "latitude", "longitude", "periods_count",
            "registry_processed_at",
        ]  # fmt: skip
        select = {
            "siret": "s.siret",
            "closed_on": "case when s.state = 'F' then s.state_since end",
            "signboard": "concat_ws(' ', nullif(s.signboard1, ''), nullif(s.signboard2, ''), nullif(s.signboard3, ''))",
            "departement_code": "coalesce(s._departement, '')",
            "commune_id": "s._commune",
            "geolocation_quality": "''",
        }
        columns = ["siret", *compared, "geolocation_quality"]
        exprs = [select.get(col, f"s.{col}") for col in columns]
        new = "select distinct on (s.siret) " + ", ".join(
            f"{e} as {c}" for e, c in zip(exprs, columns, strict=True)
        )
        new += " from sirene_stage s order by s.siret, s._line desc"
        self.cursor.execute(f"create temporary table sirene_new as {new}")
        # What changed since the registry's current state (the previous vintage), before overwriting it.
        self._record_changes(
            "insert into companies_registrychange (run_id, siren, siret, kind, old_value, new_value, effective_on,"
            " detected_at)"
            " select %(run)s, n.siren, n.siret, k.kind, k.old, k.new, k.effective_on, now()"
            " from sirene_new n join companies_establishment e on e.siret = n.siret"
            " cross join lateral (values"
            "  ('closure', e.state, n.state, n.closed_on, e.state = 'A' and n.state = 'F'),"
            "  ('reopening', e.state, n.state, n.state_since, e.state = 'F' and n.state = 'A'),"
            "  ('headcount', e.headcount_band, n.headcount_band, null::date,"
            "   e.headcount_band <> n.headcount_band and e.headcount_band <> '' and n.headcount_band <> ''),"
            "  ('naf', e.naf, n.naf, n.state_since, e.naf <> n.naf and e.naf <> '' and n.naf <> ''),"
            "  ('commune', e.commune_code, n.commune_code, n.state_since,"
            "   e.commune_code <> n.commune_code and e.commune_code <> '' and n.commune_code <> '')"
            " ) as k(kind, old, new, effective_on, happened) where k.happened"
        )
        sets = ", ".join(f"{c} = excluded.{c}" for c in compared)
        distinct = " or ".join(f"t.{c} is distinct from excluded.{c}" for c in compared)
        self._count_upsert(
            f"insert into companies_establishment as t ({', '.join(columns)}, last_import_id, imported_at, updated_at)"  # noqa: S608 (identifiers from code constants)
            f" select n.*, %(run)s, now(), now() from sirene_new n"
            f" on conflict (siret) do update set {sets}, last_import_id = excluded.last_import_id,"
            f" updated_at = excluded.updated_at where {distinct}",
            {"run": self.run.pk},
        )
        self.cursor.execute("drop table sirene_new")

    def _upsert_unite_legale(self) -> None:
        compared = [
            "diffusion", "purged", "name", "acronym", "usual_name", "last_name", "usage_name", "first_name",
            "pseudonym", "sex", "legal_category", "naf", "naf_nomenclature", "headcount_band", "headcount_year",
            "company_category", "company_category_year", "state", "state_since", "created_on", "ceased_on",
            "head_office_nic", "ess", "employer", "association_id", "periods_count", "registry_processed_at",
            "legal_unit_loaded",
        ]  # fmt: skip
        select = {
            "first_name": "coalesce(nullif(s.first_name, ''), s.first_name1)",
            "ceased_on": "case when s.state = 'C' then s.state_since end",
            "legal_unit_loaded": "true",
        }
        columns = ["siren", *compared]
        exprs = [select.get(col, f"s.{col}") for col in columns]
        new = "select distinct on (s.siren) " + ", ".join(
            f"{e} as {c}" for e, c in zip(exprs, columns, strict=True)
        )
        new += " from sirene_stage s order by s.siren, s._line desc"
        self.cursor.execute(f"create temporary table sirene_new as {new}")
        self._record_changes(
            "insert into companies_registrychange (run_id, siren, siret, kind, old_value, new_value, effective_on,"
            " detected_at)"
            " select %(run)s, n.siren, null, k.kind, k.old, k.new, k.effective_on, now()"
            " from sirene_new n join companies_company e on e.siren = n.siren and e.legal_unit_loaded"
            " cross join lateral (values"
            "  ('cessation', e.state, n.state, n.ceased_on, e.state = 'A' and n.state = 'C'),"
            "  ('headcount', e.headcount_band, n.headcount_band, null::date,"
            "   e.headcount_band <> n.headcount_band and e.headcount_band <> '' and n.headcount_band <> '')"
            " ) as k(kind, old, new, effective_on, happened) where k.happened"
        )
        sets = ", ".join(f"{c} = excluded.{c}" for c in compared)
        distinct = " or ".join(f"t.{c} is distinct from excluded.{c}" for c in compared)
        self._count_upsert(
            f"insert into companies_company as t ({', '.join(columns)}, last_import_id, imported_at, updated_at)"  # noqa: S608 (identifiers from code constants)
            f" select n.*, %(run)s, now(), now() from sirene_new n"
            f" on conflict (siren) do update set {sets}, last_import_id = excluded.last_import_id,"
            f" updated_at = excluded.updated_at where {distinct}",
            {"run": self.run.pk},
        )
        self.cursor.execute("drop table sirene_new")

    def _upsert_geolocalisation(self) -> None:
        lat, lon = _lambert_sql("s.lambert_x", "s.lambert_y")
        self.cursor.execute(
            f"update sirene_stage s set latitude = {lat}, longitude = {lon} where s.latitude is null"  # noqa: S608 (identifiers from code constants)
            " and s.epsg = '2154' and s.lambert_x is not null and s.lambert_y is not null"
        )
        # Only diffusible establishments carry coordinates (see PROTECTED_ESTABLISHMENT_FIELDS).
        self.cursor.execute(
            "update companies_establishment t set lambert_x = s.lambert_x, lambert_y = s.lambert_y,"
            " latitude = s.latitude, longitude = s.longitude, geolocation_quality = s.geolocation_quality,"
            " last_import_id = %(run)s, updated_at = now()"
            " from (select distinct on (siret) * from sirene_stage order by siret, _line desc) s"
            " where t.siret = s.siret and t.diffusion = 'O' and ((t.lambert_x, t.lambert_y, t.latitude, t.longitude,"
            " t.geolocation_quality) is distinct from (s.lambert_x, s.lambert_y, s.latitude, s.longitude,"
            " s.geolocation_quality))",
            {"run": self.run.pk},
        )
        self.counts["updated"] += self.cursor.rowcount


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
