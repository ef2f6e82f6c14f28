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
from django.db import transaction

from tandem.core.audit import audit_record
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.land.io import RawTable
from tandem.land.models import Friche, Terrain
from tandem.land.perms import can_see_personal_fields
from tandem.land.records import POINT_FIELDS, canonical_from_db, db_value, value_columns
from tandem.land.services import DbReferential
from tandem.land.validation import standard_columns, validate
from tandem.organizations.perms import Actor, can_change

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
    return canonical_from_db(Friche.TABLE, Friche.objects.filter(pk=friche.pk))[friche.site_id]


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
    geometry = friche.geometry or {}
    row["geomsurf"] = (
        shapely.to_wkt(shapely.from_geojson(json.dumps(geometry)))
        if geometry.get("type") in ("Polygon", "MultiPolygon")
        else ""
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
    record = canonical_from_db(TABLE, Terrain.objects.filter(pk=terrain.pk).select_related("site_eco"))
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
    return json.dumps(terrain.geometry)
