"""Custom perimeters: services (writes) and the import/export of perimeter files."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.db.models import GeometryField, Union
from django.db import transaction
from django.db.models import OuterRef, Subquery

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, Problem, Report, UserError
from tandem.core.geo import WGS84, to_shapely
from tandem.core.models import AuditEvent
from tandem.core.spreadsheet import neutralise_row
from tandem.imports.limits import import_limits, size_text
from tandem.imports.models import ImportRun
from tandem.imports.reader import decode, read_table
from tandem.imports.services import import_run_finish, import_run_guard, import_run_start, import_writes
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor, can_change, can_create, can_share
from tandem.territories.models import Commune, Epci, Perimeter

SIREN_IN_TEXT = re.compile(r"\b(\d{9})\b")
CODE_COMMUNE = re.compile(r"^\d[\dAB]\d{3}$")


def _expand_members(members: list[str]) -> tuple[set[str], list[str]]:
    """Commune codes for a list of commune INSEE codes, commune SIRENs or EPCI SIRENs; unknown ones apart."""
    codes, unknown = set(), []
    epci_members = dict(
        (siren, set()) for siren in Epci.objects.filter(siren__in=members).values_list("siren", flat=True)
    )
    for epci_id, code in Commune.objects.filter(epci_id__in=epci_members, is_current=True).values_list(
        "epci_id", "pk"
    ):
        epci_members[epci_id].add(code)
    by_code = set(Commune.objects.filter(pk__in=members).values_list("pk", flat=True))
    by_siren = dict(Commune.objects.filter(siren__in=members).values_list("siren", "pk"))
    for member in members:
        if member in epci_members:
            codes |= epci_members[member]
        elif member in by_code:
            codes.add(member)
        elif member in by_siren:
            codes.add(by_siren[member])
        else:
            unknown.append(member)
    return codes, unknown


@transaction.atomic
def perimeter_create(
    *,
    actor: Actor,
    owner: Organization,
    name: str,
    members: list[str],
    kind: str = Perimeter.Kind.AUTRE,
    code: str = "",
    description: str = "",
    visibility: str = Visibility.PRIVATE,
    source: str = "",
) -> Perimeter:
    """Create a perimeter from communes (INSEE code or SIREN) and/or EPCI (SIREN)."""
    if not can_create(actor, Perimeter, owner=owner):
        raise NotAllowed("Vous ne pouvez pas créer de périmètre pour cette organisation.")
    if visibility != Visibility.PRIVATE and not can_share(actor, owner=owner):
        raise NotAllowed(
            f"Seule l'organisation propriétaire ({owner}) décide avec qui ce périmètre est partagé : "
            "créez-le avec la visibilité « organisation propriétaire »."
        )
    if not name.strip():
        raise UserError("Le nom du périmètre est obligatoire.")
    codes, unknown = _expand_members(members)
    if unknown:
        raise UserError(f"Codes inconnus (ni commune ni EPCI) : {', '.join(unknown[:20])}.")
    perimeter = Perimeter.objects.create(
        owner=owner,
        name=name.strip(),
        kind=kind,
        code=code,
        description=description,
        visibility=visibility,
        source=source,
    )
    perimeter.communes.set(sorted(codes))
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=perimeter, details={"communes": len(codes)}
    )
    return perimeter


@transaction.atomic
def perimeter_update(
    *, actor: Actor, perimeter: Perimeter, members: list[str] | None = None, **values
) -> Perimeter:
    if not can_change(actor, perimeter):
        raise NotAllowed("Vous ne pouvez pas modifier ce périmètre.")
    if values.get("visibility") not in (None, perimeter.visibility) and not can_share(actor, perimeter):
        raise NotAllowed(
            f"Seule l'organisation propriétaire ({perimeter.owner}) décide avec qui ce périmètre est partagé."
        )
    changed = {}
    for name in ("name", "kind", "code", "description", "visibility"):
        if name in values and values[name] is not None and getattr(perimeter, name) != values[name]:
            changed[name] = [getattr(perimeter, name), values[name]]
            setattr(perimeter, name, values[name])
    perimeter.save()
    if members is not None:
        codes, unknown = _expand_members(members)
        if unknown:
            raise UserError(f"Codes inconnus (ni commune ni EPCI) : {', '.join(unknown[:20])}.")
        perimeter.communes.set(sorted(codes))
        changed["communes"] = len(codes)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=perimeter, details=changed)
    return perimeter


def perimeter_delete(*, actor: Actor, perimeter: Perimeter) -> None:
    if not can_change(actor, perimeter):
        raise NotAllowed("Vous ne pouvez pas supprimer ce périmètre.")
    audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=perimeter)
    perimeter.delete()


# --- import -------------------------------------------------------------------------------------------------

ID_COLUMNS = ("id_ti", "id_territoire", "code", "id", "perimetre_code")
NAME_COLUMNS = ("lib_ti", "lib_territoire", "nom", "name", "perimetre", "libelle")
MEMBER_COLUMNS = (
    "groupement_siren",
    "siren_groupement",
    "epci_siren",
    "siren",
    "commune_code_insee",
    "code_insee",
    "insee",
    "liste_geo",
    "membres",
)


@dataclass
class ParsedPerimeter:
    code: str
    name: str
    members: list[str] = field(default_factory=list)
    line: int = 0


def parse_perimeter_file(path: Path) -> list[ParsedPerimeter]:
    """Perimeters from a CSV (one row per member, or members listed in one cell) or a GeoJSON file."""
    if not path.exists():
        raise UserError(f"{path} : fichier introuvable.")
    limits = import_limits()
    if path.suffix.lower() in (".geojson", ".json"):
        if path.stat().st_size > limits.upload_bytes:
            raise UserError(
                f"{path.name} : fichier trop volumineux (limite : {size_text(limits.upload_bytes)})."
            )
        text, _encoding = decode(path.read_bytes(), path.name)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path.name}, ligne {exc.lineno} : GeoJSON invalide ({exc.msg}).") from exc
        rows = [(i, f.get("properties") or {}) for i, f in enumerate(data.get("features") or [], start=1)]
        where = "entité"
    else:
        table = read_table(path, path.name, limits=limits, delimiters=(";", ","))
        if table.problems:
            raise UserError(f"{path.name} : lignes mal formées.", table.problems)
        rows = table.records()
        where = "ligne"
    if not rows:
        raise UserError(f"{path.name} : aucun périmètre dans le fichier.")
    keys = list(rows[0][1].keys())
    id_col = next((c for c in ID_COLUMNS if c in keys), None)
    name_col = next((c for c in NAME_COLUMNS if c in keys), None)
    member_col = next((c for c in MEMBER_COLUMNS if c in keys), None)
    if name_col is None or member_col is None:
        raise UserError(
            f"{path.name} : colonnes attendues : un nom ({', '.join(NAME_COLUMNS[:4])}) et des membres "
            f"({', '.join(MEMBER_COLUMNS[:5])}) ; colonnes trouvées : {', '.join(keys)}."
        )
    report = Report()
    perimeters: dict[str, ParsedPerimeter] = {}
    for line, row in rows:
        name = str(row.get(name_col) or "").strip()
        code = str(row.get(id_col) or "").strip() if id_col else name
        members = SIREN_IN_TEXT.findall(str(row.get(member_col) or "")) or [
            m.strip() for m in re.split(r"[,;|]", str(row.get(member_col) or "")) if m.strip()
        ]
        if not name:
            report.error(path.name, line, name_col, f"nom manquant ({where} {line})")
            continue
        if not members:
            report.error(path.name, line, member_col, "aucun membre (SIREN d'EPCI ou code INSEE de commune)")
            continue
        bad = [m for m in members if not (re.match(r"^\d{9}$", m) or CODE_COMMUNE.match(m))]
        for member in bad:
            report.error(
                path.name, line, member_col, "ni SIREN (9 chiffres) ni code INSEE de commune", member
            )
        item = perimeters.setdefault(code or name, ParsedPerimeter(code=code, name=name, line=line))
        item.members.extend(m for m in members if m not in bad)
    report.raise_if_errors(f"{path.name} : aucun périmètre importé, le fichier contient des erreurs.")
    return list(perimeters.values())


@dataclass
class PerimeterImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_members: list[str] = field(default_factory=list)
    run: ImportRun | None = None


def perimeters_import(
    *,
    actor: Actor,
    owner: Organization,
    path: Path,
    kind: str = Perimeter.Kind.AUTRE,
    visibility: str = Visibility.NETWORK,
    only_region: str | None = None,
    dry_run: bool = False,
    display_name: str | None = None,
    run: ImportRun | None = None,
) -> PerimeterImportResult:
    """Import perimeters; the same file twice changes nothing. Members outside Tandem's geography are listed.
    Recorded as an import run; a dry run writes nothing at all, a refused import only its run (then raises)."""
    path = Path(path)
    run = import_run_start(
        kind=ImportRun.Kind.PERIMETERS,
        actor=actor,
        paths=[path],
        display_names={path: display_name} if display_name else None,
        options={"kind": kind, "visibility": visibility, "region": only_region},
        dry_run=dry_run,
        owner=owner,
        run=run,
    )
    with import_run_guard(run), import_writes(run):
        result = _perimeters_write(actor, owner, path, kind, visibility, only_region)
    name = display_name or path.name
    problems = [
        Problem(name, None, "membres", "membre hors de la géographie chargée : ignoré", code, level="warning")
        for code in result.unknown_members
    ]
    result.run = import_run_finish(
        run=run,
        status=ImportRun.Status.DONE,
        problems=problems,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    return result


def _perimeters_write(actor, owner, path, kind, visibility, only_region) -> PerimeterImportResult:
    if not can_create(actor, Perimeter, owner=owner):
        raise NotAllowed("Vous ne pouvez pas importer de périmètres pour cette organisation.")
    if visibility != Visibility.PRIVATE and not can_share(actor, owner=owner):
        raise NotAllowed(
            f"Seule l'organisation propriétaire ({owner}) décide avec qui ses périmètres sont partagés."
        )
    result = PerimeterImportResult()
    parsed = parse_perimeter_file(path)
    for item in parsed:
        codes, unknown = _expand_members(item.members)
        if only_region:
            codes = set(
                Commune.objects.filter(pk__in=codes, region_id=only_region).values_list("pk", flat=True)
            )
            if not codes:
                continue
        result.unknown_members.extend(unknown)
        # The owner's own perimeter of that code (the actor may create for this owner, checked above).
        perimeter = Perimeter.objects.unscoped().filter(owner=owner, kind=kind, code=item.code).first()
        if perimeter is None:
            perimeter = Perimeter.objects.create(
                owner=owner,
                name=item.name,
                code=item.code,
                kind=kind,
                visibility=visibility,
                source=path.name,
            )
            perimeter.communes.set(sorted(codes))
            result.created += 1
            audit_record(
                actor=actor, action=AuditEvent.Action.IMPORT, obj=perimeter, details={"fichier": path.name}
            )
            continue
        current = set(perimeter.communes.values_list("pk", flat=True))
        if perimeter.name == item.name and current == codes:
            result.unchanged += 1
            continue
        perimeter.name = item.name
        perimeter.save()
        perimeter.communes.set(sorted(codes))
        result.updated += 1
        audit_record(
            actor=actor, action=AuditEvent.Action.IMPORT, obj=perimeter, details={"fichier": path.name}
        )
    return result


# --- export -------------------------------------------------------------------------------------------------


def perimeters_export_csv(perimeters) -> str:
    """One row per (perimeter, commune): the same layout the importer reads back."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["code", "nom", "type", "commune_code_insee", "commune_nom"])
    for perimeter in perimeters.prefetch_related("communes"):
        for commune in perimeter.communes.all():
            writer.writerow(
                neutralise_row([perimeter.code, perimeter.name, perimeter.kind, commune.code, commune.name])
            )
    return out.getvalue()


def perimeter_outline(*, srid: int = WGS84) -> Subquery:
    """SQL expression over perimeters: the outline, the union of the perimeter's communes dissolved by PostGIS
    (WGS84, or the Lambert-93 copies of the communes when `srid` is 2154). The one definition of a perimeter's
    outline, for a single perimeter (`perimeter_geometry`) or a whole queryset (the OGC API)."""
    column = "geometry" if srid == WGS84 else "geometry_l93"
    communes = (
        Commune.objects.filter(perimeters=OuterRef("pk"))
        .exclude(**{column: None})
        .order_by()
        .values("perimeters")
        .annotate(outline=Union(column))
        .values("outline")
    )
    return Subquery(communes, output_field=GeometryField(srid=srid))


def perimeter_geometry(perimeter: Perimeter):
    """The perimeter's outline (`perimeter_outline`) as a shapely geometry, WGS84."""
    union = (
        Perimeter.objects.unscoped()  # the perimeter in hand, already read through the permission layer
        .filter(pk=perimeter.pk)
        .annotate(outline=perimeter_outline())
        .values_list("outline", flat=True)
        .first()
    )
    return to_shapely(union)
