"""SIRENE stock import into PostgreSQL: rows checked outside the database, stored by binary COPY.

Why this shape: the national stock has tens of millions of rows, so the file is never held in memory: it is
read in ~16 MB chunks of whole lines. Each chunk is parsed, filtered to the territory, checked and turned
into registry rows column by column by Arrow's compute kernels (`sirene_rows`, matched to the header by
column name), then sent to PostgreSQL in its binary COPY format. Preparing a chunk runs in a worker thread
while the database stores the previous one, so the two cores work at the same time.

- First load (both registry tables empty): rows go straight into the tables by COPY, the companies
  (SIREN) of new establishments with them; secondary indexes are dropped first and rebuilt once at the end.
- Otherwise: rows go by COPY into a temporary table, then one statement per chunk creates the missing
  companies, records what changed against the current registry and upserts with
  `INSERT … ON CONFLICT DO UPDATE … WHERE (something changed)`: re-importing the same file changes nothing.

A malformed row (bad structure, bad encoding, a value breaking its rule) is skipped and reported with its
line and field; every other row is imported. The national file cannot be all-or-nothing, so this is the
documented exception to the house rule; the whole run is still one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from django.db import IntegrityError, connection, transaction
from psycopg import sql

from tandem.companies import sirene_format as fmt
from tandem.companies import sirene_rows as rows_
from tandem.companies.models import Company, Establishment, RegistryChange, RegistryImport
from tandem.core.audit import audit_record
from tandem.core.errors import Problem, UserError
from tandem.core.models import AuditEvent
from tandem.imports.models import ImportRun
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes

CHUNK_BYTES = 16 * 1024 * 1024
CHUNKS_AHEAD = 3  # chunks prepared in advance (memory: about 100 MB each)
MAX_LINES_IN_A_FIELD = 100
MAX_PROBLEMS_KEPT = 1000
SIRENE_SOURCE = "INSEE, base SIRENE des entreprises et de leurs établissements (stock)"
SIRENE_LICENCE = "Licence Ouverte / Etalab 2.0"
# Target table and key of each kind of file.
TARGETS = {
    "etablissement": ("companies_establishment", "siret"),
    "unite_legale": ("companies_company", "siren"),
    "geolocalisation": ("companies_establishment", "siret"),
}
_PG_TYPES = {
    pa.string(): "text",
    pa.date32(): "date",
    pa.int16(): "smallint",
    pa.int64(): "bigint",
    pa.float64(): "double precision",
    pa.bool_(): "boolean",
}


@dataclass
class ImportResult:
    run: ImportRun
    registry: RegistryImport
    problems: list[Problem] = field(default_factory=list)


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


def _pg_type(kind: pa.DataType) -> str:
    if pa.types.is_timestamp(kind):
        return "timestamptz"
    return _PG_TYPES[kind]


@dataclass
class _Chunk:
    """A chunk ready to store: checked rows, their binary COPY form, and what was wrong."""

    prepared: rows_.Prepared
    payload: list[bytes]
    rows_read: int
    problems: list[tuple[int, str | None, str, str | None]]  # (line, column, message, value)
    rejected: int
    latest: datetime | None = None  # the latest `dateDernierTraitement…` of the rows
    companies: list[bytes] = field(default_factory=list)  # first load: the new companies, binary COPY form


class _Importer:
    """One file, chunk by chunk: prepared in a worker thread (sirene_rows), stored by the calling thread."""

    def __init__(
        self,
        *,
        path: Path,
        kind: str,
        header: list[str],
        delimiter: str,
        header_bytes: int,
        departements,
        run,
    ):
        self.path, self.kind, self.header, self.delimiter = path, kind, header, delimiter
        self.header_bytes = header_bytes
        self.departements = sorted(departements) if departements else None
        self.run = run
        self.table, self.key = TARGETS[kind]
        self.problems: list[Problem] = []
        self.rejected = 0
        self.rows_read = 0
        self.counts = {"in_territory": 0, "created": 0, "updated": 0, "changes": 0}
        self.latest_processed = None
        self.first_load = False  # both registry tables were empty when this import began
        self.primary_key: tuple[str, str] | None = None  # (name, definition), dropped during a first load
        self.known_companies = np.array(
            [], dtype=np.int64
        )  # first load: SIREN created so far (worker thread)
        self.staging_ready = False
        self.now = datetime.now(UTC)
        # The file's SHA-256, computed along the way (the worker hashes each chunk it prepares).
        with path.open("rb") as handle:
            self.digest = hashlib.sha256(handle.read(self.header_bytes))

    # --- the run --------------------------------------------------------------------------------------
    def execute(self) -> None:
        with connection.cursor() as cursor:
            self.cursor = cursor
            # A chunk's rows stay in memory rather than spilling to temporary files; rebuilding the deferred
            # indexes sorts millions of keys, in memory too. SET LOCAL ends with the import's transaction.
            cursor.execute("set local work_mem = '256MB'")
            cursor.execute("set local maintenance_work_mem = '512MB'")
            restore = self._defer_indexes()
            self.rules = rows_.Rules(
                kind=self.kind,
                header=self.header,
                departements=self.departements,
                known_keys=self._known_keys(),
                communes=self._communes(),
            )
            for chunk in self._prepared_chunks():
                self._store(chunk)
            if restore or self.primary_key:
                cursor.execute("set constraints all immediate; set constraints all deferred")
                # Two processes per index build: the client has finished, both cores are free.
                cursor.execute("set local max_parallel_maintenance_workers = 1")
                if self.first_load:
                    self._restore_primary_key()
                for statement in restore:
                    cursor.execute(statement)
            cursor.execute("drop table if exists sirene_new")

    def _prepared_chunks(self) -> Iterator[_Chunk]:
        """Chunks prepared ahead in a worker thread (Arrow and the binary encoder release the GIL): the next
        chunks are checked while the database stores this one. A few chunks ahead, not one, so that neither
        side waits for the other when one chunk is quicker to prepare than to store or the reverse."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sirene") as pool:
            pending: deque = deque()
            for first_line, data in _chunks(self.path, self.header_bytes):
                pending.append(pool.submit(self._prepare_and_hash, first_line, data))
                if len(pending) > CHUNKS_AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def _known_keys(self) -> np.ndarray | None:
        """Legal units and coordinates belong to the territory when their key is already in the registry:
        those keys, as sorted integers (8 bytes a key; read as one comma-separated text parsed by numpy)."""
        if self.kind == "etablissement" or (self.kind == "unite_legale" and not self.departements):
            return None
        query = sql.SQL("select string_agg({key}, ',') from {table} where {key} ~ '^[0-9]+$'").format(
            key=sql.Identifier(self.key), table=sql.Identifier(self.table)
        )
        self.cursor.execute(query.as_string(self.cursor.connection))
        text = self.cursor.fetchone()[0]
        keys = np.fromstring(text, dtype=np.int64, sep=",") if text else np.array([], dtype=np.int64)
        keys.sort()
        return keys

    def _communes(self) -> pa.Array | None:
        if self.kind != "etablissement":
            return None
        self.cursor.execute("select code from territories_commune")
        return pa.array([code for (code,) in self.cursor.fetchall()], pa.string())

    def _defer_indexes(self) -> list[str]:
        """First load into empty tables: drop their secondary indexes and rebuild them at the end; returns the
        statements that restore them.

        Building an index once over millions of rows is several times cheaper than updating it row by row.
        On a first load of establishments their primary key goes too (with the foreign keys that lean on it,
        from tables that cannot hold a row for an establishment that does not exist yet): a SIRET twice in
        the file is then resolved at the end (`_restore_primary_key`). DDL is transactional: a failed import
        restores everything.
        """
        tables = {
            "etablissement": ["companies_establishment", "companies_company"],
            "unite_legale": ["companies_company"],
        }.get(self.kind, [])
        if not tables:
            return []
        # No other import may write these tables until this one ends (a second one waits here).
        self.cursor.execute(f"lock table {', '.join(tables)} in share row exclusive mode")
        empty = []
        for table in tables:
            self.cursor.execute(f"select not exists (select 1 from {table})")  # noqa: S608 (constant table name)
            if self.cursor.fetchone()[0]:
                empty.append(table)
        self.first_load = self.kind == "etablissement" and len(empty) == 2
        if not empty:
            return []
        # Index DDL is refused while foreign-key checks are pending on the table: run those checks now.
        self.cursor.execute("set constraints all immediate; set constraints all deferred")
        restore = []
        if self.first_load:
            self.cursor.execute(
                "select c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid) from pg_constraint c"
                " where c.confrelid = 'companies_establishment'::regclass and c.contype = 'f'"
            )
            for name, table, definition in self.cursor.fetchall():
                self._ddl("alter table {} drop constraint {}", table, name)
                restore.append(self._ddl_sql("alter table {} add constraint {} ", table, name) + definition)
            self.cursor.execute(
                "select conname, pg_get_constraintdef(oid) from pg_constraint"
                " where conrelid = 'companies_establishment'::regclass and contype = 'p'"
            )
            self.primary_key = self.cursor.fetchone()
            self._ddl("alter table {} drop constraint {}", "companies_establishment", self.primary_key[0])
            # Empty already, but truncating gives it fresh storage with no free space to reuse: COPY then
            # appends every row in file order, which `_restore_primary_key` relies on. Keep it.
            self.cursor.execute("truncate companies_establishment")
        self.cursor.execute(
            "select i.indexname, i.indexdef from pg_indexes i where i.schemaname = current_schema()"
            " and i.tablename = any(%s) and i.indexname not in (select c.conname from pg_constraint c"
            " where c.conrelid::regclass::text = any(%s))",
            [empty, empty],
        )
        indexes = self.cursor.fetchall()
        for name, _definition in indexes:
            self._ddl("drop index {}", name)
        # Indexes first, then the foreign keys (their check uses the primary key).
        return [definition for _name, definition in indexes] + restore

    def _ddl_sql(self, template: str, *names: str) -> str:
        return sql.SQL(template).format(*map(sql.Identifier, names)).as_string(self.cursor.connection)

    def _ddl(self, template: str, *names: str) -> None:
        self.cursor.execute(self._ddl_sql(template, *names))

    def _restore_primary_key(self) -> None:
        """The establishments' primary key, back after a first load. A SIRET twice in the file (in two chunks:
        within a chunk the last row was kept already) keeps its later row: rows were appended in file order
        to a freshly truncated table, so the later row has the greater physical position (ctid)."""
        name, definition = self.primary_key
        add = self._ddl_sql("alter table {} add constraint {} ", "companies_establishment", name) + definition
        try:
            with transaction.atomic():
                self.cursor.execute(add)
        except IntegrityError:
            self.cursor.execute(
                "delete from companies_establishment a using companies_establishment b"
                " where a.siret = b.siret and a.ctid < b.ctid"
            )
            self.counts["created"] -= self.cursor.rowcount
            self.cursor.execute(add)

    # --- preparing a chunk (worker thread: no database) ----------------------------------------------------
    def _prepare_and_hash(self, first_line: int, data: bytes) -> _Chunk:
        self.digest.update(data)  # chunks come in file order: the worker thread is the only one
        return self._prepare(first_line, data)

    def _prepare(self, first_line: int, data: bytes) -> _Chunk:
        problems: list[tuple[int, str | None, str, str | None]] = []
        table = rows_.parse_chunk(data, self.header, self.delimiter)
        if table is not None:
            lines = np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
            rows_read, rejected = table.num_rows, 0
        else:
            table, lines, rows_read, problems = self._split_row_by_row(first_line, data)
            rejected = len(problems)
        prepared = rows_.prepare(table, lines, self.rules)
        stamp = pa.scalar(self.now, pa.timestamp("us", tz="UTC"))
        n = prepared.rows.num_rows
        rows = prepared.rows
        if self.kind != "geolocalisation":
            rows = rows.append_column("last_import_id", pa.repeat(pa.scalar(self.run.pk, pa.int64()), n))
            rows = rows.append_column("imported_at", pa.repeat(stamp, n))
            rows = rows.append_column("updated_at", pa.repeat(stamp, n))
        prepared.rows = rows
        problems += prepared.problems
        chunk = _Chunk(
            prepared, rows_.copy_binary(rows) if n else [], rows_read, problems, rejected + prepared.rejected
        )
        if n and "registry_processed_at" in rows.column_names:
            chunk.latest = pc.max(rows.column("registry_processed_at")).as_py()
        if n and self.first_load:
            chunk.companies = self._new_companies(rows)
        return chunk

    def _new_companies(self, rows: pa.Table) -> list[bytes]:
        """First load: the companies (SIREN) of the chunk's establishments not created by an earlier chunk,
        known by their SIREN alone (the other columns take their database defaults)."""
        sirens = np.unique(rows_.numeric_keys(rows.column("siren").combine_chunks(), 9))
        new = sirens[~rows_.contains(self.known_companies, sirens)]
        # Sorted runs merge in linear time (stable sort).
        self.known_companies = np.sort(np.concatenate([self.known_companies, new]), kind="stable")
        if not len(new):
            return []
        stamp = pa.repeat(pa.scalar(self.now, pa.timestamp("us", tz="UTC")), len(new))
        siren = pc.utf8_lpad(pc.cast(pa.array(new), pa.string()), 9, "0")
        return rows_.copy_binary(pa.table({"siren": siren, "imported_at": stamp, "updated_at": stamp}))

    def _split_row_by_row(self, first_line: int, data: bytes):
        """The slow path for a chunk Arrow refused: find the bad rows, report them, keep the others.

        Here each physical line is one row, so that a stray quote costs its own line only (INSEE's files have
        no line breaks inside fields)."""
        problems = []
        good: list[list[str]] = []
        numbers: list[int] = []
        rows_read = 0
        expected = len(self.header)
        for offset, raw in enumerate(data.splitlines(keepends=True)):
            number = first_line + offset
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                rows_read += 1
                problems.append(
                    (number, None, "ligne illisible : le fichier doit être encodé en UTF-8", None)
                )
                continue
            if "\x00" in text:
                rows_read += 1
                problems.append((number, None, "caractère nul dans la ligne", None))
                continue
            if not text.strip():
                continue  # a blank line is not a row
            rows_read += 1
            try:
                row = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter, strict=True))
            except csv.Error:
                problems.append((number, None, "guillemets mal placés (structure de ligne invalide)", None))
                continue
            if len(row) != expected:
                problems.append(
                    (
                        number,
                        None,
                        f"{len(row)} champs au lieu de {expected} (structure de ligne invalide)",
                        None,
                    )
                )
                continue
            good.append(row)
            numbers.append(number)
        return (
            rows_.table_from_rows(good, self.header),
            np.array(numbers, dtype=np.int64),
            rows_read,
            problems,
        )

    # --- storing a chunk (calling thread) ------------------------------------------------------------------
    def _store(self, chunk: _Chunk) -> None:
        prepared = chunk.prepared
        self.rows_read += chunk.rows_read
        self.rejected += chunk.rejected
        self.counts["in_territory"] += prepared.in_territory - prepared.rejected
        for line, column, message, value in chunk.problems:
            if len(self.problems) < MAX_PROBLEMS_KEPT:
                self.problems.append(Problem(self.path.name, line, column, message, value))
        rows = prepared.rows
        if not rows.num_rows:
            return
        if chunk.latest and (self.latest_processed is None or chunk.latest > self.latest_processed):
            self.latest_processed = chunk.latest
        if self.first_load:
            self._store_directly(chunk)
        else:
            self._store_through_staging(chunk)

    def _copy(
        self, table: str, columns: list[str], payload: list[bytes], lines: np.ndarray | None = None
    ) -> None:
        """COPY checked rows. The checks mirror the columns' types and sizes, so the database should refuse
        nothing; if it does, the import stops (one transaction: nothing is written) naming the row's line."""
        statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        try:
            with self.cursor.connection.cursor().copy(statement) as copy:
                for part in payload:
                    copy.write(part)
        except psycopg.errors.DataError as exc:
            where = re.search(r"line (\d+), column (\w+)", exc.diag.context or "")
            line = int(lines[int(where[1]) - 1]) if where and lines is not None else None
            column = where[2] if where else None
            raise UserError(
                str(
                    Problem(
                        self.path.name,
                        line,
                        column,
                        f"valeur refusée par la base : {exc.diag.message_primary}",
                    )
                )
            ) from exc

    def _store_directly(self, chunk: _Chunk) -> None:
        """First load: COPY the establishments and their new companies into the tables themselves (a SIRET
        twice in the file is resolved when the primary key comes back, see `_restore_primary_key`)."""
        rows = chunk.prepared.rows
        self._copy(self.table, rows.column_names, chunk.payload, chunk.prepared.lines)
        if chunk.companies:
            self._copy("companies_company", ["siren", "imported_at", "updated_at"], chunk.companies)
        self.counts["created"] += rows.num_rows

    def _store_through_staging(self, chunk: _Chunk) -> None:
        rows = chunk.prepared.rows
        if not self.staging_ready:
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(_pg_type(f.type)))
                for f in rows.schema
            )
            self.cursor.execute(
                sql.SQL("drop table if exists sirene_new; create temporary table sirene_new ({})")
                .format(columns)
                .as_string(self.cursor.connection)
            )
            self.staging_ready = True
        else:
            self.cursor.execute("truncate sirene_new")
        self._copy("sirene_new", rows.column_names, chunk.payload, chunk.prepared.lines)
        statement = getattr(self, f"_statement_{self.kind}")()
        self.cursor.execute(statement, {"run": self.run.pk})
        created, updated, changes = self.cursor.fetchone()
        self.counts["created"] += created
        self.counts["updated"] += updated
        self.counts["changes"] += changes

    # --- statements of the staging way ---------------------------------------------------------------------
    def _upsert(self, *, columns: list[str], compared: list[str]) -> str:
        sets = ", ".join(f"{c} = excluded.{c}" for c in compared)
        distinct = " or ".join(f"t.{c} is distinct from excluded.{c}" for c in compared)
        return (
            f"insert into {self.table} as t ({', '.join(columns)}, last_import_id, imported_at, updated_at)"  # noqa: S608 (identifiers from code constants)
            f" select {', '.join(f'n.{c}' for c in columns)}, %(run)s, now(), now() from sirene_new n"
            f" on conflict ({self.key}) do update set {sets}, last_import_id = excluded.last_import_id,"
            f" updated_at = excluded.updated_at where {distinct}"
        )

    def _statement_etablissement(self) -> str:
        compared = [
            "siren", "nic", "diffusion", "is_head_office", "state", "state_since", "closed_on", "created_on", "naf",
            "naf_nomenclature", "crafts_naf", "headcount_band", "headcount_year", "employer", "signboard",
            "usual_name", "address_complement", "street_number", "street_number_suffix", "street_type",
            "street_name", "postcode", "commune_label", "special_distribution", "cedex_code", "cedex_label",
            "foreign_country_code", "foreign_country_label", "address_id", "commune_code", "departement_code",
            "commune_id", "lambert_x", "lambert_y", "latitude", "longitude", "periods_count",
            "registry_processed_at",
        ]  # fmt: skip
        # The RETURNING sub-query reads the table as it was before this statement: the previous vintage.
        return (
            f"with companies as ({_MISSING_COMPANIES}),"  # noqa: S608 (identifiers from code constants)
            f" up as ({self._upsert(columns=['siret', *compared, 'geolocation_quality'], compared=compared)}"
            " returning t.siret, t.siren, t.state, t.headcount_band, t.naf, t.commune_code,"
            " t.closed_on, t.state_since, (t.xmax = 0) as inserted,"
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
            " select (select count(*) from up where inserted), (select count(*) from up where not inserted),"
            " (select count(*) from changes)"
        )

    def _statement_unite_legale(self) -> str:
        compared = [
            "diffusion", "purged", "name", "acronym", "usual_name", "last_name", "usage_name", "first_name",
            "pseudonym", "sex", "legal_category", "naf", "naf_nomenclature", "headcount_band", "headcount_year",
            "company_category", "company_category_year", "state", "state_since", "created_on", "ceased_on",
            "head_office_nic", "ess", "employer", "association_id", "periods_count", "registry_processed_at",
            "legal_unit_loaded",
        ]  # fmt: skip
        return (
            f"with up as ({self._upsert(columns=['siren', *compared], compared=compared)}"  # noqa: S608 (identifiers from code constants)
            " returning t.siren, t.state, t.headcount_band, t.ceased_on, (t.xmax = 0) as inserted,"
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
            " select (select count(*) from up where inserted), (select count(*) from up where not inserted),"
            " (select count(*) from changes)"
        )

    def _statement_geolocalisation(self) -> str:
        # Only diffusible establishments carry coordinates (see PROTECTED_ESTABLISHMENT_FIELDS).
        return (
            "with up as (update companies_establishment t set lambert_x = s.lambert_x, lambert_y = s.lambert_y,"
            " latitude = s.latitude, longitude = s.longitude, geolocation_quality = s.geolocation_quality,"
            " last_import_id = %(run)s, updated_at = now() from sirene_new s"
            " where t.siret = s.siret and t.diffusion = 'O' and ((t.lambert_x, t.lambert_y, t.latitude,"
            " t.longitude, t.geolocation_quality) is distinct from (s.lambert_x, s.lambert_y, s.latitude,"
            " s.longitude, s.geolocation_quality)) returning 1)"
            " select 0, (select count(*) from up), 0"
        )


# Create the company (SIREN) of each staged establishment that has none yet: legal units may come later (or
# never, outside the territory). The other columns take their database defaults.
_MISSING_COMPANIES = (
    "insert into companies_company (siren, imported_at, updated_at) select distinct s.siren, now(), now()"
    " from sirene_new s where not exists (select 1 from companies_company o where o.siren = s.siren)"
    " on conflict (siren) do nothing"
)


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
    *,
    path: Path,
    actor,
    departements: list[str] | None = None,
    vintage: date | None = None,
    dry_run: bool = False,
    run: ImportRun | None = None,
) -> ImportResult:
    """Import one SIRENE stock file (StockEtablissement, StockUniteLegale or the geolocated stock).

    Import establishments before legal units: with a territory filter, legal units are kept for the
    companies that have an establishment in the territory. Returns the run (counts, problems) and its registry
    record. A dry run computes everything in a transaction rolled back at its end: nothing at all is written.
    A refused file (unknown header, missing columns) leaves only its refused run.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"Fichier introuvable : {path}")
    run = import_run_start(
        kind=ImportRun.Kind.SIRENE,
        actor=actor,
        paths=[],  # the SHA-256 is computed while reading
        options={"departements": departements or [], "vintage": vintage.isoformat() if vintage else None},
        dry_run=dry_run,
        run=run,
    )
    run.files = [{"name": path.name, "size": path.stat().st_size, "sha256": ""}]
    with import_run_guard(run):
        header, delimiter, header_bytes = read_header(path)
        kind = _checked_kind(path, header)
        deps = territory_departements(departements)
        run.kind = kind
        with import_writes(run):
            if run.pk is None:
                run.save()  # a dry run: saved inside the transaction rolled back at its end
            registry = RegistryImport.objects.create(
                run=run,
                vintage=vintage,
                departements=deps or [],
                source=SIRENE_SOURCE,
                licence=SIRENE_LICENCE,
            )
            importer = _Importer(
                path=path,
                kind=kind,
                header=header,
                delimiter=delimiter,
                header_bytes=header_bytes,
                departements=deps,
                run=registry,
            )
            importer.execute()
            counts = importer.counts
            registry.rows_read = importer.rows_read
            registry.rows_in_territory = counts["in_territory"]
            registry.changes_recorded = counts["changes"]
            if registry.vintage is None and importer.latest_processed:
                registry.vintage = importer.latest_processed.date()
            registry.save()
            if not dry_run:
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.IMPORT,
                    obj=registry,
                    details={
                        "file": path.name,
                        "created": counts["created"],
                        "updated": counts["updated"],
                        "rejected": importer.rejected,
                    },
                )
    if dry_run:
        run.pk = registry.pk = None  # rolled back with everything else
    importer.problems.sort(key=lambda p: p.line or 0)
    run.files[0]["sha256"] = importer.digest.hexdigest()
    import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=importer.problems,
        created=counts["created"],
        updated=counts["updated"],
        unchanged=max(counts["in_territory"] - counts["created"] - counts["updated"], 0),
        rejected=importer.rejected,
        details={
            "notes": [
                f"{registry.rows_read} ligne(s) lue(s), {registry.rows_in_territory} du territoire, "
                f"{registry.changes_recorded} changement(s) enregistré(s)"
            ],
        },
    )
    return ImportResult(run=run, registry=registry, problems=importer.problems)


def _checked_kind(path: Path, header: list[str]) -> str:
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
    return kind


__all__ = [
    "Company",
    "Establishment",
    "ImportResult",
    "RegistryChange",
    "sirene_import",
    "territory_departements",
]
