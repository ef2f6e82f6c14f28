"""Writes of the land observatory: importing CNIG inventories and friches (with vintages and history)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from tandem.core.audit import audit_record
from tandem.core.errors import Problem, UserError
from tandem.core.geo import GEOMETRY_COLUMNS, geometry_column_arrays
from tandem.core.models import AuditEvent
from tandem.core.spreadsheet import neutralise_cell
from tandem.imports.models import ImportRun
from tandem.imports.services import (
    import_run_end,
    import_run_finish,
    import_run_start,
    import_run_step,
)
from tandem.land.io import read_files
from tandem.land.models import RecordVersion, Site, Standard, Vintage
from tandem.land.records import (
    GEOMETRY_KEY,
    MODELS,
    POINT_FIELDS,
    POINT_KEY,
    canonical_from_db,
    copy_text,
    db_value,
    link_column,
    point_text,
    value_columns,
)
from tandem.land.sharing import inventory_visibility_set
from tandem.land.standard import FRICHES
from tandem.land.validation import PRIMARY_KEY, ValidatedTable, Validation, cascade_rejections, validate
from tandem.organizations.models import Organization
from tandem.organizations.perms import (
    Actor,
    can_create,
    can_produce_inventory,
    is_inventory_producer,
    writable_q,
)
from tandem.organizations.scoping import unscoped
from tandem.organizations.services import organization_create
from tandem.territories.models import Commune, Epci
from tandem.territories.selectors import points_outside_communes

ProgressCallback = Callable[[int, str], None]
WRITE_ORDER = ["pole-eco", "site-eco", "terrain-eco", "etablissement", FRICHES]
POINT_TOLERANCE_M = 200  # the communes' boundaries are simplified


@dataclass
class CommuneInfo:
    name: str
    epci_siren: str | None
    is_current: bool


class DbReferential:
    """The commune/EPCI referential and the stored identifiers, as validation needs them."""

    def __init__(self):
        self.communes = {
            code: CommuneInfo(name, epci, current)
            for code, name, epci, current in Commune.objects.values_list(
                "code", "name", "epci_id", "is_current"
            )
        }
        self.epcis = dict(Epci.objects.values_list("siren", "name"))

    def existing_ids(self, table: str) -> set[str]:
        model = MODELS[table]
        key = "siret" if table == "etablissement" else PRIMARY_KEY[table]
        # Unscoped on purpose: validation tells new identifiers from stored ones, whoever owns them.
        return set(model.objects.unscoped().values_list(key, flat=True))

    def outside_communes(self, codes: np.ndarray, points: np.ndarray) -> dict[int, tuple[str, str]]:
        """Rows whose point lies farther than POINT_TOLERANCE_M from their declared commune, with the current
        commune that holds the point (code, name; empty when none does)."""
        rows = [
            i
            for i, (c, p) in enumerate(zip(codes, points, strict=True))
            if p is not None and c in self.communes
        ]
        if not rows:
            return {}
        found = points_outside_communes(
            [codes[i] for i in rows],
            shapely.get_x(np.array([points[i] for i in rows], dtype=object)),
            shapely.get_y(np.array([points[i] for i in rows], dtype=object)),
            tolerance_m=POINT_TOLERANCE_M,
        )
        return {rows[k]: where for k, where in found.items()}


LAND_IMPORT_LOCK_SPACE = 0x4C414E44  # "LAND": the advisory-lock namespace of land imports (one key per EPCI)


class EpciImportLocks:
    """PostgreSQL session advisory locks, one per producing EPCI, held from the owners' resolution (which may
    create the EPCI's organisation) to the end of the write: a second import of the same EPCI waits for the
    first, then compares with what the first wrote, instead of failing on a duplicate key. Taken in SIREN
    order so two imports over several EPCI cannot deadlock."""

    def __init__(self):
        self.held: list[int] = []

    def acquire(self, sirens, waiting: Callable[[], None] | None = None) -> None:
        keys = sorted({int(s) for s in sirens if str(s).isdigit()} - set(self.held))
        with connection.cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LAND_IMPORT_LOCK_SPACE, key])
                if not cursor.fetchone()[0]:
                    if waiting:
                        waiting()
                    cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LAND_IMPORT_LOCK_SPACE, key])
                self.held.append(key)

    def release(self) -> None:
        if not self.held:
            return
        with connection.cursor() as cursor:
            for key in reversed(self.held):
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LAND_IMPORT_LOCK_SPACE, key])
        self.held = []


@dataclass
class ImportReport:
    """What an import did or would do: every problem, counts per table, vintages, rejects."""

    run: ImportRun
    problems: list[Problem] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    vintages: list[Vintage] = field(default_factory=list)
    rejects_csv: str = ""
    migration: list[str] = field(default_factory=list)
    written: bool = False
    changed: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


# Unscoped on purpose: the engine compares the file with the producers' whole stored inventory (identifiers,
# links across tables, communes) and writes it; who may import for which producer is checked inside
# (`can_create`, `can_produce_inventory`; removals through `writable_q`).
@unscoped()
def land_import(
    *,
    paths: list[Path],
    actor: Actor,
    epci_siren: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    sets: dict[str, str] | None = None,
    renames: dict[str, str] | None = None,
    producer_id: int | None = None,
    web: bool = False,
    progress: ProgressCallback | None = None,
    run: ImportRun | None = None,
    display_names: dict[Path, str] | None = None,
) -> ImportReport:
    """Validate every row of CNIG files (Sites économiques tables or a Friches file), then write them in one
    transaction: all or nothing, unless `skip_invalid` (valid rows written, the others in `rejects_csv`).

    `web` words the hints for the import page (its fields) instead of the command line (`--set`, `--rename`).
    `renames` maps a file's column to a standard one (`proprio_type(catpro3)` → `proprio_type`). A Friches file
    with a `producer_id` (a State service, the Région) stays owned by that producer, each friche placed in its
    commune (so in its EPCI's territory); without one each friche belongs to the EPCI of its commune. The
    organisation of an EPCI is created only when the file is written, never by a dry run or a refused import.

    A file identical to what is stored changes nothing; otherwise each producing organisation whose data
    changed gets a new vintage with a field-by-field diff and per-record history. Errors are returned in the
    report (never raised) so the command line and the web page show them the same way.
    """
    sets = dict(sets or {})
    renames = dict(renames or {})
    options = {"set": sets, "epci": epci_siren, "skip_invalid": skip_invalid}
    if renames:
        options["rename"] = renames
    if producer_id:
        options["producer"] = producer_id
    run = import_run_start(
        kind=ImportRun.Kind.LAND,
        actor=actor,
        paths=[] if run is not None else paths,
        display_names=display_names,
        options=options,
        dry_run=dry_run,
        run=run,
    )
    report = ImportReport(run=run)
    locks = EpciImportLocks()

    def step(percent: int, label: str) -> None:
        import_run_step(run, percent, label)
        if progress:
            progress(percent, label)

    try:
        step(5, "lecture des fichiers")
        try:
            raws = read_files([Path(p) for p in paths], display_names=display_names)
        except (ValueError, UserError) as exc:
            message = exc.message if isinstance(exc, UserError) else str(exc)
            report.problems.append(Problem(message.split(" : ")[0].split(", ")[0], None, None, message))
            return _finish(report, ImportRun.Status.REFUSED)
        run.files = [
            {
                "name": r.source,
                "size": r.size,
                "sha256": r.sha256,
                "format": r.format,
                "encoding": r.encoding,
                "delimiter": r.delimiter,
                "rows": len(r.frame),
            }
            for r in raws
        ]
        if epci_siren and not Epci.objects.filter(pk=epci_siren).exists():
            report.problems.append(Problem("--epci", None, None, "SIREN d'EPCI inconnu", epci_siren))
            return _finish(report, ImportRun.Status.REFUSED)
        producer = None
        if producer_id:
            producer = Organization.objects.filter(pk=producer_id).first()
            if producer is None or not is_inventory_producer(producer):
                report.problems.append(
                    Problem(
                        PRODUCER_OPTION,
                        None,
                        None,
                        "organisation productrice refusée : seuls un service de l'État (DDT, DREAL) ou la "
                        "Région produisent un inventaire couvrant plusieurs EPCI",
                        producer.name if producer else str(producer_id),
                    )
                )
                return _finish(report, ImportRun.Status.REFUSED)
            run.owner = producer
        step(15, "validation des lignes")
        validation = validate(
            raws, referential=DbReferential(), sets=sets, epci_siren=epci_siren, renames=renames, web=web
        )
        run.kind = ImportRun.Kind.LAND_FRICHES if validation.kind == "friches" else ImportRun.Kind.LAND_SITES
        if producer is not None and validation.kind != "friches":
            report.problems.append(
                Problem(
                    PRODUCER_OPTION,
                    None,
                    None,
                    "une organisation productrice départementale ou régionale importe un fichier Friches, "
                    "pas les tables Sites économiques (elles appartiennent à l'EPCI producteur)",
                    producer.name,
                )
            )
        if skip_invalid:
            cascade_rejections(validation.tables)
        step(50, "contrôle des droits et des propriétaires")
        lock = lambda keys: locks.acquire(  # noqa: E731
            keys, waiting=lambda: step(50, "en attente de la fin d'un autre import du même producteur")
        )
        if producer is not None and validation.kind == "friches":
            owners, pending = _producer_owners(validation, producer, actor, report, lock=lock), {}
        else:
            owners, pending = _owners(validation, epci_siren, actor, report, lock=lock)
        report.problems[:0] = validation.problems
        report.migration = validation.migration
        report.rejects_csv = _rejects_csv(validation)
        for table in validation.tables.values():
            report.counts[table.table] = {"read": len(table), "rejected": int(table.invalid.sum())}
        blocking = (
            report.errors
            if not skip_invalid
            else [p for p in report.errors if p.line is None and _is_global(p)]
        )
        if blocking:
            return _finish(report, ImportRun.Status.REFUSED)
        step(65, "comparaison avec les données enregistrées")
        plan = _plan(validation, owners, actor)
        for table, changes in plan.items():
            report.counts[table].update({k: len(v) for k, v in changes.items() if k != "rows"})
        report.changed = any(
            changes["added"] or changes["changed"] or changes["removed"] for changes in plan.values()
        )
        if dry_run or not report.changed:
            return _finish(report, ImportRun.Status.DONE)
        step(80, "écriture")
        try:
            with transaction.atomic():
                created = _pending_organizations_create(pending, plan, owners)
                report.vintages = _write(validation, plan, owners, actor, run, sets)
                report.written = True
            for name in created:
                report.problems.append(
                    Problem(
                        "import",
                        None,
                        None,
                        f"organisation créée pour l'EPCI producteur : {name}",
                        level="warning",
                    )
                )
        except IntegrityError:
            # Another import wrote the same identifiers at the same moment (outside this EPCI's lock): all of
            # this one is rolled back.
            report.vintages, report.written = [], False
            report.problems.append(
                Problem(
                    "import",
                    None,
                    None,
                    "un autre import a enregistré les mêmes identifiants pendant celui-ci ; rien n'a été écrit, "
                    "relancez l'import pour le comparer aux données désormais enregistrées",
                )
            )
            return _finish(report, ImportRun.Status.REFUSED)
        return _finish(report, ImportRun.Status.DONE)
    except Exception:
        import_run_finish(
            run=run,
            status=ImportRun.Status.FAILED,
            problems=report.problems,
            label="échec technique ; rien n'a été écrit",
        )
        raise
    finally:
        locks.release()


GLOBAL_PROBLEMS = ("table non reconnue", "la table ", "un import contient", "colonne en double")
PRODUCER_OPTION = "--producteur"


def _is_global(problem: Problem) -> bool:
    """Problems that no row-skipping can fix (unknown table, a table given twice, an unused --set)."""
    return problem.file in ("--set", "--epci", "--rename", PRODUCER_OPTION) or problem.message.startswith(
        GLOBAL_PROBLEMS
    )


def _finish(report: ImportReport, status: str) -> ImportReport:
    tables = report.counts
    total = lambda key: sum(c.get(key, 0) for c in tables.values())  # noqa: E731
    import_run_finish(
        run=report.run,
        status=status,
        problems=report.problems,
        created=total("added") if report.written or report.run.dry_run else 0,
        updated=total("changed") if report.written or report.run.dry_run else 0,
        unchanged=total("unchanged"),
        rejected=total("rejected"),
        details={
            "tables": tables,
            "removed": total("removed") if report.written or report.run.dry_run else 0,
            "notes": report.migration,
            "vintages": [v.pk for v in report.vintages],
        },
        rejects_csv=report.rejects_csv,
    )
    return report


# --- owners and permissions ----------------------------------------------------------------------------------


def epci_organization(siren: str) -> tuple[Organization, bool]:
    """The organisation of an EPCI (created, from the official geography, when it does not exist yet)."""
    org = Organization.objects.filter(epci_id=siren, kind=Organization.Kind.EPCI).first()
    if org:
        return org, False
    epci = Epci.objects.get(pk=siren)
    return organization_create(
        name=epci.name, kind=Organization.Kind.EPCI, slug=f"epci-{siren}", epci=epci
    ), True


def _producer_owners(
    validation: Validation,
    producer: Organization,
    actor: Actor,
    report: ImportReport,
    lock: Callable[[list[str]], None] | None = None,
) -> dict[str, np.ndarray]:
    """A departmental or regional friches file: every friche stays owned by its producer and is placed by its
    commune (so it lands in the territory of the EPCI of that commune); the producer writes only within its
    perimeter (permission layer)."""
    if lock:
        lock([str(producer.pk)])  # one producer's imports run one after the other
    owners = {}
    table = validation.tables.get(FRICHES)
    if table is not None:
        codes = (
            table.values["comm_insee"].to_numpy(dtype=object)
            if "comm_insee" in table.values
            else np.full(len(table), "", dtype=object)
        )
        may_write = can_create(actor, MODELS[FRICHES], owner=producer)
        checked: dict[str, bool] = {}
        for i in np.flatnonzero(~table.invalid):
            code = codes[i] or ""
            if code not in checked:
                checked[code] = bool(code) and can_produce_inventory(
                    actor, MODELS[FRICHES], producer=producer, commune_code=code
                )
            if not checked[code]:
                _reject(
                    table,
                    i,
                    "comm_insee",
                    f"commune {code} hors du périmètre de {producer.name}"
                    if may_write
                    else f"vous n'avez pas le droit d'écrire pour {producer.name}",
                )
        owners[FRICHES] = np.full(len(table), producer.pk, dtype=np.int64)
    report.problems.extend(p for t in validation.tables.values() for p in t.late_problems)
    return owners


def _pending_organizations_create(
    pending: dict[int, str], plan: dict, owners: dict[str, np.ndarray]
) -> list[str]:
    """Create the organisations of the producing EPCI that had none (inside the write transaction, once the file
    is valid), and put their real ids in place of the provisional ones. Returns the names of those created."""
    created = []
    for provisional, siren in pending.items():
        org, new = epci_organization(siren)
        if new:
            created.append(org.name)
        for name, ids in owners.items():
            ids[ids == provisional] = org.pk
            if name in plan:
                rows = plan[name]["rows"]["owners"]
                rows[rows == provisional] = org.pk
    return created


def _owners(
    validation: Validation,
    epci_siren,
    actor: Actor,
    report: ImportReport,
    lock: Callable[[list[str]], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[int, str]]:
    """The owning organisation of each row, per table (-1 where unknown), after the permission check, and the
    producing EPCI that have no organisation yet (provisional negative id → SIREN): they are created only when
    the import is written."""
    tables = validation.tables
    referential_epci = dict(Commune.objects.values_list("code", "epci_id"))
    sirens: dict[str, np.ndarray] = {}
    if validation.kind == "friches":
        if FRICHES in tables and "comm_insee" in tables[FRICHES].values:
            codes = tables[FRICHES].values["comm_insee"]
            sirens[FRICHES] = codes.map(referential_epci).fillna("").to_numpy(dtype=object)
    else:
        site_sirens = {}
        if "site-eco" in tables:
            site = tables["site-eco"].values
            own = np.full(len(site), epci_siren or "", dtype=object)
            if not epci_siren and "site_epci_siren" in site:
                own = site["site_epci_siren"].to_numpy(dtype=object)
            sirens["site-eco"] = own
            if "site_id" in site:
                site_sirens = dict(zip(site["site_id"], own, strict=True))
        stored_site_sirens = _stored_sirens("site-eco")
        lookup = {**stored_site_sirens, **site_sirens}
        if "terrain-eco" in tables and "site_id" in tables["terrain-eco"].values:
            terr = tables["terrain-eco"].values
            sirens["terrain-eco"] = (
                terr["site_id"].map(lookup).fillna(epci_siren or "").to_numpy(dtype=object)
            )
            terrain_sirens = (
                dict(zip(terr["terr_id"], sirens["terrain-eco"], strict=True)) if "terr_id" in terr else {}
            )
        else:
            terrain_sirens = {}
        terrain_lookup = {**_stored_sirens("terrain-eco"), **terrain_sirens}
        if "etablissement" in tables and "terr_id" in tables["etablissement"].values:
            first = tables["etablissement"].values["terr_id"].str.split("|").str[0].str.strip()
            sirens["etablissement"] = (
                first.map(terrain_lookup).fillna(epci_siren or "").to_numpy(dtype=object)
            )
        if "pole-eco" in tables and "pole_id" in tables["pole-eco"].values:
            pole_sirens = {}
            if "site-eco" in tables and "pole_id" in tables["site-eco"].values:
                for pole_id, siren in zip(
                    tables["site-eco"].values["pole_id"], sirens["site-eco"], strict=True
                ):
                    pole_sirens.setdefault(pole_id, siren)
            poles = tables["pole-eco"].values["pole_id"]
            sirens["pole-eco"] = poles.map(pole_sirens).fillna(epci_siren or "").to_numpy(dtype=object)
    organizations: dict[str, Organization] = {}
    known_epcis = set(Epci.objects.values_list("siren", flat=True))
    producing = sorted({s for values in sirens.values() for s in values if s} & known_epcis)
    if lock:
        lock(producing)
    existing: dict[str, Organization] = {}
    for org in Organization.objects.filter(epci_id__in=producing, kind=Organization.Kind.EPCI):
        existing.setdefault(org.epci_id, org)
    pending: dict[int, str] = {}
    epci_names = dict(Epci.objects.filter(pk__in=producing).values_list("siren", "name"))
    for siren in producing:
        if siren in existing:
            organizations[siren] = existing[siren]
        else:
            # Not saved: no member, so only a platform administrator (or the command line) may write for it.
            org = Organization(name=epci_names[siren], kind=Organization.Kind.EPCI, epci_id=siren)
            org.pk = -2 - len(pending)
            pending[org.pk] = siren
            organizations[siren] = org
    owners = {}
    commune_columns = {"site-eco": "site_comm_insee", "etablissement": "comm_insee", FRICHES: "comm_insee"}
    for table_name, values in sirens.items():
        table = tables[table_name]
        owner_ids = np.array(
            [organizations[s].pk if s in organizations else -1 for s in values], dtype=np.int64
        )
        missing = np.flatnonzero((owner_ids == -1) & ~table.invalid)
        for i in missing:
            _reject(table, i, None, "propriétaire introuvable : l'EPCI de la ligne est inconnu")
        communes = table.values.get(commune_columns.get(table_name, ""), pd.Series([None] * len(table)))
        if table_name == "terrain-eco" and "site_id" in table.values:
            # A terrain lies in its site's commune: delegations limited to some communes apply to it too.
            communes = table.values["site_id"].map(_site_communes(tables))
        model = MODELS[table_name]
        checked: dict[tuple, bool] = {}
        by_pk = {o.pk: o for o in organizations.values()}
        commune_codes = communes.to_numpy(dtype=object)
        for i in np.flatnonzero(~table.invalid):
            key = (owner_ids[i], commune_codes[i] or None)
            if key not in checked:
                checked[key] = can_create(actor, model, owner=by_pk[owner_ids[i]], commune_code=key[1])
            if not checked[key]:
                _reject(
                    table,
                    i,
                    None,
                    f"vous n'avez pas le droit d'écrire pour {organizations_by_pk(organizations)[owner_ids[i]]}"
                    + (f" dans la commune {key[1]}" if key[1] else ""),
                )
        owners[table_name] = owner_ids
    report.problems.extend(p for t in tables.values() for p in t.late_problems)
    return owners, pending


def _site_communes(tables) -> dict[str, str]:
    """site_id -> commune code, from the file's SITE-ECO table over what is stored."""
    communes = dict(Site.objects.values_list("site_id", "commune_id"))
    site = tables.get("site-eco")
    if site is not None and {"site_id", "site_comm_insee"} <= set(site.values):
        communes.update(zip(site.values["site_id"], site.values["site_comm_insee"], strict=True))
    return communes


def organizations_by_pk(organizations: dict[str, Organization]) -> dict[int, str]:
    return {o.pk: o.name for o in organizations.values()}


def _reject(table: ValidatedTable, i: int, column, message: str) -> None:
    problem = Problem(table.source, int(table.lines[i]), column, message)
    table.invalid[i] = True
    table.row_problems.setdefault(int(i), []).append(problem)
    table.late_problems.append(problem)


def _stored_sirens(table: str) -> dict[str, str]:
    model = MODELS[table]
    key = PRIMARY_KEY[table]
    return dict(model.objects.values_list(key, "owner__epci_id"))


# --- diff ----------------------------------------------------------------------------------------------------


def _incoming(table: ValidatedTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical records of the valid rows, with their geometry columns."""
    valid = ~table.invalid
    values = table.values[valid].reset_index(drop=True)
    geometries = np.asarray(table.geometries, dtype=object)[valid] if table.geometries is not None else None
    if table.table == FRICHES:
        surfaces = geometries
        points = np.asarray(table.points, dtype=object)[valid]
        geometries = np.where(shapely.is_missing(surfaces), points, surfaces)
    if geometries is None:
        return values, land_geometry_columns(np.full(len(values), None, dtype=object))
    # A one-part multi-geometry (the GeoPackage template's MultiPolygon sites) is its single part. The core
    # helper normalises after rounding, so the digest of an unchanged geometry is the same after import →
    # export → import.
    present = ~shapely.is_missing(geometries)
    geometries = geometries.copy()
    single = present.copy()
    single[present] = (shapely.get_type_id(geometries[present]) >= 4) & (
        shapely.get_num_geometries(geometries[present]) == 1
    )
    geometries[single] = shapely.get_geometry(geometries[single], 0)
    return values, land_geometry_columns(geometries)


def land_geometry_columns(geometries: np.ndarray) -> pd.DataFrame:
    """The `GeometryFields` columns of many geometries (computed by the core helper) as a frame."""
    return pd.DataFrame(geometry_column_arrays(geometries))


def _plan(validation: Validation, owners: dict[str, np.ndarray], actor: Actor) -> dict[str, dict]:
    plan = {}
    for name in WRITE_ORDER:
        table = validation.tables.get(name)
        if table is None:
            continue
        key = PRIMARY_KEY[name]
        values, geo = _incoming(table)
        owner_ids = owners[name][~table.invalid]
        columns = [c for c, _ in value_columns(name)]
        for column in columns:
            if column not in values:
                values[column] = ""
        link = link_column(name) if name in ("site-eco", "terrain-eco") else None
        if link and link not in values:
            values[link] = ""
        points = None
        if name in POINT_FIELDS:
            pts = np.asarray(table.points, dtype=object)[~table.invalid] if table.points is not None else None
            points = (
                [point_text(shapely.get_x(p), shapely.get_y(p)) if p is not None else "" for p in pts]
                if pts is not None
                else [""] * len(values)
            )
        scope_owners = sorted({int(o) for o in owners[name] if o >= 0})
        model = MODELS[name]
        existing = (
            canonical_from_db(name, model.objects.filter(owner_id__in=scope_owners)) if scope_owners else {}
        )
        all_ids = set(table.values[key]) if key in table.values else set()
        ids = values[key].tolist() if key in values else []
        rows = {"values": values, "geo": geo, "owners": owner_ids, "points": points, "ids": ids}
        added, changed, unchanged = [], {}, []
        if existing:
            compare = [*columns, *([link] if link else [])]
            records = values[compare].to_dict("records")
            digests = geo["geometry_digest"].tolist()
            for i, record in enumerate(records):
                record[GEOMETRY_KEY] = digests[i] or ""
                if points is not None:
                    record[POINT_KEY] = points[i]
                old = existing.get(ids[i])
                if old is None:
                    added.append(i)
                    continue
                diff = {k: [old.get(k, ""), v] for k, v in record.items() if old.get(k, "") != v}
                if diff:
                    changed[i] = diff
                else:
                    unchanged.append(i)
        else:
            added = list(range(len(values)))
        # A record the file no longer lists is removed only where the actor may write: an agency whose
        # delegation covers some communes never removes the EPCI's records elsewhere.
        writable = (
            set(
                model.objects.filter(owner_id__in=scope_owners)
                .filter(writable_q(actor, model))
                .values_list("pk", flat=True)
            )
            if scope_owners
            else set()
        )
        if name == FRICHES and "source_nom" in values:
            # A friches file speaks for its source only: friches an EPCI recorded from another source stay.
            writable &= set(
                model.objects.filter(
                    owner_id__in=scope_owners, source_nom__in=set(values["source_nom"])
                ).values_list("pk", flat=True)
            )
        removed = {
            rid: rec for rid, rec in existing.items() if rid not in all_ids and rec["__pk"] in writable
        }
        plan[name] = {
            "added": added,
            "changed": changed,
            "removed": removed,
            "unchanged": unchanged,
            "rows": rows,
            "existing": existing,
        }
    return plan


# --- write ---------------------------------------------------------------------------------------------------


def _write(validation, plan, owners, actor: Actor, run: ImportRun, sets) -> list[Vintage]:
    standard = Standard.FRICHES if validation.kind == "friches" else Standard.SITES_ECONOMIQUES
    groups = _group_by_owner(plan)
    touched = sorted({owner for table in groups.values() for kind in table.values() for owner in kind})
    orgs = Organization.objects.in_bulk(touched)
    scopes = {owner: f"{standard}:{orgs[owner].epci_id or orgs[owner].slug}" for owner in touched}
    last = dict(
        Vintage.objects.filter(scope__in=scopes.values())
        .values("scope")
        .annotate(n=Max("number"))
        .values_list("scope", "n")
    )
    provenance = {
        "set": sets,
        "formats": sorted({f["format"] for f in run.files}),
        "encodings": sorted({f["encoding"] for f in run.files if f["encoding"]}),
        "standard_version": sorted({t.version for t in validation.tables.values() if t.version}) or ["1.0.1"],
        "migration": validation.migration,
        "import_run": run.pk,
    }
    created = Vintage.objects.bulk_create(
        [
            Vintage(
                standard=standard,
                scope=scopes[owner],
                number=last.get(scopes[owner], 0) + 1,
                epci_id=orgs[owner].epci_id,
                owner=orgs[owner],
                created_by=run.created_by,
                files=run.files,
                provenance=provenance,
                run=run if run.pk else None,
                content_digest=_digest(run.files),
                diff=_diff_summary(groups, owner),
                counts={
                    name: {kind: len(table[kind].get(owner, ())) for kind in ("added", "changed", "removed")}
                    for name, table in groups.items()
                    if any(owner in table[kind] for kind in table)
                },
            )
            for owner in touched
        ]
    )
    vintages = {v.owner_id: v for v in created}
    # Children first for removals, parents first for insertions (their ids are needed by the links).
    for name in reversed(WRITE_ORDER):
        if name in plan and plan[name]["removed"]:
            MODELS[name].objects.filter(pk__in=[r["__pk"] for r in plan[name]["removed"].values()]).delete()
    context = _commune_context(validation)
    versions = []
    for name in WRITE_ORDER:
        if name not in plan:
            continue
        _insert(name, plan[name], vintages, context)
        _update(name, plan[name], vintages, context)
        versions += _versions(name, plan[name], vintages)
    _copy(
        RecordVersion,
        pd.DataFrame(versions, columns=["vintage_id", "table", "record_key", "action", "data", "changes"]),
    )
    # One audit event for the whole import (it may create a vintage for each of hundreds of EPCI).
    audit_record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        obj=run,
        details={
            "files": [f["name"] for f in run.files],
            "vintages": [v.pk for v in created],
            "counts": {
                name: {k: len(v) for k, v in plan[name].items() if k in ("added", "changed", "removed")}
                for name in plan
            },
        },
    )
    # Distances to the loaded reference layers, for the sites and terrains of the EPCI just imported.
    reference_distances_refresh(owner_ids=touched)
    return created


def _group_by_owner(plan) -> dict[str, dict[str, dict[int, list]]]:
    """Per table: the identifiers added / changed (with their diff) / removed, grouped by owner."""
    groups = {}
    for name, changes in plan.items():
        rows = changes["rows"]
        owners, ids = rows["owners"], rows["ids"]
        table = {"added": {}, "changed": {}, "removed": {}}
        for i in changes["added"]:
            table["added"].setdefault(int(owners[i]), []).append(ids[i])
        for i, diff in changes["changed"].items():
            table["changed"].setdefault(int(owners[i]), []).append((ids[i], diff))
        for record_id, record in changes["removed"].items():
            table["removed"].setdefault(record["__owner"], []).append(record_id)
        groups[name] = table
    return groups


def _commune_context(validation: Validation) -> dict:
    """Communes of terrains and poles come from their site: the file's, else the stored one."""
    site_commune = dict(MODELS["site-eco"].objects.values_list("site_id", "commune_id"))
    pole_commune: dict[str, str] = {}
    for pole_id, commune in (
        MODELS["site-eco"]
        .objects.filter(pole_eco__isnull=False)
        .values_list("pole_eco__pole_id", "commune_id")
    ):
        pole_commune.setdefault(pole_id, commune)
    sites = validation.tables.get("site-eco")
    if sites is not None and {"site_id", "site_comm_insee"} <= set(sites.values.columns):
        valid = sites.values[~sites.invalid]
        site_commune.update(zip(valid["site_id"], valid["site_comm_insee"], strict=True))
        if "pole_id" in valid:
            for pole_id, commune in zip(valid["pole_id"], valid["site_comm_insee"], strict=True):
                pole_commune.setdefault(pole_id, commune)
    return {"site_commune": site_commune, "pole_commune": pole_commune}


def _digest(files) -> str:
    import hashlib

    return hashlib.sha256("".join(sorted(f["sha256"] for f in files)).encode()).hexdigest()


MAX_DIFF_IDS = 500


def _diff_summary(groups, owner_id: int) -> dict:
    """Readable diff per table: identifiers added and removed, changed fields per identifier (capped; the
    complete history is in RecordVersion)."""
    summary = {}
    for name, table in groups.items():
        added = table["added"].get(owner_id, [])
        changed = table["changed"].get(owner_id, [])
        removed = sorted(table["removed"].get(owner_id, []))
        if not (added or changed or removed):
            continue
        summary[name] = {
            "added_count": len(added),
            "changed_count": len(changed),
            "removed_count": len(removed),
            "added": added[:MAX_DIFF_IDS],
            "removed": removed[:MAX_DIFF_IDS],
            "changed": {key: _readable(diff) for key, diff in changed[:MAX_DIFF_IDS]},
        }
    return summary


def _readable(diff: dict) -> dict:
    names = {GEOMETRY_KEY: "géométrie", POINT_KEY: "point"}
    return {names.get(k, k): (["…", "modifiée"] if k == GEOMETRY_KEY else v) for k, v in diff.items()}


def _parent_pks(name: str, values: pd.DataFrame, owners) -> pd.Series | None:
    """Primary keys of the parents (pole, site, first terrain), among the import's owners."""
    scope = {int(o) for o in owners}
    if name == "site-eco":
        mapping = dict(MODELS["pole-eco"].objects.filter(owner_id__in=scope).values_list("pole_id", "pk"))
        return values["pole_id"].map(mapping)
    if name == "terrain-eco":
        mapping = dict(MODELS["site-eco"].objects.filter(owner_id__in=scope).values_list("site_id", "pk"))
        return values["site_id"].map(mapping)
    if name == "etablissement":
        mapping = dict(MODELS["terrain-eco"].objects.filter(owner_id__in=scope).values_list("terr_id", "pk"))
        return values["terr_id"].str.split("|").str[0].str.strip().map(mapping)
    return None


def _communes(name: str, values: pd.DataFrame, context: dict) -> pd.Series:
    """The commune of each row: declared (sites, établissements, friches) or its site's (terrains, poles)."""
    if name == "site-eco":
        return values["site_comm_insee"]
    if name in ("etablissement", FRICHES):
        return values["comm_insee"]
    if name == "terrain-eco":
        return values["site_id"].map(context["site_commune"])
    return values["pole_id"].map(context["pole_commune"])


def _frame(name: str, rows: dict, index: list[int], vintages, context: dict) -> pd.DataFrame:
    """Model columns (attnames) of the rows at `index`, as COPY text."""
    model = MODELS[name]
    values = rows["values"].iloc[index].reset_index(drop=True)
    out = pd.DataFrame(index=values.index)
    for column, field_name in value_columns(name):
        out[model._meta.get_field(field_name).attname] = copy_text(
            model._meta.get_field(field_name), values[column]
        )
    geo = rows["geo"].iloc[index].reset_index(drop=True)
    for column in GEOMETRY_COLUMNS:
        out[column] = geo[column].to_numpy(dtype=object)
    if rows["points"] is not None:
        lon_field, lat_field = POINT_FIELDS[name]
        texts = [rows["points"][i] for i in index]
        out[lon_field] = [t.split(" ")[0] if t else None for t in texts]
        out[lat_field] = [t.split(" ")[1] if t else None for t in texts]
    owners = rows["owners"][index]
    out["owner_id"] = owners
    out["commune_id"] = (
        _communes(name, values, context).where(lambda s: s.notna() & (s != ""), None).to_numpy()
    )
    out["last_vintage_id"] = [vintages[int(o)].pk if int(o) in vintages else None for o in owners]
    parents = _parent_pks(name, values, owners)
    if parents is not None:
        attname = {
            "site-eco": "pole_eco_id",
            "terrain-eco": "site_eco_id",
            "etablissement": "terrain_eco_id",
        }[name]
        out[attname] = parents.astype("Int64").astype(object).where(parents.notna(), None).to_numpy()
    if name == FRICHES:
        site_ids, terrain_ids = _friches_links(geo)
        # Object arrays: a list of ints and None would become floats (« 412.0 ») in a DataFrame.
        out["site_eco_id"] = np.array(site_ids, dtype=object)
        out["terrain_eco_id"] = np.array(terrain_ids, dtype=object)
    return out


def _friches_links(geo: pd.DataFrame):
    """The ZAE (site) and terrain each friche lies in, by its inner point (PostGIS, see `land.selectors`)."""
    from tandem.land.selectors import containing_sites_and_terrains

    return containing_sites_and_terrains(
        geo["centroid_lon"].to_numpy(dtype=float, na_value=np.nan),
        geo["centroid_lat"].to_numpy(dtype=float, na_value=np.nan),
    )


def _insert(name: str, changes: dict, vintages, context) -> None:
    if not changes["added"]:
        return
    _copy(MODELS[name], _frame(name, changes["rows"], changes["added"], vintages, context))


def _update(name: str, changes: dict, vintages, context) -> None:
    if not changes["changed"]:
        return
    model = MODELS[name]
    index = list(changes["changed"])
    frame = _frame(name, changes["rows"], index, vintages, context)
    pks = [changes["existing"][changes["rows"]["ids"][i]]["__pk"] for i in index]
    fields = [f for f in model._meta.concrete_fields if f.attname in frame.columns and not f.primary_key]
    objects = []
    for pk, record in zip(pks, frame.to_dict("records"), strict=True):
        obj = model(pk=pk)
        for f in fields:
            value = record[f.attname]
            setattr(obj, f.attname, _python(f, value))
        obj.updated_at = timezone.now()
        objects.append(obj)
    model.objects.bulk_update(objects, [f.name for f in fields] + ["updated_at"], batch_size=1000)


def _python(field: models.Field, value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(field, models.JSONField):
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(field, models.BooleanField):
        return value in ("t", True)
    if isinstance(field, models.ForeignKey):
        return field.target_field.to_python(value)
    if isinstance(field, (models.FloatField,)):
        return float(value)
    if isinstance(field, models.IntegerField):
        return int(float(value))
    if isinstance(field, models.DateField) and isinstance(value, str):
        return db_value(field, value)
    return value


def _versions(name: str, changes: dict, vintages) -> list[tuple]:
    rows = changes["rows"]
    out = []
    for i in changes["added"]:
        out.append((vintages[int(rows["owners"][i])].pk, name, rows["ids"][i], "added", "{}", "{}"))
    for i, diff in changes["changed"].items():
        out.append(
            (
                vintages[int(rows["owners"][i])].pk,
                name,
                rows["ids"][i],
                "changed",
                "{}",
                json.dumps(diff, ensure_ascii=False),
            )
        )
    for record_id, record in changes["removed"].items():
        vintage = _vintage_for_removed(vintages, record)
        data = {k: v for k, v in record.items() if not k.startswith("__")}
        out.append((vintage.pk, name, record_id, "removed", json.dumps(data, ensure_ascii=False), "{}"))
    return out


def _vintage_for_removed(vintages, record) -> Vintage:
    return vintages[record["__owner"]]


def _copy(model: type[models.Model], frame: pd.DataFrame) -> None:
    """Insert rows with PostgreSQL COPY; fields not given get their Django default (timestamps: now)."""
    if frame.empty:
        return
    now = timezone.now().isoformat()
    columns = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.generated:
            continue
        if f.attname in frame.columns:
            columns.append(f.attname)
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            frame[f.attname] = now
        elif f.has_default():
            default = f.get_default()
            frame[f.attname] = (
                json.dumps(default)
                if isinstance(f, models.JSONField)
                else ({True: "t", False: "f"}.get(default, default) if isinstance(default, bool) else default)
            )
        elif f.null:
            continue
        else:
            frame[f.attname] = ""
        columns.append(f.attname)
    n = len(frame)
    texts = [_copy_column(frame[column].tolist(), n) for column in columns]
    data = "".join("\t".join(row) + "\n" for row in zip(*texts, strict=True))
    sql = (
        f"COPY {connection.ops.quote_name(model._meta.db_table)} "
        f"({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
    )
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:
            copy.write(data)


_NULL = "\\N"
_SPECIAL = ("\\", "\t", "\n", "\r")


def _copy_column(values: list, n: int) -> list[str]:
    """One column in COPY's text format: NULL as \\N, backslash, tab and line breaks escaped. Written column
    by column (with fast paths) because a row-by-row CSV writer dominated national imports."""
    if all(v is None for v in values):
        return [_NULL] * n
    texts = [_NULL if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    joined = "\x00".join(t for t in texts if t is not _NULL)
    if any(c in joined for c in _SPECIAL):
        texts = [
            t
            if t == _NULL
            else t.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            for t in texts
        ]
    return texts


# --- rejects ---------------------------------------------------------------------------------------------------


def _rejects_csv(validation: Validation) -> str:
    """Every rejected row with its reasons, in its original columns (one CSV for the whole import)."""
    rows, columns = [], ["fichier", "ligne", "table", "motifs"]
    for problem in validation.unreadable:
        rows.append({"fichier": problem.file, "ligne": problem.line, "table": "", "motifs": str(problem)})
    for table in validation.tables.values():
        for i in np.flatnonzero(table.invalid):
            reasons = " ; ".join(
                f"{p.field or 'ligne'} : {p.message}" + (f" (« {p.value} »)" if p.value else "")
                for p in table.row_problems.get(int(i), [])
            )
            row = {
                "fichier": table.source,
                "ligne": int(table.lines[i]),
                "table": table.table,
                "motifs": reasons,
            }
            if table.raw is not None:
                raw = table.raw.iloc[i].to_dict()
                for k in raw:
                    if k not in columns:
                        columns.append(k)
                row.update(raw)
            rows.append(row)
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", delimiter=";")
    writer.writeheader()
    # The rejected values are the uploader's text: a spreadsheet must not run them as formulas.
    writer.writerows({key: neutralise_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


# --- web imports, run by the job worker (tandem/land/tasks.py) ---------------------------------------------------

UPLOAD_DIR = "imports/land"


def land_import_submit(
    *,
    actor: Actor,
    uploads: list,
    epci_siren: str | None,
    dry_run: bool,
    skip_invalid: bool,
    sets: dict[str, str],
    visibility: str,
    renames: dict[str, str] | None = None,
    producer_id: int | None = None,
) -> ImportRun:
    """Record an import started from the web: its run (« en attente ») and its files in Django's storage, where
    the job worker reads them (MEDIA_ROOT by default; they are deleted once the run has finished)."""
    run = ImportRun.objects.create(
        kind=ImportRun.Kind.LAND,
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
        organization_id=actor.current_org_id,
        dry_run=dry_run,
        progress_label="en attente",
    )
    stored, files = [], []
    for upload in uploads:
        name = Path(upload.name).name
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        files.append({"name": name, "size": upload.size, "sha256": digest.hexdigest()})
        stored.append({"name": name, "path": default_storage.save(f"{UPLOAD_DIR}/{run.pk}/{name}", upload)})
    run.files = files
    run.options = {
        "set": sets,
        "rename": renames or {},
        "producer": producer_id,
        "epci": epci_siren,
        "skip_invalid": skip_invalid,
        "visibility": visibility,
        "uploads": stored,
    }
    run.save(update_fields=["files", "options"])
    return run


def land_import_stored_run(*, run_id: int) -> ImportRun:
    """Run a submitted import from its stored files (the job's child process; inline in view tests). A run that
    has already finished is left as it is, so a retried job never imports twice."""
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if run.finished:
        return run
    actor = Actor.for_user(run.created_by, run.organization_id)
    options = run.options or {}
    with tempfile.TemporaryDirectory(prefix="tandem-land-import-") as folder:
        paths = []
        for upload in options.get("uploads", []):
            target = Path(folder) / upload["name"]
            with default_storage.open(upload["path"], "rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            paths.append(target)
        report = land_import(
            paths=paths,
            actor=actor,
            epci_siren=options.get("epci") or None,
            dry_run=run.dry_run,
            skip_invalid=bool(options.get("skip_invalid")),
            sets=options.get("set") or {},
            renames=options.get("rename") or {},
            producer_id=options.get("producer") or None,
            web=True,
            run=run,
        )
    if report.written:
        for owner_id in {v.owner_id for v in report.vintages if v.owner_id}:
            owner = Organization.objects.get(pk=owner_id)
            try:
                inventory_visibility_set(actor=actor, owner=owner, visibility=options.get("visibility"))
            except UserError:
                pass  # a delegate keeps the owner's choice of visibility
    if report.written:  # a dry run or a refused import writes nothing, not even an audit event
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            obj=run,
            details={"status": run.status, "files": [f.get("name") for f in run.files]},
        )
    land_import_uploads_delete(run=run)
    return run


def land_import_end(*, run_id: int, status: str, label: str) -> None:
    """Close a run the import itself could not close (worker or child process gone, cancelled): nothing of it
    was written, since an import writes in one transaction."""
    import_run_end(run_id=run_id, status=status, label=label[:200])
    run = ImportRun.objects.filter(pk=run_id).first()
    if run and run.finished:
        land_import_uploads_delete(run=run)


def land_import_uploads_delete(*, run: ImportRun) -> None:
    for upload in (run.options or {}).get("uploads", []):
        default_storage.delete(upload["path"])


# --- reference layers -------------------------------------------------------------------------------------------


@dataclass
class LayerLoadResult:
    kind: str
    source_name: str
    crs_label: str
    features: int
    unchanged_file: bool
    sites_changed: int
    terrains_changed: int
    dry_run: bool


def reference_layer_load(
    *, kind: str, path: Path, dry_run: bool = False, name: str | None = None
) -> LayerLoadResult:
    """Replace the reference layer of `kind` with the features of a file (GeoJSON, GeoPackage, zipped
    Shapefile; Lambert-93 or WGS84), then compute the distances of every site and terrain to it, in one
    transaction. The same file again (same SHA-256) keeps the layer as it is and changes no distance; a dry
    run validates and counts, then rolls everything back."""
    from tandem.imports.limits import import_limits
    from tandem.land.layers import read_layer_file
    from tandem.land.models import LayerKind, ReferenceFeature, ReferenceLayer

    if kind not in LayerKind.values:
        raise UserError(f"Type de couche inconnu : « {kind} » (types : {', '.join(LayerKind.values)}).")
    layer_file = read_layer_file(Path(path), import_limits(), name)
    with transaction.atomic():
        layer = ReferenceLayer.objects.select_for_update().filter(kind=kind).first()
        unchanged = layer is not None and layer.source_sha256 == layer_file.sha256
        if not unchanged:
            if layer is None:
                layer = ReferenceLayer(kind=kind)
            else:
                layer.features.all().delete()
            layer.source_name = layer_file.name[:255]
            layer.source_sha256 = layer_file.sha256
            layer.source_crs = layer_file.crs_label
            layer.feature_count = len(layer_file.geometries)
            layer.loaded_at = timezone.now()
            layer.save()
            wkb = shapely.to_wkb(shapely.set_srid(layer_file.geometries, 4326), include_srid=True, hex=True)
            ReferenceFeature.objects.bulk_create(
                [
                    ReferenceFeature(layer=layer, name=feature_name, geometry=geometry)
                    for feature_name, geometry in zip(layer_file.names, wkb, strict=True)
                ],
                batch_size=2000,
            )
        sites, terrains = reference_distances_refresh(kinds=[kind])
        if not unchanged or sites or terrains:
            audit_record(
                actor=None,
                action=AuditEvent.Action.IMPORT,
                obj=layer,
                details={
                    "file": layer_file.name,
                    "sha256": layer_file.sha256,
                    "features": layer.feature_count,
                    "sites_changed": sites,
                    "terrains_changed": terrains,
                },
            )
        if dry_run:
            transaction.set_rollback(True)
    return LayerLoadResult(
        kind=kind,
        source_name=layer_file.name,
        crs_label=layer_file.crs_label,
        features=len(layer_file.geometries),
        unchanged_file=unchanged,
        sites_changed=sites,
        terrains_changed=terrains,
        dry_run=dry_run,
    )


# The distance from each object's outline (a terrain without geometry: its site's) to the nearest feature of
# the layer, in Lambert-93, found by KNN (`<->`) over a GiST index of the layer's features alone (a temporary
# copy: in the shared table, the nearest features of a large layer would have to be skipped one by one to reach
# those of a small one); written only where it differs, so a reload of the same layer writes no row.
_LAYER_COPY_SQL = [
    "DROP TABLE IF EXISTS tandem_layer_features",
    "CREATE TEMPORARY TABLE tandem_layer_features AS"
    " SELECT geometry_l93 FROM land_referencefeature WHERE layer_id = %(layer)s",
    "CREATE INDEX ON tandem_layer_features USING gist (geometry_l93)",
    "ANALYZE tandem_layer_features",
]
_DISTANCES_SQL = """
WITH site_km AS (
    SELECT s.id, CASE WHEN s.geometry_l93 IS NULL THEN NULL ELSE (
        SELECT ST_Distance(s.geometry_l93, f.geometry_l93) / 1000.0 FROM tandem_layer_features f
        ORDER BY s.geometry_l93 <-> f.geometry_l93 LIMIT 1) END AS km
    FROM land_site s WHERE {site_filter}
), sites AS (
    UPDATE land_site s SET {column} = d.km FROM site_km d
    WHERE s.id = d.id AND s.{column} IS DISTINCT FROM d.km RETURNING 1
), terrain_km AS (
    SELECT t.id, CASE WHEN g.geom IS NULL THEN NULL ELSE (
        SELECT ST_Distance(g.geom, f.geometry_l93) / 1000.0 FROM tandem_layer_features f
        ORDER BY g.geom <-> f.geometry_l93 LIMIT 1) END AS km
    FROM land_terrain t LEFT JOIN land_site s ON s.id = t.site_eco_id
    CROSS JOIN LATERAL (SELECT COALESCE(t.geometry_l93, s.geometry_l93) AS geom) g
    WHERE {terrain_filter}
), terrains AS (
    UPDATE land_terrain t SET {column} = d.km FROM terrain_km d
    WHERE t.id = d.id AND t.{column} IS DISTINCT FROM d.km RETURNING 1
)
SELECT (SELECT count(*) FROM sites), (SELECT count(*) FROM terrains)
"""


def reference_distances_refresh(*, kinds=None, owner_ids=None) -> tuple[int, int]:
    """Compute the `calc_<kind>_km` distances of every site and terrain (of `owner_ids` only, when given) to
    each loaded layer of `kinds` (all loaded layers by default), one SQL statement per layer. Returns how many
    sites and terrains changed."""
    from tandem.land.models import DISTANCE_KINDS, ReferenceLayer

    layers = ReferenceLayer.objects.all()
    if kinds is not None:
        layers = layers.filter(kind__in=list(kinds))
    sites = terrains = 0
    owners = None if owner_ids is None else sorted({int(o) for o in owner_ids})
    for layer_id, kind in layers.values_list("pk", "kind"):
        sql = _DISTANCES_SQL.format(
            column=DISTANCE_KINDS[kind].column,  # from the model's own mapping, never from input
            site_filter="TRUE" if owners is None else "s.owner_id = ANY(%(owners)s)",
            terrain_filter="TRUE" if owners is None else "t.owner_id = ANY(%(owners)s)",
        )
        with connection.cursor() as cursor:
            for statement in _LAYER_COPY_SQL:
                cursor.execute(statement, {"layer": layer_id})
            cursor.execute(sql, {"owners": owners})
            changed = cursor.fetchone()
            cursor.execute(_LAYER_COPY_SQL[0])
        sites += changed[0]
        terrains += changed[1]
    return sites, terrains
