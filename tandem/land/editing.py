"""Editing one terrain or one friche in the browser with exactly the importer's validation.

The object's stored record is turned back into the standard's canonical text (`tandem.land.records`), the
user's changes are laid over it, and the one-row TERRAIN-ECO table goes through the same `validate()` as an
imported file (types, enumerations, harmless variants normalised with a warning, links, geometry). Only then is
anything written; the change is audited field by field and the record's update date (`terr_actu_date`,
`site_actu_date`) moves to today.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.geo import GEOMETRY_COLUMNS, geojson, to_shapely
from tandem.core.models import AuditEvent
from tandem.land.io import RawTable
from tandem.land.models import Friche, Pole, Terrain
from tandem.land.perms import can_see_personal_fields
from tandem.land.records import POINT_FIELDS, canonical_from_db, db_value, value_columns
from tandem.land.services import DbReferential, reference_distances_refresh
from tandem.land.validation import standard_columns, validate
from tandem.organizations.perms import Actor, can_change, can_create

TABLE = "terrain-eco"
READ_ONLY = ("terr_id",)
FORM_SOURCE = "formulaire de modification"
FRICHE_READ_ONLY = ("site_id", "comm_insee", "comm_nom")  # the identity and the place (hence the EPCI) stay


def friche_editable_columns(actor: Actor, friche: Friche) -> list[dict]:
    """The standard's Friches columns an actor may edit on this friche (geometry and identity excluded)."""
    stored = {column for column, _ in value_columns(Friche.TABLE)}
    hidden = set() if can_see_personal_fields(actor, friche) else set(Friche.PERSONAL_FIELDS)
    return [
        c
        for c in standard_columns(Friche.TABLE)
        if c["name"] in stored and c["name"] not in FRICHE_READ_ONLY and c["name"] not in hidden
    ]


def friche_record(friche: Friche) -> dict[str, str]:
    """The friche's canonical text per standard column, as an export would write it."""
    # The friche in hand (the caller found it through the permission layer).
    return canonical_from_db(Friche.TABLE, Friche.objects.unscoped().filter(pk=friche.pk))[friche.site_id]


@transaction.atomic
def friche_update(
    *, actor: Actor, friche: Friche, changes: dict[str, str], today: dt.date | None = None
) -> tuple[Friche, list]:
    """Validate `changes` (standard column → text) as the importer would validate a Friches file, then write
    them. Raises `UserError` with the importer's problems; returns the friche and the warnings."""
    if not can_change(actor, friche):
        raise NotAllowed("Vous ne pouvez pas modifier cette friche.")
    allowed = {c["name"] for c in friche_editable_columns(actor, friche)}
    record = friche_record(friche)
    row = {column: record.get(column, "") for column, _ in value_columns(Friche.TABLE)}
    lon, lat = (getattr(friche, f) for f in POINT_FIELDS[Friche.TABLE])
    row["geompoint"] = f"POINT ({lon} {lat})" if lon is not None and lat is not None else ""
    shape = to_shapely(friche.geometry)
    row["geomsurf"] = (
        shapely.to_wkt(shape) if shape is not None and shape.geom_type in ("Polygon", "MultiPolygon") else ""
    )
    return _validated_update(
        actor=actor,
        obj=friche,
        table=Friche.TABLE,
        row=row,
        record=record,
        allowed=allowed,
        changes=changes,
        date_column="site_actu_date",
        referential=_OneSiteReferential(""),
        today=today,
    )


def editable_columns(actor: Actor, terrain: Terrain) -> list[dict]:
    """The standard's TERRAIN-ECO columns (and `tdm_*` extensions) an actor may edit on this terrain."""
    stored = {column for column, _ in value_columns(TABLE)}
    hidden = set() if can_see_personal_fields(actor, terrain) else set(Terrain.PERSONAL_FIELDS)
    return [
        c
        for c in standard_columns(TABLE)
        if c["name"] in stored and c["name"] not in READ_ONLY and c["name"] not in hidden
    ]


def terrain_record(terrain: Terrain) -> dict[str, str]:
    """The terrain's canonical text per standard column, as an export would write it."""
    # The terrain in hand (the caller found it through the permission layer).
    record = canonical_from_db(
        TABLE, Terrain.objects.unscoped().filter(pk=terrain.pk).select_related("site_eco")
    )
    return record[terrain.terr_id]


class _OneSiteReferential(DbReferential):
    """The importer's referential; the terrain's link only needs its own site to exist."""

    def __init__(self, site_id: str):
        super().__init__()
        self.site_id = site_id

    def existing_ids(self, table: str) -> set[str]:
        return {self.site_id} if table == "site-eco" else set()


@transaction.atomic
def terrain_update(
    *, actor: Actor, terrain: Terrain, changes: dict[str, str], today: dt.date | None = None
) -> tuple[Terrain, list]:
    """Validate `changes` (standard column → text) as the importer would, then write them.

    Raises `UserError` with the importer's problems (French, naming the column and value). Returns the terrain
    and the warnings (normalised variants)."""
    if not can_change(actor, terrain):
        raise NotAllowed("Vous ne pouvez pas modifier ce terrain.")
    allowed = {c["name"] for c in editable_columns(actor, terrain)}
    record = terrain_record(terrain)
    row = {column: record.get(column, "") for column, _ in value_columns(TABLE)}
    row["site_id"] = terrain.site_eco.site_id
    row["terr_geomsurf"] = "" if terrain.geometry is None else _geojson_text(terrain)
    return _validated_update(
        actor=actor,
        obj=terrain,
        table=TABLE,
        row=row,
        record=record,
        allowed=allowed,
        changes=changes,
        date_column="terr_actu_date",
        referential=_OneSiteReferential(terrain.site_eco.site_id),
        today=today,
    )


def _validated_update(*, actor, obj, table, row, record, allowed, changes, date_column, referential, today):
    """Lay `changes` over the object's canonical `row`, validate the one-row table as an import, write."""
    unknown = set(changes) - allowed
    if unknown:
        raise UserError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    today = today or dt.date.today()
    proposed = {k: (v or "").strip() for k, v in changes.items()}
    if any(proposed[k] != row.get(k, "") for k in proposed):
        proposed.setdefault(date_column, today.isoformat())
    row.update(proposed)
    frame = pd.DataFrame([row], dtype=str)
    raw = RawTable(source=FORM_SOURCE, frame=frame, lines=np.array([1]), format="csv", table=table)
    validation = validate([raw], referential=referential)
    if validation.errors:
        raise UserError("Modification refusée : rien n'a été enregistré.", validation.errors)
    values = validation.tables[table].values.iloc[0]
    model = type(obj)
    fields = {f.name: f for f in model._meta.concrete_fields}
    diff = {}
    for column, field_name in value_columns(table):
        if column not in values.index or column not in allowed | {date_column}:
            continue
        new_text = values[column]
        if new_text == record.get(column, ""):
            continue
        setattr(obj, field_name, db_value(fields[field_name], new_text))
        diff[column] = [record.get(column, ""), new_text]
    if diff:
        obj.save()
        if isinstance(obj, Terrain):
            reference_distances_refresh(owner_ids=[obj.owner_id])  # its geometry may have moved
        hidden = set(model.PERSONAL_FIELDS)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=obj,
            details={
                "source": FORM_SOURCE,
                # Personal values are not copied into the audit log, only the fact that they changed.
                "changes": {k: (v if k not in hidden else ["…", "…"]) for k, v in diff.items()},
            },
        )
    return obj, validation.warnings


def _geojson_text(terrain: Terrain) -> str:
    return json.dumps(geojson(terrain.geometry))


# --- Creating a pôle or a site from a form -----------------------------------------------------------------

# The columns a creation form asks for; the others stay empty (the producer completes them by import or edit).
CREATION_COLUMNS = {
    "pole-eco": ["pole_id", "pole_nom", "pole_vocadomi", "pole_surface", "pole_geompoint"],
    "site-eco": [
        "site_id",
        "pole_id",
        "site_nom",
        "site_type",
        "site_vocadomi",
        "site_etat",
        "site_surf_brute",
        "site_surf_utile",
        "site_comm_insee",
        "site_moa_type",
        "site_geomsurf",
    ],
}
TODAY_COLUMNS = {"pole-eco": ["pole_identif_date"], "site-eco": ["site_identif_date", "site_actu_date"]}


def creation_columns(table: str) -> list[dict]:
    """The standard's specs of the columns a creation form asks for, in the form's order."""
    specs = {c["name"]: c for c in standard_columns(table)}
    return [specs[name] for name in CREATION_COLUMNS[table]]


@transaction.atomic
def inventory_record_create(
    *, actor: Actor, table: str, owner, values: dict[str, str], today: dt.date | None = None
) -> tuple:
    """Create a pôle or a site owned by `owner` (an EPCI's organisation) from a form, validated exactly as a
    one-row file of its table (types, enumerations, geometry, links, commune and EPCI). Identification dates are
    today; a site's EPCI and commune names come from the official geography. Raises `UserError` (the importer's
    problems, naming the field) or `NotAllowed`; returns the object and the warnings."""
    from tandem.land.records import MODELS
    from tandem.land.services import _incoming
    from tandem.land.validation import PRIMARY_KEY
    from tandem.territories.models import Commune

    model = MODELS[table]
    today = today or dt.date.today()
    row = {name: (values.get(name) or "").strip() for name in CREATION_COLUMNS[table]}
    for name in TODAY_COLUMNS[table]:
        row[name] = today.isoformat()
    commune_code = None
    if table == "site-eco":
        commune_code = row["site_comm_insee"] or None
        commune = Commune.objects.select_related("epci").filter(pk=commune_code).first()
        if commune is not None:
            row["site_comm_nom"] = commune.name
            row["site_epci_siren"] = commune.epci_id or ""
            row["site_epci_nom"] = commune.epci.name if commune.epci else ""
    if not can_create(actor, model, owner=owner, commune_code=commune_code):
        raise NotAllowed(
            f"Vous ne pouvez pas créer cet objet pour {owner.name}"
            + (f" dans la commune {commune_code}." if commune_code else ".")
        )
    key = PRIMARY_KEY[table]
    problems = []
    # Unscoped on purpose below: the owner's own inventory, for which the actor may create (checked above).
    if row[key] and model.objects.unscoped().filter(owner=owner, **{key: row[key]}).exists():
        problems.append(_form_problem(key, f"identifiant déjà utilisé par {owner.name}", row[key]))
    pole = (
        Pole.objects.unscoped().filter(owner=owner, pole_id=row["pole_id"]).first()
        if table == "site-eco"
        else None
    )
    frame = pd.DataFrame([row], dtype=str)
    raw = RawTable(source=FORM_SOURCE, frame=frame, lines=np.array([1]), format="csv", table=table)
    validation = validate(
        [raw],
        referential=_PolesReferential(owner) if table == "site-eco" else DbReferential(),
        epci_siren=None,
    )
    problems = [*validation.errors, *problems]
    if problems:
        raise UserError("Création refusée : rien n'a été enregistré.", problems)
    values_frame, geo = _incoming(validation.tables[table])
    canonical = values_frame.iloc[0]
    obj = model(owner=owner, visibility=_inventory_visibility(owner))
    fields = {f.name: f for f in model._meta.concrete_fields}
    for column, name in value_columns(table):
        if column in canonical.index:
            setattr(obj, name, db_value(fields[name], canonical[column]))
    for name in GEOMETRY_COLUMNS:
        value = geo.iloc[0][name]
        setattr(obj, name, GEOSGeometry(value) if name == "geometry" and value else value)
    points = validation.tables[table].points
    if table == "site-eco":
        obj.pole_eco = pole
        obj.commune_id = commune_code
        if points is not None and points[0] is not None:
            obj.site_geompoint_lon, obj.site_geompoint_lat = (
                shapely.get_x(points[0]),
                shapely.get_y(points[0]),
            )
    obj.save()
    if table in ("site-eco", "terrain-eco"):
        reference_distances_refresh(owner_ids=[owner.pk])
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=obj, details={"source": "formulaire de création"}
    )
    return obj, validation.warnings


def _form_problem(column: str, message: str, value: str):
    from tandem.core.errors import Problem

    return Problem(FORM_SOURCE, 1, column, message, value)


def _inventory_visibility(owner) -> str:
    """A new object is seen like the rest of its owner's inventory (one visibility per inventory)."""
    from tandem.land.models import Site
    from tandem.organizations.models import Visibility

    # Unscoped on purpose: the owner's inventory visibility, whoever creates on its behalf.
    current = Site.objects.unscoped().filter(owner=owner).values_list("visibility", flat=True).first()
    if current is None:
        current = Pole.objects.unscoped().filter(owner=owner).values_list("visibility", flat=True).first()
    return current or Visibility.PRIVATE


class _PolesReferential(DbReferential):
    """The importer's referential; a new site's pôle must be one of its owner's."""

    def __init__(self, owner):
        super().__init__()
        self.owner = owner

    def existing_ids(self, table: str) -> set[str]:
        if table == "pole-eco":
            # The owner's own pôles, for which the actor may create a site (checked by the caller).
            return set(Pole.objects.unscoped().filter(owner=self.owner).values_list("pole_id", flat=True))
        return set()
