"""Adapter from the land inventory to the matching engine's columns, restricted to what the caller may see.

Candidates: available terrains (not sold, reserved or occupied), sites offering commercialisable surface
without any terrain recorded, and friches not yet reconverted nor attached to a terrain. A terrain's `tdm_*`
value overrides its site's (SQL `COALESCE`).

Loading 100,000 terrains takes a second, so the arrays are built once per state of the land tables (their
visibility version, moved on by database triggers at every write and checked with one indexed query per call)
and day, and stored in the database (`CandidateArrays`, compressed) for every process: the job worker and the
import command build them right after a land import (`candidate_arrays_prepare`), a web process reads them
(~30 ms) instead of rebuilding them (1–2 s in each process after each import, before). Each process keeps the
arrays in memory, and the visible positions once per visibility scope (organisations, roles, delegations) and
state.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from tandem.core.memory import ProcessMemory
from tandem.land.availability import availability_case, unavailable_reason
from tandem.land.models import Friche, LayerKind, Site, Terrain
from tandem.land.models.layers import effective_distance
from tandem.land.perms import personal_fields_visible
from tandem.organizations.perms import Actor, scope_queryset
from tandem.organizations.scoping import unscoped
from tandem.organizations.versions import visibility_version
from tandem.prospects.labour import commune_labour
from tandem.prospects.matching import (
    ICPE_LEVELS,
    KIND_FRICHE,
    KIND_NAMES,
    KIND_SITE,
    KIND_TERRAIN,
    SEVESO_LEVELS,
    Candidates,
)

# Two terrains of one site are adjacent when their parcels are within this distance (Lambert-93): cadastral
# outlines digitised separately rarely touch exactly, and a few metres never hide a road between them.
ADJACENCY_TOLERANCE_M = 5.0
SERVICED_STAGES = ("viabilisé non aménagé", "viabilisé et aménagé")
STUDIES = (
    "tdm_study_fauna_flora_on",
    "tdm_study_wetlands_on",
    "tdm_study_archaeology_on",
    "tdm_study_soil_pollution_on",
    "tdm_study_geotechnics_on",
)
LAND_MODELS = {KIND_TERRAIN: Terrain, KIND_SITE: Site, KIND_FRICHE: Friche}


# Friches whose state a buyer must deal with first: a condition and a penalty in the matching.
FRICHE_ISSUES = {
    "site_statut": {
        "friche avec projet": "friche avec projet : s'assurer auprès du propriétaire que le site reste libre"
    },
    "sol_pollution_existe": {
        "pollution avérée": "pollution avérée du sol : dépollution à chiffrer et à prévoir"
    },
}
DECLASSIFIED = "déclassé"


def terrain_rows(today: date):
    """Every terrain with its availability class, from the one rule of the inventory (`tandem.land.availability`,
    also used by the indicators and the map): the classes « occupé ou vendu », « réservé » and « non
    mobilisable » — and the terrains of a declassified zone — are kept, marked unavailable with their reason,
    so that `include_excluded` tells the user why a site they expected is absent."""
    return Terrain.objects.annotate(m_availability=availability_case(today=today))


def friche_issue(**fields) -> str:
    """The condition a friche carries (project on it, proven pollution), in French; empty when none."""
    return " ; ".join(
        text for name, texts in FRICHE_ISSUES.items() if (text := texts.get(fields.get(name) or ""))
    )


@dataclass
class Bundle:
    """Every candidate row of the inventory, before visibility."""

    candidates: Candidates
    region: np.ndarray  # region code of the commune, per row
    owner_id: np.ndarray
    personal_shared: np.ndarray
    raw_price: np.ndarray  # personal field: masked per scope
    lon: np.ndarray  # WGS84 point of each candidate (NaN: unknown), for the sector ecosystem
    lat: np.ndarray


def _c(name: str, *site_fallbacks: str, prefix: str = "site_eco__"):
    return Coalesce(name, *(f"{prefix}{s}" for s in site_fallbacks))


def _readiness(rows_studies: list[tuple], stages: list[str], today: date) -> np.ndarray:
    """Share of the five preliminary studies done (70 %) and servicing finished (30 %)."""
    done = np.array([sum(1 for d in studies if d is not None and d <= today) for studies in rows_studies])
    serviced = np.array([s in SERVICED_STAGES for s in stages], dtype=np.float64)
    return 0.7 * done / len(STUDIES) + 0.3 * serviced if len(done) else np.empty(0)


def _levels(values, levels) -> list[int]:
    index = {v: i for i, v in enumerate(levels)}
    return [index.get(v, -1) for v in values]


def _power(values, ons, today: date):
    """A power available only from a future date is a planned reinforcement; today's is then unknown."""
    now, later, later_on = [], [], []
    for value, on in zip(values, ons, strict=True):
        if on is not None and on > today:
            now.append(np.nan)
            later.append(np.nan if value is None else value)
            later_on.append(on)
        else:
            now.append(np.nan if value is None else value)
            later.append(np.nan)
            later_on.append(None)
    return now, later, later_on


def _num(values):
    return [np.nan if v is None else v for v in values]


def _terrain_columns(today: date) -> tuple[dict, dict]:
    fields = _terrain_fields()
    qs = terrain_rows(today).order_by("pk").annotate(**{f"m_{k}": v for k, v in fields.items()})
    rows = list(qs.values_list(*(f"m_{k}" for k in fields), "m_availability"))
    availability = [row[-1] for row in rows]
    rows = [row[:-1] for row in rows]
    cols = dict(zip(fields, zip(*rows, strict=True), strict=True)) if rows else {k: () for k in fields}
    power_now, power_later, power_later_on = _power(cols["power_mw"], cols["power_on"], today)
    columns = {
        "id": cols["pk"],
        "kind": [KIND_TERRAIN] * len(rows),
        "name": [f"{t} ({s})" for t, s in zip(cols["terr_id"], cols["site_nom"], strict=True)],
        "epci": [e or "" for e in cols["epci"]],
        "site_id": cols["site_id"],
        "surface_ha": _num(cols["surface_ha"]),
        "available_on": cols["available_on"],
        "power_mw": power_now,
        "power_reinforced_mw": power_later,
        "power_reinforced_on": power_later_on,
        "water_m3h": _num(cols["water_m3h"]),
        "gas": _num([None if g is None else float(g) for g in cols["gas"]]),
        "wastewater_m3d": _num(cols["wastewater_m3d"]),
        "rail": [bool(v) for v in cols["rail"]],
        "waterway": [bool(v) for v in cols["waterway"]],
        "motorway_km": _num(cols["motorway_km"]),
        "station_km": _num(cols["station_km"]),
        "airport_km": _num(cols["airport_km"]),
        "icpe_max": _levels(cols["icpe"], ICPE_LEVELS),
        "seveso_max": _levels(cols["seveso"], SEVESO_LEVELS),
        "readiness": _readiness(list(zip(*(cols[s] for s in STUDIES), strict=True)), cols["stage"], today),
        "permit_months": _num(cols["permit"]),
        "is_friche": [
            bool(f) or o == "friche" for f, o in zip(cols["has_friche"], cols["occupation"], strict=True)
        ],
        "is_farmland": [
            u == "espace agricole" or p == "A" for u, p in zip(cols["usage"], cols["plu"], strict=True)
        ],
        "zone_emploi": [z or "" for z in cols["zone_emploi"]],
        "friche_issue": [
            friche_issue(site_statut=a, sol_pollution_existe=b)
            for a, b in zip(cols["friche_statut"], cols["friche_pollution"], strict=True)
        ],
        "unavailable": [
            "zone déclassée"
            if site_state == DECLASSIFIED
            else unavailable_reason(
                a,
                stade_comm=comm or "",
                etat_occup=occ or "",
                stade_amngt=stage or "",
                usage=use or "",
                utile=u,
            )
            for a, site_state, comm, occ, stage, use, u in zip(
                availability,
                cols["site_etat"],
                cols["sale_stage"],
                cols["occupation"],
                cols["stage"],
                cols["usage"],
                cols["utile"],
                strict=True,
            )
        ],
    }
    extra = {
        "region": [r or "" for r in cols["region"]],
        "commune": [c or "" for c in cols["commune"]],
        "lon": _num(cols["lon"]),
        "lat": _num(cols["lat"]),
        "owner_id": cols["owner_id"],
        "personal_shared": cols["personal_shared"],
        "raw_price": _num(cols["price"]),
    }
    return columns, extra


def _terrain_fields() -> dict:
    return {
        "pk": F("pk"),
        "terr_id": F("terr_id"),
        "site_nom": F("site_eco__site_nom"),
        "epci": Coalesce("commune__epci_id", "site_eco__site_epci_siren"),
        "site_id": F("site_eco_id"),
        "surface_ha": Coalesce("terr_surf_brute", "area_ha"),
        "available_on": _c("tdm_available_on", "tdm_available_on"),
        "stage": F("terr_stade_amngt"),
        "power_mw": _c("tdm_power_mw", "tdm_power_mw"),
        "power_on": _c("tdm_power_available_on", "tdm_power_available_on"),
        "water_m3h": _c("tdm_water_m3h", "tdm_water_m3h"),
        "gas": _c("tdm_gas", "tdm_gas"),
        "wastewater_m3d": _c("tdm_wastewater_m3d", "tdm_wastewater_m3d"),
        "rail": _c("tdm_rail_siding", "tdm_rail_siding", "reseau_fret_ferroviaire"),
        "waterway": Coalesce("site_eco__reseau_fluvial", "site_eco__site_voca_portuaire"),
        # Distances: the producer's value, else the one computed from the reference layer (`distance_fields`).
        **_distances(terrain=True),
        "icpe": Coalesce(NullIf("tdm_icpe_max_regime", Value("")), "site_eco__tdm_icpe_max_regime"),
        "seveso": Coalesce(NullIf("tdm_seveso_max", Value("")), "site_eco__tdm_seveso_max"),
        "price": F("terr_m2_prix"),
        "permit": _c("tdm_permit_months", "tdm_permit_months"),
        "occupation": F("terr_etat_occup"),
        "sale_stage": F("terr_stade_comm"),
        "utile": F("terr_utile"),
        "site_etat": F("site_eco__site_etat"),
        "usage": F("terr_usage"),
        "plu": Coalesce(NullIf("tdm_plu_zone_type", Value("")), "site_eco__tdm_plu_zone_type"),
        "zone_emploi": F("commune__zone_emploi_id"),
        "region": F("commune__region_id"),
        "commune": F("commune_id"),
        "lon": Coalesce("centroid_lon", "site_eco__centroid_lon"),
        "lat": Coalesce("centroid_lat", "site_eco__centroid_lat"),
        "owner_id": F("owner_id"),
        "personal_shared": F("personal_shared"),
        "has_friche": Exists(Friche.objects.filter(terrain_eco=OuterRef("pk"))),
        "friche_statut": Subquery(
            Friche.objects.filter(terrain_eco=OuterRef("pk")).values("site_statut")[:1]
        ),
        "friche_pollution": Subquery(
            Friche.objects.filter(terrain_eco=OuterRef("pk")).values("sol_pollution_existe")[:1]
        ),
        **{s: _c(s, s) for s in STUDIES},
    }


def _distances(*, terrain: bool, prefix: str = "") -> dict:
    """The distance columns of the engine, as SQL expressions of the one precedence rule."""
    return {
        "motorway_km": effective_distance(LayerKind.MOTORWAY_JUNCTION, terrain=terrain, prefix=prefix),
        "station_km": effective_distance(LayerKind.STATION, terrain=terrain, prefix=prefix),
        "airport_km": effective_distance(LayerKind.AIRPORT, terrain=terrain, prefix=prefix),
    }


def _site_columns(today: date) -> tuple[dict, dict]:
    """Sites offering commercialisable surface with no terrain recorded (the offer is known only globally)."""
    qs = (
        Site.objects.filter(site_surf_comm_dispo__gt=0)
        .exclude(site_etat="déclassé")
        .exclude(Exists(Terrain.objects.filter(site_eco=OuterRef("pk"))))
        .annotate(**{f"m_{k}": v for k, v in _distances(terrain=False).items()})
        .order_by("pk")
    )
    fields = [
        "pk",
        "site_nom",
        "site_epci_siren",
        "site_surf_comm_dispo",
        "tdm_available_on",
        "tdm_power_mw",
        "tdm_power_available_on",
        "tdm_water_m3h",
        "tdm_gas",
        "tdm_wastewater_m3d",
        "tdm_rail_siding",
        "reseau_fret_ferroviaire",
        "reseau_fluvial",
        "site_voca_portuaire",
        "m_motorway_km",
        "m_station_km",
        "m_airport_km",
        "tdm_icpe_max_regime",
        "tdm_seveso_max",
        "tdm_permit_months",
        "tdm_plu_zone_type",
        "commune__zone_emploi_id",
        "commune__region_id",
        "commune_id",
        "centroid_lon",
        "centroid_lat",
        "owner_id",
        *STUDIES,
    ]
    rows = list(qs.values_list(*fields))
    cols = dict(zip(fields, zip(*rows, strict=True), strict=True)) if rows else {k: () for k in fields}
    power_now, power_later, power_later_on = _power(
        cols["tdm_power_mw"], cols["tdm_power_available_on"], today
    )
    n = len(rows)
    columns = {
        "id": cols["pk"],
        "kind": [KIND_SITE] * n,
        "name": list(cols["site_nom"]),
        "epci": list(cols["site_epci_siren"]),
        "site_id": cols["pk"],
        "surface_ha": _num(cols["site_surf_comm_dispo"]),
        "available_on": cols["tdm_available_on"],
        "power_mw": power_now,
        "power_reinforced_mw": power_later,
        "power_reinforced_on": power_later_on,
        "water_m3h": _num(cols["tdm_water_m3h"]),
        "gas": _num([None if g is None else float(g) for g in cols["tdm_gas"]]),
        "wastewater_m3d": _num(cols["tdm_wastewater_m3d"]),
        "rail": [
            bool(a if a is not None else b)
            for a, b in zip(cols["tdm_rail_siding"], cols["reseau_fret_ferroviaire"], strict=True)
        ],
        "waterway": [
            bool(a or b) for a, b in zip(cols["reseau_fluvial"], cols["site_voca_portuaire"], strict=True)
        ],
        "motorway_km": _num(cols["m_motorway_km"]),
        "station_km": _num(cols["m_station_km"]),
        "airport_km": _num(cols["m_airport_km"]),
        "icpe_max": _levels(cols["tdm_icpe_max_regime"], ICPE_LEVELS),
        "seveso_max": _levels(cols["tdm_seveso_max"], SEVESO_LEVELS),
        "readiness": _readiness(list(zip(*(cols[s] for s in STUDIES), strict=True)), ["inconnu"] * n, today),
        "permit_months": _num(cols["tdm_permit_months"]),
        "is_farmland": [p == "A" for p in cols["tdm_plu_zone_type"]],
        "zone_emploi": [z or "" for z in cols["commune__zone_emploi_id"]],
    }
    extra = {
        "region": [r or "" for r in cols["commune__region_id"]],
        "commune": [c or "" for c in cols["commune_id"]],
        "lon": _num(cols["centroid_lon"]),
        "lat": _num(cols["centroid_lat"]),
        "owner_id": cols["owner_id"],
        "personal_shared": [False] * n,
        "raw_price": [np.nan] * n,
    }
    return columns, extra


def _friche_columns(today: date) -> tuple[dict, dict]:
    """Friches not reconverted and not recorded as a terrain (those count through their terrain)."""
    qs = (
        Friche.objects.filter(terrain_eco__isnull=True)
        .exclude(site_statut="friche reconvertie")
        .annotate(**{f"m_{k}": v for k, v in _distances(terrain=False, prefix="site_eco__").items()})
        .order_by("pk")
    )
    fields = [
        "pk",
        "site_nom",
        "commune__epci_id",
        "unite_fonciere_surface",
        "area_ha",
        "site_eco__tdm_power_mw",
        "m_motorway_km",
        "m_station_km",
        "m_airport_km",
        "site_eco__reseau_fret_ferroviaire",
        "urba_zone_type",
        "commune__zone_emploi_id",
        "commune__region_id",
        "commune_id",
        "centroid_lon",
        "centroid_lat",
        "owner_id",
        "site_eco_id",
        "site_statut",
        "sol_pollution_existe",
    ]
    rows = list(qs.values_list(*fields))
    cols = dict(zip(fields, zip(*rows, strict=True), strict=True)) if rows else {k: () for k in fields}
    n = len(rows)
    columns = {
        "id": cols["pk"],
        "kind": [KIND_FRICHE] * n,
        "name": list(cols["site_nom"]),
        "epci": [e or "" for e in cols["commune__epci_id"]],
        "site_id": [-1 if s is None else s for s in cols["site_eco_id"]],
        "surface_ha": [
            s / 10_000 if s else (np.nan if a is None else a)
            for s, a in zip(cols["unite_fonciere_surface"], cols["area_ha"], strict=True)
        ],
        "power_mw": _num(cols["site_eco__tdm_power_mw"]),
        "rail": [bool(v) for v in cols["site_eco__reseau_fret_ferroviaire"]],
        "motorway_km": _num(cols["m_motorway_km"]),
        "station_km": _num(cols["m_station_km"]),
        "airport_km": _num(cols["m_airport_km"]),
        "is_friche": [True] * n,
        "is_farmland": [z == "A" for z in cols["urba_zone_type"]],
        "zone_emploi": [z or "" for z in cols["commune__zone_emploi_id"]],
        "friche_issue": [
            friche_issue(site_statut=a, sol_pollution_existe=b)
            for a, b in zip(cols["site_statut"], cols["sol_pollution_existe"], strict=True)
        ],
    }
    extra = {
        "region": [r or "" for r in cols["commune__region_id"]],
        "commune": [c or "" for c in cols["commune_id"]],
        "lon": _num(cols["centroid_lon"]),
        "lat": _num(cols["centroid_lat"]),
        "owner_id": cols["owner_id"],
        "personal_shared": [False] * n,
        "raw_price": [np.nan] * n,
    }
    return columns, extra


def terrain_adjacency() -> list[tuple[int, int]]:
    """Pairs (lower id first) of terrains of the same site whose parcels lie within ADJACENCY_TOLERANCE_M of
    each other, measured in Lambert-93 by PostGIS over the GiST index."""
    table = Terrain._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, b.id FROM {table} a JOIN {table} b ON b.site_eco_id = a.site_eco_id AND a.id < b.id"  # noqa: S608
            " AND ST_DWithin(a.geometry_l93, b.geometry_l93, %s) ORDER BY a.id, b.id",
            [ADJACENCY_TOLERANCE_M],
        )
        return [tuple(row) for row in cursor.fetchall()]


def candidate_point(obj) -> tuple[float | None, float | None]:
    """The WGS84 point distances are measured from for a candidate (a terrain without geometry: its site's),
    as the matching columns hold it."""
    lon, lat = getattr(obj, "centroid_lon", None), getattr(obj, "centroid_lat", None)
    if lon is None and isinstance(obj, Terrain) and obj.site_eco_id:
        lon, lat = obj.site_eco.centroid_lon, obj.site_eco.centroid_lat
    return lon, lat


def build_bundle(today: date) -> Bundle:
    """Every candidate of the inventory as columns (no visibility applied yet)."""
    # Unscoped on purpose: the bundle is built once for every actor; each actor's rows are then picked by
    # `_visible_positions` (scope_queryset), and personal fields by `personal_fields_visible`.
    with unscoped():
        return _build_bundle(today)


def _build_bundle(today: date) -> Bundle:
    parts = [_terrain_columns(today), _site_columns(today), _friche_columns(today)]
    candidates = Candidates.from_columns({"id": []})
    for columns, _ in parts:
        if len(columns["id"]):
            candidates = candidates.concat(Candidates.from_columns(columns))
    candidates.members = None
    if (candidates.kind == KIND_TERRAIN).sum() > 1:
        candidates.adjacency = np.asarray(terrain_adjacency(), dtype=np.int64).reshape(-1, 2)

    def column(name, dtype):
        return np.concatenate([np.asarray(extra[name], dtype=dtype) for _, extra in parts])

    lon, lat = column("lon", np.float64), column("lat", np.float64)

    # Labour market of each candidate's BMO basin, when the survey is loaded (tandem import_bmo).
    communes = column("commune", object)
    labour = commune_labour(set(communes.tolist()) - {""})
    if labour:
        figures = [labour.get(code, (np.nan, np.nan)) for code in communes.tolist()]
        candidates.labour_pool = np.array([f[0] for f in figures], dtype=np.float64)
        candidates.recruitment_difficulty = np.array(
            [np.nan if f[1] is None else f[1] for f in figures], dtype=np.float64
        )

    return Bundle(
        candidates=candidates,
        region=column("region", "U3"),  # fixed width: the per-request region filter is vectorised
        owner_id=column("owner_id", np.int64),
        personal_shared=column("personal_shared", bool),
        raw_price=column("raw_price", np.float64),
        lon=lon,
        lat=lat,
    )


def _task_force_rows(actor: Actor) -> tuple:
    """The land rows put before `actor` as a member of task forces (proposals: `perms.task_force_shared_q`)."""
    from tandem.prospects.models import Proposal, Prospect

    if actor.is_platform_admin or not getattr(actor.user, "pk", None):
        return ()
    prospects = scope_queryset(actor, Prospect.objects.all()).values("pk")
    rows = Proposal.objects.filter(prospect__in=prospects).values_list("terrain_id", "site_id", "friche_id")
    return tuple(sorted({tuple(-1 if v is None else v for v in row) for row in rows}))


def _scope_key(actor: Actor) -> tuple:
    """What visibility depends on (see `perms.visible_q`): two actors with the same key see the same rows."""
    return (
        actor.is_platform_admin,
        tuple(sorted(actor.region_codes)),
        tuple(sorted(actor.region_body_codes)),
        tuple(sorted(actor.roles)),
        tuple(sorted((g.delegator_id, tuple(sorted(g.commune_codes))) for g in actor.grants)),
        _task_force_rows(actor),
    )


def land_fingerprint() -> tuple:
    """The version of everything the cached arrays and visible positions depend on (land rows, their sharing,
    the organisations, the labour figures): one indexed query, moved on by database triggers at every write,
    `.update()` and imports included (`tandem.organizations.versions`). Checked on every call: a sharing change
    is seen by the matching at once, in every process."""
    from tandem.prospects.models import BmoBasinCommune, BmoJob

    return visibility_version(Terrain, Site, Friche, BmoJob, BmoBasinCommune)


class _Cache:
    """Process-local: the whole bundle per land version and day, visible positions per scope (LRU). Keyed on
    the visibility version (`land_fingerprint`), so it never serves arrays older than the database."""

    def __init__(self, scopes: int = 64):
        self.lock = threading.Lock()
        self.bundle_key = None
        self.bundle: Bundle | None = None
        self.scopes: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.max_scopes = scopes

    def clear(self) -> None:
        with self.lock:
            self.bundle_key, self.bundle = None, None
            self.scopes.clear()

    def current_fingerprint(self) -> tuple:
        return land_fingerprint()


CACHE = _Cache()


def _visible_positions(actor: Actor, bundle: Bundle) -> np.ndarray:
    c = bundle.candidates
    positions = []
    for kind, model in LAND_MODELS.items():
        rows = np.flatnonzero(c.kind == kind)
        if not len(rows):
            continue
        visible = np.fromiter(
            scope_queryset(actor, model.objects.all()).values_list("pk", flat=True), dtype=np.int64
        )
        positions.append(rows[np.isin(c.id[rows], visible)])
    return np.sort(np.concatenate(positions)) if positions else np.empty(0, dtype=np.int64)


# Sector ecosystem: active establishments of the prospect's NAF division within ECOSYSTEM_RADIUS_KM of each
# candidate (SIRENE registry), by the one proximity rule (`companies.selectors.establishment_counts_within`)
# that the answer file and the project value use too. Cached per division, registry version and land state.
ECOSYSTEM_RADIUS_KM = 30
ECOSYSTEM = ProcessMemory("ecosystem counts per division", 8)  # arrays; NaN: not counted yet


def ecosystem_counts(division: str, bundle: Bundle, positions: np.ndarray) -> np.ndarray | None:
    """Establishments of `division` within the radius of the candidates at `positions` of the bundle; None when
    the registry has none. Counted once per candidate and registry state, on demand."""
    from tandem.companies.models import Establishment
    from tandem.companies.selectors import establishment_counts_within

    if not division:
        return None
    # The registry's version in the database (moved on by a trigger at every write to the establishments,
    # imports, edits and bulk updates alike): each process drops its counts as soon as the registry changes.
    stamp = (division, visibility_version(Establishment), CACHE.bundle_key)
    counts = ECOSYSTEM.get(stamp, False)
    if counts is False:
        counts = np.full(len(bundle.lon), np.nan) if Establishment.objects.exists() else None
    if counts is None:
        return None
    missing = positions[np.isnan(counts[positions])]
    if len(missing):
        counts[missing] = establishment_counts_within(
            bundle.lon[missing], bundle.lat[missing], naf_prefixes=[division], radius_km=ECOSYSTEM_RADIUS_KM
        )
    ECOSYSTEM.put(stamp, counts)
    return counts[positions]


def _bundle(today: date) -> Bundle:
    key = (CACHE.current_fingerprint(), today)
    with CACHE.lock:
        if CACHE.bundle_key != key:
            CACHE.bundle, CACHE.bundle_key = None, None
            CACHE.scopes.clear()
        bundle = CACHE.bundle
    if bundle is None:
        bundle = _shared_bundle(key, today)
        with CACHE.lock:
            CACHE.bundle, CACHE.bundle_key = bundle, key
    return bundle


# The stored arrays: a few states kept (a process still on the previous state while an import commits reads
# its own), one builder at a time (an advisory lock; the others wait for its row, at most BUILD_WAIT_S).
STORED_KEEP = 3
BUILD_LOCK = 0x7A6D_6361  # pg advisory lock id of the builder (« zmca »)
BUILD_WAIT_S = 10.0


def _stored_key(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _stored_bundle(key: tuple) -> Bundle | None:
    from tandem.prospects.models import CandidateArrays

    data = CandidateArrays.objects.filter(pk=_stored_key(key)).values_list("data", flat=True).first()
    if data is None:
        return None
    # Written by `_store` below only (never from input): the process's own pickled arrays.
    return pickle.loads(zlib.decompress(bytes(data)))  # noqa: S301


def _store(key: tuple, bundle: Bundle) -> None:
    from tandem.prospects.models import CandidateArrays

    blob = zlib.compress(pickle.dumps(bundle, protocol=pickle.HIGHEST_PROTOCOL), 1)
    CandidateArrays.objects.bulk_create(
        [CandidateArrays(key=_stored_key(key), data=blob)], ignore_conflicts=True
    )
    stale = list(CandidateArrays.objects.order_by("-built_at").values_list("pk", flat=True)[STORED_KEEP:])
    CandidateArrays.objects.filter(pk__in=stale).delete()


def _shared_bundle(key: tuple, today: date) -> Bundle:
    """The arrays of `key` from the store; else built here (one process at a time) and stored for the others."""
    bundle = _stored_bundle(key)
    deadline = time.monotonic() + BUILD_WAIT_S
    while bundle is None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [BUILD_LOCK])
                builder = cursor.fetchone()[0]
            if builder or time.monotonic() > deadline:
                bundle = _stored_bundle(key) or build_bundle(today)
                _store(key, bundle)
                return bundle
        time.sleep(0.1)  # another process builds them: its row comes
        bundle = _stored_bundle(key)
    return bundle


def candidate_arrays_prepare(*, today: date | None = None) -> None:
    """Build and store the candidate arrays of the land data as it is now (after an import, in the job worker
    or the import command), so that no web request pays for them."""
    _bundle(today or timezone.localdate())


def _columns_for(actor: Actor, bundle: Bundle, positions: np.ndarray, naf_division: str) -> Candidates:
    """The rows at `positions`, with the personal price masked for `actor` and the sector ecosystem."""
    candidates = bundle.candidates.take(positions)
    # The price is one of the standard's personal fields: the one rule of the land domain decides, so that the
    # score never carries a price the actor may not see (unknown prices score `price_unknown`).
    price_visible = personal_fields_visible(
        actor, owner_id=bundle.owner_id[positions], personal_shared=bundle.personal_shared[positions]
    )
    candidates.price_eur_m2 = np.where(price_visible, bundle.raw_price[positions], np.nan)
    counts = ecosystem_counts(naf_division, bundle, positions)
    if counts is not None:
        candidates.ecosystem = {naf_division: counts}
    return candidates


def visible_candidates(
    actor: Actor, *, today: date, region: str | None = None, naf_division: str = ""
) -> Candidates:
    """The candidates `actor` may see, as engine columns; only in `region` (code) when given."""
    bundle = _bundle(today)
    scope = _scope_key(actor)
    with CACHE.lock:
        positions = CACHE.scopes.get(scope)
        if positions is not None:
            CACHE.scopes.move_to_end(scope)
    if positions is None:
        positions = _visible_positions(actor, bundle)
        with CACHE.lock:
            CACHE.scopes[scope] = positions
            while len(CACHE.scopes) > CACHE.max_scopes:
                CACHE.scopes.popitem(last=False)
    if region:
        positions = positions[bundle.region[positions] == region]
    return _columns_for(actor, bundle, positions, naf_division)


def candidates_of(
    actor: Actor, keys: list[tuple[str, int]], *, today: date, naf_division: str = ""
) -> tuple[Candidates, list[int | None]]:
    """The engine's columns of given land objects (`(kind, id)`: a prospect's proposals), whatever the
    viewer's visibility of the inventory: the caller has already checked that `actor` may see them (a
    proposal puts its site before the task force). Returns the columns and, per key, its row (None when the
    object is no candidate at all: see `not_candidate_reason`)."""
    bundle = _bundle(today)
    c = bundle.candidates
    index = {(KIND_NAMES[int(k)], int(i)): n for n, (k, i) in enumerate(zip(c.kind, c.id, strict=True))}
    found = [index.get(key) for key in keys]
    positions = np.array(sorted({p for p in found if p is not None}), dtype=np.int64)
    rows = {int(p): n for n, p in enumerate(positions)}
    return _columns_for(actor, bundle, positions, naf_division), [
        None if p is None else rows[p] for p in found
    ]


def not_candidate_reason(obj) -> str:
    """Why a site or friche is no matching candidate at all, in French (terrains always are: an unavailable
    one carries its reason in the columns)."""
    if isinstance(obj, Site):
        if obj.site_etat == DECLASSIFIED:
            return "zone déclassée"
        # Unscoped on purpose: the inventory's structure, as the candidate bundle (built for every actor) sees it.
        if obj.terrains.unscoped().exists():
            return "site dont les terrains sont proposés un à un : proposer un de ses terrains"
        return "site sans surface commercialisable disponible"
    if isinstance(obj, Friche):
        if obj.site_statut == "friche reconvertie":
            return "friche reconvertie"
        if obj.terrain_eco_id:
            return "friche enregistrée comme terrain : proposer ce terrain"
    return "hors de l'inventaire des candidats"
