"""Writes of the official geography. One load is validated first, then written in one transaction."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.db.models import Q

from tandem.core.errors import Report
from tandem.core.geo import GEOMETRY_COLUMNS, geometry_columns_many, to_shapely
from tandem.imports.models import ImportRun
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.territories.models import Commune, Departement, Epci, Region, ZoneEmploi
from tandem.territories.sources import Geography

log = logging.getLogger(__name__)
SIMPLIFY_DEG = 0.0002  # ~15 m: dissolved boundaries are for maps, not for cadastral precision


@dataclass
class TableChange:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    changed_pks: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v and k != "changed_pks"}


@dataclass
class LoadSummary:
    tables: dict[str, TableChange] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list = field(default_factory=list)  # the warnings as Problems, for the run's report
    run: ImportRun | None = None

    @property
    def changed(self) -> bool:
        return any(t.created or t.updated or t.retired for t in self.tables.values())

    def as_dict(self) -> dict:
        return {name: change.as_dict() for name, change in self.tables.items() if change.as_dict()}


def geography_load(
    *, geography: Geography, dry_run: bool = False, actor=None, run: ImportRun | None = None
) -> LoadSummary:
    """Load official geography idempotently: new rows are created, changed rows updated, nothing deleted.

    Communes absent from a newer COG are kept, marked not current and linked to the commune they merged into.
    The load is recorded as an import run (`tandem.imports`); a dry run writes nothing at all, a refused load
    only its run.
    """
    run = import_run_start(
        kind=ImportRun.Kind.GEOGRAPHY,
        actor=actor,
        paths=[Path(s["path"]) for s in geography.sources if s.get("path")],
        options={"cog_year": geography.cog_year, "sources": geography.sources},
        dry_run=dry_run,
        run=run,
    )
    with import_run_guard(run):
        summary = _geography_write(geography, run)
    total = lambda key: sum(getattr(t, key) for t in summary.tables.values())  # noqa: E731
    summary.run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=summary.problems,
        created=total("created"),
        updated=total("updated"),
        unchanged=total("unchanged"),
        details={
            "tables": {
                name: {"added": t.created, "changed": t.updated, "unchanged": t.unchanged}
                for name, t in summary.tables.items()
            },
            "removed": total("retired"),
            "notes": [f"{t.retired} {name} retiré(es)" for name, t in summary.tables.items() if t.retired],
        },
    )
    return summary


def _geography_write(geography: Geography, run: ImportRun) -> LoadSummary:
    report = Report()
    summary = LoadSummary()
    _check_references(geography)
    # A load retires only what it covers: communes of its départements; EPCI only when it covers them all.
    source_deps = {row.departement for row in geography.communes}
    existing_deps = set(
        Commune.objects.filter(is_current=True).values_list("departement_id", flat=True).distinct()
    )
    complete = bool(source_deps) and existing_deps <= source_deps
    with import_writes(run):
        _upsert(Region, {c: {"name": n} for c, n in geography.regions.items()}, summary, "régions")
        _upsert(
            Departement,
            {c: {"name": n, "region_id": r} for c, (n, r) in geography.departements.items()},
            summary,
            "départements",
        )
        if geography.zones_emploi:
            _upsert(
                ZoneEmploi,
                {c: {"name": n} for c, n in geography.zones_emploi.items()},
                summary,
                "zones d'emploi",
            )

        commune_epci = _commune_epci(geography, report)
        if geography.epcis:
            _upsert(
                Epci,
                {
                    e.siren: _provided(
                        name=e.name,
                        kind=e.kind,
                        financing=e.financing,
                        population=e.population,
                        is_current=True,
                    )
                    for e in geography.epcis
                },
                summary,
                "EPCI",
                retire={"is_current": False} if complete else None,
            )
        communes = {}
        for row in geography.communes:
            values = _provided(
                name=row.name,
                siren=row.siren,
                departement_id=row.departement,
                region_id=row.region,
                population=row.population,
                postal_codes=row.postal_codes,
                is_current=True,
                merged_into_id=None,
                cog_year=geography.cog_year,
            )
            if geography.epcis:
                values["epci_id"] = commune_epci.get(row.code)
            if geography.commune_zone_emploi:
                values["zone_emploi_id"] = geography.commune_zone_emploi.get(row.code)
            communes[row.code] = values
        if geography.outlines:
            _attach_outlines(geography, communes)
        before = {
            code: keys
            for code, *keys in Commune.objects.values_list(
                "pk", "epci_id", "departement_id", "zone_emploi_id"
            )
        }
        if communes:
            merged_into = {old: row.code for row in geography.communes for old in row.former_codes}
            _upsert(
                Commune,
                communes,
                summary,
                "communes",
                retire={"is_current": False},
                retire_extra=lambda code: {"merged_into_id": merged_into.get(code)},
                retire_scope=set(
                    Commune.objects.filter(departement_id__in=source_deps).values_list("pk", flat=True)
                ),
            )
        elif geography.commune_zone_emploi:
            _update_zone_emploi(geography, summary)
        changed = [
            pk for name, t in summary.tables.items() if name.startswith("communes") for pk in t.changed_pks
        ]
        _dissolve(summary, _affected_groups(changed, before))
        for message in report.warnings:
            summary.warnings.append(str(message))
        summary.problems = report.warnings
        if summary.changed:
            from tandem.organizations.services import organization_perimeters_sync

            organization_perimeters_sync()
    return summary


def _provided(**values) -> dict:
    """The values a source provides; None means absent from it, and the stored value is kept.
    (`merged_into_id` is the exception: a current commune is merged into nothing.)"""
    return {k: v for k, v in values.items() if v is not None or k == "merged_into_id"}


def _commune_epci(geography: Geography, report: Report) -> dict[str, str]:
    known = {row.code for row in geography.communes}
    mapping = {}
    outside = 0
    for epci in geography.epcis:
        for member in epci.members:
            if member in known:
                mapping[member] = epci.siren
            else:
                outside += 1
    if outside:
        report.warning(
            "EPCI",
            None,
            "membres",
            f"{outside} commune(s) membre(s) d'EPCI hors du fichier des communes : ignorées",
        )
    return mapping


def _attach_outlines(geography: Geography, communes: dict[str, dict]) -> None:
    codes = list(communes)
    columns = geometry_columns_many([geography.outlines.get(code) for code in codes])
    for code, values in zip(codes, columns, strict=True):
        communes[code].update(values)


def _check_references(geography: Geography) -> None:
    """Every département and région a row points to must be in the load or already in the database."""
    report = Report()
    regions = set(geography.regions) | set(Region.objects.values_list("pk", flat=True))
    departements = set(geography.departements) | set(Departement.objects.values_list("pk", flat=True))
    for code, (_, region) in geography.departements.items():
        if region not in regions:
            report.error(
                "départements", None, "region", f"région inconnue pour le département {code}", region
            )
    for row in geography.communes:
        if row.departement not in departements:
            report.error(
                "communes",
                None,
                "departement",
                f"département inconnu pour la commune {row.code}",
                row.departement,
            )
        if row.region not in regions:
            report.error(
                "communes", None, "region", f"région inconnue pour la commune {row.code}", row.region
            )
    report.raise_if_errors("La géographie n'a pas été chargée : références inconnues.")


def _upsert(
    model,
    rows: dict[str, dict],
    summary: LoadSummary,
    label: str,
    retire=None,
    retire_extra=None,
    retire_scope=None,
) -> None:
    """Create or update `rows` (pk -> values); rows missing from a full load are retired, never deleted."""
    change = summary.tables.setdefault(label, TableChange())
    fields = sorted({name for values in rows.values() for name in values})
    # GeoJSON arrives as text and is compared through its digest; it is parsed only for rows written.
    compared = [name for name in fields if name != "geometry"]
    existing = {obj.pk: obj for obj in model.objects.only("pk", *compared)}
    to_create, to_update = [], []
    for pk, values in rows.items():
        obj = existing.get(pk)
        if obj is None:
            to_create.append(model(pk=pk, **values))
            continue
        if any(getattr(obj, name) != values[name] for name in compared):
            for name, value in values.items():
                setattr(obj, name, value)
            to_update.append(obj)
        else:
            change.unchanged += 1
    if retire:
        for pk, obj in existing.items():
            if pk in rows or (retire_scope is not None and pk not in retire_scope):
                continue
            values = dict(retire, **(retire_extra(pk) if retire_extra else {}))
            if any(getattr(obj, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(obj, name, value)
                to_update.append(obj)
                change.retired += 1
    change.changed_pks = [obj.pk for obj in (*to_create, *to_update)]
    model.objects.bulk_create(to_create, batch_size=1000)
    update_fields = sorted({*fields, *(retire or {}), *(["merged_into_id"] if retire_extra else [])})
    update_fields = [f[:-3] if f.endswith("_id") else f for f in update_fields]
    if to_update:
        model.objects.bulk_update(to_update, update_fields, batch_size=500)
    change.created += len(to_create)
    change.updated += len(to_update) - change.retired


def _update_zone_emploi(geography: Geography, summary: LoadSummary) -> None:
    rows = {
        code: {"zone_emploi_id": geography.commune_zone_emploi.get(code)}
        for code in Commune.objects.filter(is_current=True).values_list("pk", flat=True)
    }
    _upsert(Commune, rows, summary, "communes (zones d'emploi)")


def _affected_groups(changed: list[str], before: dict[str, list]) -> dict[type, set]:
    """EPCI, départements and zones d'emploi whose members or member outlines changed, or lack a boundary."""
    groups = {Epci: set(), Departement: set(), ZoneEmploi: set()}
    models = (Epci, Departement, ZoneEmploi)
    after = Commune.objects.filter(pk__in=changed).values_list("epci_id", "departement_id", "zone_emploi_id")
    for keys in [*after, *(before[pk] for pk in changed if pk in before)]:
        for model, key in zip(models, keys, strict=True):
            if key:
                groups[model].add(key)
    for model in models:
        groups[model] |= set(model.objects.filter(geometry_digest="").values_list("pk", flat=True))
    return groups


def _dissolve(summary: LoadSummary, affected: dict[type, set]) -> None:
    """Dissolve current commune outlines into the boundaries of the affected EPCI, départements, régions and
    zones d'emploi (all of them on a first load; none when nothing changed)."""
    if not any(affected.values()):
        return
    groups: dict[type, dict[str, list]] = {
        Epci: defaultdict(list),
        Departement: defaultdict(list),
        ZoneEmploi: defaultdict(list),
    }
    codes, texts, keys = [], [], []
    members = Commune.objects.filter(is_current=True, geometry__isnull=False).filter(
        Q(epci_id__in=affected[Epci])
        | Q(departement_id__in=affected[Departement])
        | Q(zone_emploi_id__in=affected[ZoneEmploi])
    )
    for code, geometry, epci, dep, ze in members.values_list(
        "pk", "geometry", "epci_id", "departement_id", "zone_emploi_id"
    ):
        codes.append(code)
        texts.append(geometry)
        keys.append((epci, dep, ze))
    geoms = shapely.from_wkb([bytes(t.wkb) for t in texts]) if texts else []
    for geom, (epci, dep, ze) in zip(geoms, keys, strict=True):
        if epci in affected[Epci]:
            groups[Epci][epci].append(geom)
        if dep in affected[Departement]:
            groups[Departement][dep].append(geom)
        if ze in affected[ZoneEmploi]:
            groups[ZoneEmploi][ze].append(geom)
    dep_shapes = {}
    for model, members in groups.items():
        pks = list(members)
        shapes = [
            shapely.simplify(shapely.union_all(members[pk]), SIMPLIFY_DEG, preserve_topology=True)
            for pk in pks
        ]
        if model is Departement:
            dep_shapes = dict(zip(pks, shapes, strict=True))
        _set_geometries(model, pks, shapes, summary)
    touched = set(Departement.objects.filter(pk__in=dep_shapes).values_list("region_id", flat=True))
    touched |= set(Region.objects.filter(geometry_digest="").values_list("pk", flat=True))
    regions = defaultdict(list)
    for dep, region, geometry in Departement.objects.filter(
        region_id__in=touched, geometry__isnull=False
    ).values_list("pk", "region_id", "geometry"):
        regions[region].append(dep_shapes.get(dep) or to_shapely(geometry))
    pks = list(regions)
    _set_geometries(Region, pks, [shapely.union_all(regions[pk]) for pk in pks], summary)


def _set_geometries(model, pks, shapes, summary: LoadSummary) -> None:
    columns = geometry_columns_many(shapes)
    rows = {pk: values for pk, values in zip(pks, columns, strict=True)}
    compared = [name for name in GEOMETRY_COLUMNS if name != "geometry"]
    existing = {obj.pk: obj for obj in model.objects.filter(pk__in=pks).only("pk", *compared)}
    change = summary.tables.setdefault(f"{model._meta.verbose_name_plural} (contours)", TableChange())
    to_update = []
    for pk, values in rows.items():
        obj = existing[pk]
        if any(getattr(obj, name) != values[name] for name in compared):
            for name, value in values.items():
                setattr(obj, name, value)
            to_update.append(obj)
        else:
            change.unchanged += 1
    model.objects.bulk_update(to_update, list(GEOMETRY_COLUMNS), batch_size=200)
    change.updated += len(to_update)
