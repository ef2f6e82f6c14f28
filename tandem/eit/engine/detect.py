"""Synergy detection: candidate offer → need pairs joined on compatibility keys, checked and scored as numpy
columns, then allocated so that no offer (and no need) is promised more than its quantity.

1. Keys. Each offer publishes the keys it can satisfy with a compatibility level (material: its EWC code 1.0,
   its sub-chapter 0.8, its chapter 0.5, documented substitutions 0.6; heat, water, energy, services: the
   resource). Each need publishes what it asks for. When every flow of a family has coordinates, keys are
   suffixed by a grid cell as wide as the family's maximum distance and offers are published in the 9 cells
   around theirs, so only neighbours are ever paired. Pairs come out of one sorted join (searchsorted).
2. Checks (vectorised): not the same establishment, road distance ≤ maximum, heat temperatures (direct or heat
   pump), water class and months, hazardous waste only to an authorised receiver (else an exclusion with its
   reason), validity dates.
3. Score (0–100): weighted plausibility, impact (CO2e), economics, proximity, precedents; see `Parameters`.
4. Allocation (`allocate`): pairs in decreasing score order each take min(remaining offer, remaining need);
   both remainders decrease, so the sum promised from an offer never exceeds its quantity (invariant proved in
   the docstring of `allocate` and tested).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from tandem.eit.engine import knowledge
from tandem.eit.engine.model import (
    BY_PRODUCT,
    CANONICAL_UNIT,
    CAPACITY,
    COLD,
    END_OF_WASTE,
    ENERGY,
    ESTIMATED,
    HEAT,
    KINDS,
    LEGAL_STATUSES,
    MATERIAL,
    OFFER,
    ORIGINS,
    RESOURCES,
    SERVICE,
    WASTE,
    WATER,
    WATER_CLASS_LABELS,
    WATER_CLASSES,
    Actor,
    EngineInputError,
    Flow,
    Permit,
)
from tandem.eit.engine.params import Parameters
from tandem.eit.engine.reference import Reference
from tandem.eit.engine.text import fr_num, money

EARTH_RADIUS_KM = 6371.0
# ICPE rubriques whose title covers hazardous waste (nomenclature des installations classées, titres 27xx/35xx)
HAZARDOUS_RUBRIQUES = frozenset(
    {
        "2710-1",
        "2711",
        "2712",
        "2718",
        "2719",
        "2760-1",
        "2770",
        "2790",
        "2792",
        "2793",
        "3510",
        "3520",
        "3550",
        "3560",
    }
)
POPCOUNT12 = np.array([bin(i).count("1") for i in range(4096)], dtype=np.int8)
KIND_CODES = {kind: i for i, kind in enumerate(KINDS)}
FAMILY = {
    MATERIAL: MATERIAL,
    HEAT: HEAT,
    COLD: COLD,
    WATER: WATER,
    ENERGY: ENERGY,
    SERVICE: SERVICE,
    CAPACITY: CAPACITY,
}
LEVEL_WORDS = {
    1.0: "code identique",
    0.8: "même sous-chapitre",
    0.6: "substitution documentée",
    0.5: "même chapitre",
}


@dataclass
class Synergy:
    supplier: str
    receiver: str
    offer_id: str
    need_id: str
    kind: str
    ewc: str  # displayed code ("10 02 02", "10 02") or ""
    label: str
    score: float
    reasons: list[str]
    quantity: float | None = None  # promised to the receiver, in `unit` per year
    unit: str = ""
    road_km: float | None = None
    co2e_t: float | None = None
    money_eur: float | None = None
    payback_years: float | None = None
    heat_pump: bool = False
    cop: float | None = None

    def as_dict(self) -> dict:
        return {
            "supplier": self.supplier,
            "receiver": self.receiver,
            "kind": KINDS[self.kind],
            "ewc": self.ewc,
            "label": self.label,
            "score": self.score,
            "reasons": self.reasons,
        }


@dataclass
class Exclusion:
    supplier: str
    receiver: str
    offer_id: str
    need_id: str
    reason: str


@dataclass
class Pool:
    """Establishments of one perimeter with the same need (or the same waste to collect)."""

    key: str
    label: str
    perimeter: str
    actors: list[str]
    volume: float | None
    unit: str
    reasons: list[str]

    @property
    def count(self) -> int:
        return len(self.actors)


@dataclass
class Detection:
    synergies: list[Synergy]
    pools: list[Pool]
    exclusions: list[Exclusion]
    exclusion_count: int = 0
    stats: dict = field(default_factory=dict)


class Precedents:
    """How many documented exchanges exist per (supplier NACE division, receiver NACE division) and per
    (supplier division, EWC chapter). Built from realised synergies or an evaluation library; optional."""

    def __init__(
        self,
        pairs: dict[tuple[str, str], int] | None = None,
        chapters: dict[tuple[str, str], int] | None = None,
    ):
        self.pairs = dict(pairs or {})
        self.chapters = dict(chapters or {})

    def count(self, supplier_division: str, receiver_division: str, chapter: str = "") -> int:
        """Exchanges between the two divisions; when the receiver's division is unknown, the supplier's
        exchanges of this EWC chapter."""
        if receiver_division:
            return self.pairs.get((supplier_division, receiver_division), 0)
        return self.chapters.get((supplier_division, chapter), 0) if chapter else 0


def road_km(lat1, lon1, lat2, lon2, road_factor: float):
    """Road distance estimate: `road_factor` × great-circle distance (haversine), in km; NaN without coordinates."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return road_factor * 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def heat_pump_cop(source_c, sink_c, params: Parameters):
    """COP = η × Tc / (Tc − Te) with Tc = sink + approach and Te = source − approach in kelvins, capped."""
    t_c = np.asarray(sink_c, dtype=float) + params.approach_k
    t_e = np.asarray(source_c, dtype=float) - params.approach_k
    lift = np.maximum(t_c - t_e, 1e-9)
    return np.minimum(params.cop_max, params.carnot_efficiency * (t_c + 273.15) / lift)


def line_cost_eur_per_m(capacity_mw: float, ref: Reference) -> float:
    """HotMaps: cost of the smallest capacity class that carries the peak; above the last class, its cost."""
    for class_mw, cost in ref.line_costs:
        if capacity_mw <= class_mw:
            return cost
    return ref.line_costs[-1][1] if ref.line_costs else math.nan


def _rubrique_match(held: str, listed: str) -> bool:
    if held == listed:
        return True
    a, b = held.split("-")[0], listed.split("-")[0]
    return a == b and ("-" not in held or "-" not in listed)


def hazardous_authorisation(permit: Permit | None, ref: Reference) -> str | None:
    """Why the installation may receive hazardous waste (French), or None when nothing declared allows it."""
    if permit is None:
        return None
    hazardous_held = [r for r in permit.rubriques if any(_rubrique_match(r, h) for h in HAZARDOUS_RUBRIQUES)]
    for operation in permit.operations:
        listed = ref.operation_rubriques.get(operation, frozenset())
        for held in hazardous_held:
            if any(_rubrique_match(held, r) for r in listed):
                return f"receveur autorisé : rubrique ICPE {held} (déchets dangereux) pour l'opération {operation}"
        if not permit.rubriques:
            hazardous_listed = sorted(
                r for r in listed if any(_rubrique_match(r, h) for h in HAZARDOUS_RUBRIQUES)
            )
            if hazardous_listed:
                return (
                    f"receveur déclarant l'opération {operation}, exercée sous les rubriques ICPE "
                    f"{', '.join(hazardous_listed)} (déchets dangereux) — rubrique à confirmer"
                )
    if hazardous_held and not permit.operations:
        return f"receveur autorisé : rubrique ICPE {hazardous_held[0]} (déchets dangereux)"
    return None


def waste_authorisation(permit: Permit | None) -> str | None:
    if permit is None:
        return None
    held = [r for r in permit.rubriques if r.startswith(("27", "35"))]
    if held:
        return f"receveur autorisé à recevoir des déchets (rubrique ICPE {held[0]})"
    if permit.operations:
        return f"receveur déclarant l'opération {permit.operations[0]}"
    return None


def _join(o_key, o_level, o_flow, n_key, n_flow):
    """All (offer, need) with equal keys: one sort of the needs, two searchsorted, no Python loop."""
    order = np.argsort(n_key, kind="stable")
    n_key, n_flow = n_key[order], n_flow[order]
    lo = np.searchsorted(n_key, o_key, "left")
    hi = np.searchsorted(n_key, o_key, "right")
    count = hi - lo
    total = int(count.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    rep = np.repeat(np.arange(len(o_key)), count)
    offsets = np.repeat(lo - (np.cumsum(count) - count), count)
    pos = np.arange(total) + offsets
    return o_flow[rep], n_flow[pos], o_level[rep]


def _cells(lat, lon, size_km):
    iy = np.floor(lat * 111.0 / size_km).astype(np.int64)
    ix = np.floor(lon * 111.0 * np.cos(np.radians(46.0)) / size_km).astype(np.int64)
    return iy, ix


def _cell_key(iy, ix):
    return ((iy & 0xFFFF) << 16) | (ix & 0xFFFF)


def allocate(order, offer_idx, need_idx, offer_qty, need_qty, factor):
    """Allocate pairs in `order` (best first). Returns (taken offer units, delivered need units, kept mask).

    Invariant: for every offer o, Σ taken over kept pairs of o ≤ offer_qty[o] (same for needs). Proof: the
    remainder r_o starts at offer_qty[o]; a pair takes a = min(r_o, r_n / f) ≤ r_o and r_o becomes r_o − a ≥ 0;
    so after any number of pairs Σ a = offer_qty[o] − r_o ≤ offer_qty[o]. A pair meeting r_o = 0 is dropped.
    Unknown quantities (NaN) are not constrained: the pair is kept with quantity to be specified.
    """
    rem_o = offer_qty.astype(float).copy()
    rem_n = need_qty.astype(float).copy()
    taken = np.full(len(offer_idx), np.nan)
    delivered = np.full(len(offer_idx), np.nan)
    kept = np.ones(len(offer_idx), dtype=bool)
    known = ~(np.isnan(offer_qty[offer_idx]) & np.isnan(need_qty[need_idx]))
    eps = 1e-9
    for p in order[known[order]].tolist():
        o, n, f = int(offer_idx[p]), int(need_idx[p]), float(factor[p])
        ro, rn = rem_o[o], rem_n[n]
        room = min(x for x in (ro, rn / f) if not math.isnan(x))
        if room <= eps:
            kept[p] = False
            continue
        taken[p] = room
        delivered[p] = room * f
        if not math.isnan(ro):
            rem_o[o] = ro - room
        if not math.isnan(rn):
            rem_n[n] = rn - room * f
    return taken, delivered, kept


class _Columns:
    """The flows as numpy columns (one row per flow)."""

    def __init__(self, actors: list[Actor], flows: list[Flow], ref: Reference):
        self.actor_index = {a.id: i for i, a in enumerate(actors)}
        self.actors = actors
        n = len(flows)
        self.flows = flows
        self.actor = np.empty(n, dtype=np.int64)
        self.offer = np.empty(n, dtype=bool)
        self.kind = np.empty(n, dtype=np.int8)
        self.qty = np.full(n, np.nan)
        self.temp = np.full(n, np.nan)
        self.wclass = np.full(n, -1, dtype=np.int8)
        self.months = np.empty(n, dtype=np.int64)
        self.conf = np.empty(n)
        self.hazardous = np.zeros(n, dtype=bool)
        self.legal = np.empty(n, dtype=object)
        self.start = np.full(n, -(10**9), dtype=np.int64)
        self.end = np.full(n, 10**9, dtype=np.int64)
        for i, f in enumerate(flows):
            f.check()
            a = self.actor_index.get(f.actor_id)
            if a is None:
                raise EngineInputError(f"flux « {f.id} » : établissement « {f.actor_id} » inconnu")
            self.actor[i] = a
            self.offer[i] = f.direction == OFFER
            self.kind[i] = KIND_CODES[f.kind]
            self.qty[i] = f.yearly_quantity()
            if f.quality.temperature_c is not None:
                self.temp[i] = f.quality.temperature_c
            if f.quality.water_class is not None:
                self.wclass[i] = WATER_CLASSES.index(f.quality.water_class)
            self.months[i] = f.months
            self.conf[i] = f.confidence
            self.hazardous[i] = f.kind == MATERIAL and len(f.ewc) == 6 and ref.is_hazardous(f.ewc)
            self.legal[i] = f.legal_status
            if f.valid_from:
                self.start[i] = f.valid_from.toordinal()
            if f.valid_until:
                self.end[i] = f.valid_until.toordinal()
        self.lat = np.array([np.nan if a.latitude is None else a.latitude for a in actors], dtype=float)
        self.lon = np.array([np.nan if a.longitude is None else a.longitude for a in actors], dtype=float)


def _keys(flow: Flow) -> list[tuple[str, float]]:
    """Compatibility keys a flow publishes: (key, level). Offers publish what they can satisfy."""
    if flow.kind == MATERIAL and not flow.resource:
        code = flow.ewc
        if flow.direction == OFFER:
            keys = [(code[:n], level) for n, level in ((6, 1.0), (4, 0.8), (2, 0.5)) if len(code) >= n]
            keys += [(s, 0.6) for s in knowledge.SUBSTITUTIONS.get(code[:4], ()) if len(code) >= 4]
            return keys
        return [(code, 1.0)] + ([(code[:4], 1.0)] if len(code) == 6 else [])
    if flow.kind in (HEAT, COLD, WATER):
        return [(flow.kind, 1.0)]
    return [(f"{flow.kind}:{flow.resource}", 1.0)]


def candidate_pairs(cols: _Columns, params: Parameters):
    """(offer flow, need flow, level) for every compatible pair within distance, same actor excluded."""
    vocab: dict[str, int] = {}
    entries: dict[str, list[list]] = defaultdict(
        lambda: [[], [], [], [], [], []]
    )  # o_key,o_level,o_flow,n_key,n_flow
    for i, flow in enumerate(cols.flows):
        family = FAMILY[flow.kind]
        bucket = entries[family]
        for key, level in _keys(flow):
            k = vocab.setdefault(key, len(vocab))
            if flow.direction == OFFER:
                bucket[0].append(k)
                bucket[1].append(level)
                bucket[2].append(i)
            else:
                bucket[3].append(k)
                bucket[4].append(i)
    out_o, out_n, out_l = [], [], []
    for family, (o_key, o_level, o_flow, n_key, n_flow, _) in entries.items():
        if not o_key or not n_key:
            continue
        o_key = np.array(o_key, dtype=np.int64)
        o_level = np.array(o_level)
        o_flow = np.array(o_flow, dtype=np.int64)
        n_key = np.array(n_key, dtype=np.int64)
        n_flow = np.array(n_flow, dtype=np.int64)
        max_km = params.max_road_km.get(family, math.inf)
        o_lat, o_lon = cols.lat[cols.actor[o_flow]], cols.lon[cols.actor[o_flow]]
        n_lat, n_lon = cols.lat[cols.actor[n_flow]], cols.lon[cols.actor[n_flow]]
        spatial = (
            math.isfinite(max_km)
            and not np.isnan(o_lat).any()
            and not np.isnan(n_lat).any()
            and not np.isnan(o_lon).any()
            and not np.isnan(n_lon).any()
        )
        if spatial:
            # straight-line cells: a pair within max_km of road is within max_km / road_factor of straight line
            size = max_km / params.road_factor
            oy, ox = _cells(o_lat, o_lon, size)
            ny, nx = _cells(n_lat, n_lon, size)
            shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            o_key = np.concatenate([(o_key << 32) | _cell_key(oy + dy, ox + dx) for dy, dx in shifts])
            o_level = np.tile(o_level, 9)
            o_flow = np.tile(o_flow, 9)
            n_key = (n_key << 32) | _cell_key(ny, nx)
        po, pn, pl = _join(o_key, o_level, o_flow, n_key, n_flow)
        out_o.append(po)
        out_n.append(pn)
        out_l.append(pl)
    if not out_o:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    po, pn, pl = np.concatenate(out_o), np.concatenate(out_n), np.concatenate(out_l)
    keep = cols.actor[po] != cols.actor[pn]
    po, pn, pl = po[keep], pn[keep], pl[keep]
    # one row per pair, at its best level
    pid = po * len(cols.flows) + pn
    order = np.lexsort((-pl, pid))
    _, first = np.unique(pid[order], return_index=True)
    sel = order[first]
    return po[sel], pn[sel], pl[sel]


def detect(
    actors: list[Actor],
    flows: list[Flow],
    ref: Reference,
    *,
    permits: list[Permit] = (),
    params: Parameters | None = None,
    precedents: Precedents | None = None,
    explain: bool = True,
) -> Detection:
    """Ranked synergies (with French reasons), pooling groups and exclusions for these actors and flows."""
    params = params or Parameters()
    cols = _Columns(actors, flows, ref)
    permit_by_actor: dict[str, Permit] = {}
    for permit in permits:
        permit_by_actor[permit.actor_id] = permit
    hazardous_ok = [hazardous_authorisation(permit_by_actor.get(a.id), ref) for a in actors]
    waste_ok = [waste_authorisation(permit_by_actor.get(a.id)) for a in actors]

    po, pn, level = candidate_pairs(cols, params)
    sa, ra = cols.actor[po], cols.actor[pn]
    kind = cols.kind[po]
    is_heat = kind == KIND_CODES[HEAT]
    is_cold = kind == KIND_CODES[COLD]
    is_water = kind == KIND_CODES[WATER]

    road = road_km(cols.lat[sa], cols.lon[sa], cols.lat[ra], cols.lon[ra], params.road_factor)
    max_km = np.array([params.max_road_km.get(k, math.inf) for k in KINDS])[kind]
    ok = ~(road > max_km)
    ok &= (cols.start[po] <= cols.end[pn]) & (cols.start[pn] <= cols.end[po])

    # heat: direct when source ≥ sink + ΔT, else a heat pump within its lift
    t_src = np.where(np.isnan(cols.temp[po]), knowledge.DEFAULT_SOURCE_TEMPERATURE_C, cols.temp[po])
    t_sink = np.where(np.isnan(cols.temp[pn]), knowledge.DEFAULT_SINK_TEMPERATURE_C, cols.temp[pn])
    direct = t_src >= t_sink + params.delta_t_k
    lift = (t_sink + params.approach_k) - (t_src - params.approach_k)
    pump = (
        is_heat & ~direct & (t_src >= params.heat_pump_min_source_c) & (lift <= params.heat_pump_max_lift_k)
    )
    cop = np.where(pump, heat_pump_cop(t_src, t_sink, params), np.nan)
    ok &= ~is_heat | direct | pump
    ok &= ~is_cold | (t_src <= t_sink - params.delta_t_k)
    # water: the offer's class is as good as the need's, months in common
    ok &= ~is_water | (cols.wclass[po] <= cols.wclass[pn])
    common = POPCOUNT12[cols.months[po] & cols.months[pn] & 4095]
    ok &= common > 0

    # hazardous waste only to an authorised receiver: the others become exclusions with their reason
    haz_allowed = np.array([r is not None for r in hazardous_ok], dtype=bool)
    refused = ok & cols.hazardous[po] & ~haz_allowed[ra]
    exclusions = []
    for p in np.flatnonzero(refused)[:1000].tolist():
        f, g = cols.flows[po[p]], cols.flows[pn[p]]
        exclusions.append(
            Exclusion(
                actors[sa[p]].id,
                actors[ra[p]].id,
                f.id,
                g.id,
                f"déchet dangereux {ref.ewc[f.ewc].display} non proposé : le receveur ne déclare aucune rubrique "
                "ICPE ni opération R/D autorisant la réception de déchets dangereux",
            )
        )
    exclusion_count = int(refused.sum())
    ok &= ~refused

    sel = np.flatnonzero(ok)
    po, pn, level, sa, ra, road, cop, pump = (
        po[sel],
        pn[sel],
        level[sel],
        sa[sel],
        ra[sel],
        road[sel],
        cop[sel],
        pump[sel],
    )
    kind, is_heat = kind[sel], is_heat[sel]
    t_src, t_sink, common = t_src[sel], t_sink[sel], common[sel]

    # feasibility: legal status of the offer and the receiver's authorisation for waste
    legal = cols.legal[po]
    waste_permit = np.array([r is not None for r in waste_ok], dtype=bool)[ra]
    feas = np.where((legal == WASTE) & ~waste_permit & (kind == KIND_CODES[MATERIAL]), 0.85, 1.0)
    plaus = level * cols.conf[po] * cols.conf[pn] * feas * np.where(pump, 0.75, 1.0)
    water_share = np.where(
        kind == KIND_CODES[WATER], common / np.maximum(POPCOUNT12[cols.months[pn] & 4095], 1), 1.0
    )
    plaus = plaus * water_share

    # keep the best candidates of each offer, then allocate quantities best first
    first_rank = np.lexsort((-plaus, po))
    rank_in_offer = np.empty(len(po), dtype=np.int64)
    if len(po):
        sorted_o = po[first_rank]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_o)) + 1]
        group_start = np.repeat(starts, np.diff(np.r_[starts, len(po)]))
        rank_in_offer[first_rank] = np.arange(len(po)) - group_start
    keep = rank_in_offer < params.top_per_offer
    idx = np.flatnonzero(keep)
    po, pn, level, sa, ra, road, cop, pump, kind, is_heat, t_src, t_sink, plaus, feas = (
        x[idx] for x in (po, pn, level, sa, ra, road, cop, pump, kind, is_heat, t_src, t_sink, plaus, feas)
    )
    factor = np.where(pump, cop / np.maximum(cop - 1, 1e-9), 1.0)
    order = np.argsort(-plaus, kind="stable")
    taken, delivered, kept = allocate(order, po, pn, cols.qty, cols.qty, factor)

    # impact and economics, per kind
    material = kind == KIND_CODES[MATERIAL]
    road_known = ~np.isnan(road)
    road0 = np.where(road_known, road, 0.0)
    co2 = np.full(len(po), np.nan)
    eur = np.full(len(po), np.nan)
    payback = np.full(len(po), np.nan)
    invest = np.full(len(po), np.nan)
    if material.any():
        factors = np.array([_material_factor(cols.flows[o], params) for o in po[material].tolist()])
        t = delivered[material]
        co2[material] = t * factors - t * road0[material] * params.co2_transport_t_per_t_km
        disposal = np.where(
            cols.hazardous[po[material]], params.disposal_hazardous_eur_per_t, params.disposal_eur_per_t
        )
        eur[material] = t * (disposal - road0[material] * params.transport_eur_per_t_km)
    if is_heat.any():
        mwh = delivered[is_heat]
        gas = mwh / params.boiler_efficiency
        elec = np.where(pump[is_heat], mwh / np.where(np.isnan(cop[is_heat]), 1, cop[is_heat]), 0.0)
        co2[is_heat] = gas * params.co2_gas_t_per_mwh - elec * params.co2_electricity_t_per_mwh
        saving = gas * params.gas_eur_per_mwh - elec * params.electricity_eur_per_mwh
        peak = mwh / params.full_load_hours
        line = np.array(
            [line_cost_eur_per_m(p, ref) if not math.isnan(p) else math.nan for p in peak.tolist()]
        )
        equip = peak * (
            _equipment(ref, "heat_exchanger_source_air_to_liquid", "all", peak)
            + _equipment(ref, "heat_exchanger_sink_liquid_to_liquid", None, peak)
            + _equipment(ref, "pump", None, peak)
        )
        capex = (line * road0[is_heat] * 1000 + equip) * params.cost_index + np.where(
            pump[is_heat], peak * params.heat_pump_eur_per_mw, 0.0
        )
        invest[is_heat] = capex
        eur[is_heat] = saving
        payback[is_heat] = np.where(saving > 0, capex / np.where(saving > 0, saving, 1), np.inf)
    is_cold = kind == KIND_CODES[COLD]
    if is_cold.any():
        elec = delivered[is_cold] / params.cold_eer
        co2[is_cold] = elec * params.co2_electricity_t_per_mwh
        eur[is_cold] = elec * params.electricity_eur_per_mwh
    is_water = kind == KIND_CODES[WATER]
    if is_water.any():
        co2[is_water] = delivered[is_water] * params.co2_water_t_per_m3
        eur[is_water] = delivered[is_water] * params.water_eur_per_m3
    is_energy = kind == KIND_CODES[ENERGY]
    if is_energy.any():
        resources = np.array([cols.flows[o].resource for o in po[is_energy].tolist()], dtype=object)
        electric = resources == "electricity"
        mwh = delivered[is_energy]
        co2[is_energy] = mwh * np.where(electric, params.co2_electricity_t_per_mwh, params.co2_gas_t_per_mwh)
        eur[is_energy] = mwh * np.where(electric, params.electricity_eur_per_mwh, params.gas_eur_per_mwh)

    # criteria in [0, 1]; NaN = unknown, left out of the weighted mean
    w = params.weights
    impact = np.clip(np.log10(1 + np.maximum(co2, 0)) / 4.0, 0, 1)
    econ = np.where(
        is_heat,
        np.clip((15.0 - payback) / 12.0, 0, 1),
        np.clip(np.log10(1 + np.maximum(eur, 0)) / 6.0, 0, 1),
    )
    econ = np.where(np.isnan(eur), np.nan, econ)
    max_km = np.array([params.max_road_km.get(k, math.inf) for k in KINDS])[kind]
    proximity = np.where(road_known, np.clip(1 - road / max_km, 0, 1), np.nan)
    prec_n = np.full(len(po), np.nan)
    if precedents is not None:
        divisions = [_division(a.nace) for a in actors]
        prec_n = np.array(
            [
                precedents.count(divisions[s], divisions[r], cols.flows[o].ewc[:2] if material[i] else "")
                for i, (s, r, o) in enumerate(zip(sa.tolist(), ra.tolist(), po.tolist(), strict=True))
            ],
            dtype=float,
        )
    prec = np.log1p(prec_n) / math.log1p(params.precedents_full)
    prec = np.clip(prec, 0, 1)
    criteria = {
        "plausibility": plaus,
        "impact": impact,
        "economics": econ,
        "proximity": proximity,
        "precedents": prec,
    }
    num = np.zeros(len(po))
    den = np.zeros(len(po))
    for name, values in criteria.items():
        known = ~np.isnan(values)
        num += np.where(known, values, 0) * w[name]
        den += known * w[name]
    score = np.round(100 * num / np.maximum(den, 1e-9), 1)
    score = np.where(kept, score, -1)

    final = np.argsort(-score, kind="stable")
    final = final[score[final] >= 0]
    synergies = []
    for p in final.tolist():
        o, n = int(po[p]), int(pn[p])
        offer, need = cols.flows[o], cols.flows[n]
        syn = Synergy(
            supplier=actors[sa[p]].id,
            receiver=actors[ra[p]].id,
            offer_id=offer.id,
            need_id=need.id,
            kind=offer.kind,
            ewc=Reference.display(offer.ewc) if offer.kind == MATERIAL and not offer.resource else "",
            label=_label(offer, ref),
            score=float(score[p]),
            reasons=[],
            quantity=None if math.isnan(delivered[p]) else float(delivered[p]),
            unit=CANONICAL_UNIT[need.kind],
            road_km=None if math.isnan(road[p]) else float(road[p]),
            co2e_t=None if math.isnan(co2[p]) else float(co2[p]),
            money_eur=None if math.isnan(eur[p]) else float(eur[p]),
            payback_years=None if math.isnan(payback[p]) else float(payback[p]),
            heat_pump=bool(pump[p]),
            cop=None if math.isnan(cop[p]) else float(cop[p]),
        )
        if explain:
            syn.reasons = _reasons(
                syn,
                offer,
                need,
                ref,
                params,
                level=float(level[p]),
                t_src=float(t_src[p]),
                t_sink=float(t_sink[p]),
                hazardous=bool(cols.hazardous[o]),
                hazardous_why=hazardous_ok[ra[p]],
                waste_why=waste_ok[ra[p]],
                offer_qty=float(cols.qty[o]),
                need_qty=float(cols.qty[n]),
                invest=float(invest[p]),
                precedents_n=prec_n[p],
            )
        synergies.append(syn)
    pools = find_pools(cols, ref, params)
    return Detection(
        synergies,
        pools,
        exclusions,
        exclusion_count,
        stats={"candidate_pairs": int(len(sel)), "allocated_pairs": int(kept.sum())},
    )


def _division(nace: str) -> str:
    prefixes = knowledge.nace_prefixes(nace)
    return prefixes[-1] if prefixes else ""


def _material_factor(flow: Flow, params: Parameters) -> float:
    table = params.co2_material_t_per_t
    code = flow.ewc or ""
    for key in (code[:4], code[:2]):
        if key and key in table:
            return table[key]
    return table.get("", 0.0)


def _equipment(ref: Reference, component: str, condition: str | None, peak):
    if condition is not None:
        return np.full(len(peak), ref.equipment_costs.get((component, condition), 0.0))
    lt = ref.equipment_costs.get((component, "peak_lt_1mw"), 0.0)
    ge = ref.equipment_costs.get((component, "peak_ge_1mw"), 0.0)
    return np.where(peak < 1.0, lt, ge)


def _label(flow: Flow, ref: Reference) -> str:
    if flow.kind == MATERIAL and not flow.resource:
        heading = ref.heading(flow.ewc)
        return heading[:1].upper() + heading[1:].lower() if heading.isupper() else heading
    label = RESOURCES[flow.resource]
    if flow.kind == HEAT and flow.quality.temperature_c is not None:
        label += f" (≈ {fr_num(flow.quality.temperature_c, 0)} °C)"
    return label[:1].upper() + label[1:]


def _qty(value: float, unit: str) -> str:
    return f"{fr_num(value, 0 if value >= 100 else 1)} {unit.replace('m3', 'm³')}/an"


def _reasons(
    syn,
    offer,
    need,
    ref,
    params,
    *,
    level,
    t_src,
    t_sink,
    hazardous,
    hazardous_why,
    waste_why,
    offer_qty,
    need_qty,
    invest,
    precedents_n,
) -> list[str]:
    reasons = []
    if offer.kind == MATERIAL and not offer.resource:
        code = Reference.display(offer.ewc)
        asked = Reference.display(need.ewc)
        how = LEVEL_WORDS.get(level, "compatible")
        if level == 0.6:
            reasons.append(f"déchet {code} : {how} avec le {asked} recherché (même matière, autre origine)")
        elif level == 1.0 and len(offer.ewc) == 6 and offer.ewc == need.ewc:
            reasons.append(f"déchet {code} : {how} à celui recherché")
        else:
            reasons.append(f"déchet {code} : {how} que le {asked} recherché")
        if hazardous:
            reasons.append(f"déchet dangereux ({code}*) : {hazardous_why}")
        elif len(offer.ewc) < 6:
            reasons.append(
                "les entrées dangereuses (*) de ce sous-chapitre sont à écarter sans autorisation du receveur"
            )
        if offer.legal_status == WASTE:
            reasons.append(
                f"statut de déchet : {waste_why}"
                if waste_why
                else "statut de déchet : autorisation ICPE du receveur à vérifier (ou sous-produit à démontrer)"
            )
        else:
            reasons.append(f"statut : {LEGAL_STATUSES[offer.legal_status]}")
    elif offer.kind == HEAT:
        if syn.heat_pump:
            reasons.append(
                f"chaleur à {fr_num(t_src, 0)} °C pour un besoin à {fr_num(t_sink, 0)} °C : pompe à chaleur nécessaire, "
                f"COP estimé {fr_num(syn.cop, 1)} (COP = {fr_num(params.carnot_efficiency, 2)} × Tc / (Tc − Te) en kelvins, "
                f"Tc = {fr_num(t_sink + params.approach_k, 0)} °C, Te = {fr_num(t_src - params.approach_k, 0)} °C)"
            )
        else:
            reasons.append(
                f"chaleur à {fr_num(t_src, 0)} °C pour un besoin à {fr_num(t_sink, 0)} °C : écart ≥ "
                f"{fr_num(params.delta_t_k, 0)} K, échange direct par échangeur"
            )
    elif offer.kind == COLD:
        reasons.append(f"froid à {fr_num(t_src, 0)} °C pour un besoin à {fr_num(t_sink, 0)} °C")
    elif offer.kind == WATER:
        reasons.append(
            f"eau de qualité {WATER_CLASS_LABELS[offer.quality.water_class or 'raw']} pour un besoin "
            f"de qualité {WATER_CLASS_LABELS[need.quality.water_class or 'raw']} ou moins exigeant"
        )
        if offer.months != need.months:
            reasons.append(
                f"saisons compatibles : {bin(offer.months & need.months).count('1')} mois en commun"
            )
    else:
        reasons.append(f"{RESOURCES[offer.resource]} offert(e) et recherché(e)")
    unit = syn.unit
    if syn.quantity is not None:
        known = []
        if not math.isnan(offer_qty):
            known.append(f"offre {_qty(offer_qty, CANONICAL_UNIT[offer.kind])}")
        if not math.isnan(need_qty):
            known.append(f"besoin {_qty(need_qty, unit)}")
        reasons.append(f"quantité proposée : {_qty(syn.quantity, unit)} ({', '.join(known)})")
    else:
        reasons.append("quantité à préciser (non déclarée)")
    if syn.road_km is not None:
        reasons.append(
            f"distance routière estimée {fr_num(syn.road_km, 1)} km "
            f"({fr_num(params.road_factor, 1)} × {fr_num(syn.road_km / params.road_factor, 1)} km à vol d'oiseau)"
        )
    if syn.co2e_t is not None:
        reasons.append(f"CO2e évité : {fr_num(syn.co2e_t, 1)} t/an (facteurs par défaut, configurables)")
    if offer.kind == HEAT and syn.quantity is not None:
        peak = syn.quantity / params.full_load_hours
        cost = line_cost_eur_per_m(peak, ref)
        line = (
            f"canalisation {fr_num(cost * params.cost_index, 0)} €/m (capacité {fr_num(peak, 2)} MW, hypothèses "
            f"HotMaps × {fr_num(params.cost_index, 2)})"
            if syn.road_km is not None
            else "coût de canalisation non compté (pas de coordonnées)"
        )
        payback = (
            "sans retour" if syn.payback_years in (None, math.inf) else f"{fr_num(syn.payback_years, 1)} ans"
        )
        reasons.append(
            f"{line}, investissement {money(invest)}, économie {money(syn.money_eur)}/an, "
            f"retour sur investissement {payback}"
        )
    elif syn.money_eur is not None:
        reasons.append(f"économie estimée : {money(syn.money_eur)}/an")
    if offer.origin == ESTIMATED or need.origin == ESTIMATED:
        reasons.append(
            f"flux estimés d'après l'activité (confiance {fr_num(offer.confidence * need.confidence, 2)}) : "
            "à confirmer avec les entreprises"
        )
    elif offer.origin != need.origin or offer.origin != "declared":
        reasons.append(f"origine : {ORIGINS[offer.origin]} / {ORIGINS[need.origin]}")
    if not math.isnan(precedents_n):
        n = int(precedents_n)
        reasons.append(
            f"{n} échange(s) documenté(s) entre ces secteurs d'activité"
            if n
            else "aucun échange documenté entre ces secteurs"
        )
    if offer.legal_status in (BY_PRODUCT, END_OF_WASTE) and offer.kind == MATERIAL and offer.resource:
        reasons.append(f"statut : {LEGAL_STATUSES[offer.legal_status]}")
    return reasons


def find_pools(cols: _Columns, ref: Reference, params: Parameters) -> list[Pool]:
    """Same need (or same waste to collect) in one perimeter: the actor's zone, else a grid cell of
    `pool_cell_km`, else the whole set. Groups of at least `pool_min_members` establishments."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    size = params.pool_cell_km
    for i, flow in enumerate(cols.flows):
        if flow.origin == ESTIMATED:
            continue
        material = flow.kind == MATERIAL and not flow.resource
        if flow.direction == OFFER and not material:
            continue
        key = (flow.direction, flow.ewc[:4] if material else f"{flow.kind}:{flow.resource}")
        actor = cols.actors[cols.actor[i]]
        if actor.zone:
            perimeter = f"zone {actor.zone}"
        elif actor.has_coordinates:
            iy, ix = _cells(np.array([actor.latitude]), np.array([actor.longitude]), size)
            perimeter = f"maille {int(iy[0])}/{int(ix[0])} ({fr_num(size, 0)} km)"
        else:
            perimeter = "ensemble du périmètre"
        groups[(perimeter, *key)].append(i)
    pools = []
    for (perimeter, direction, key), members in sorted(groups.items()):
        actor_ids = sorted({cols.actors[cols.actor[i]].id for i in members})
        if len(actor_ids) < params.pool_min_members:
            continue
        first = cols.flows[members[0]]
        volumes = cols.qty[members]
        unit = CANONICAL_UNIT[first.kind]
        volume = None if np.isnan(volumes).all() else float(np.nansum(volumes))
        what = _label(first if first.kind != MATERIAL or first.resource else _sub(first), ref)
        label = f"Collecte mutualisée : {what}" if direction == OFFER else f"Besoin commun : {what}"
        reasons = [
            f"{len(actor_ids)} établissements ({perimeter}) partagent ce {'gisement' if direction == OFFER else 'besoin'}"
        ]
        if volume is not None:
            reasons.append(f"volume cumulé : {_qty(volume, unit)}")
        pools.append(Pool(f"{direction}:{key}", label, perimeter, actor_ids, volume, unit, reasons))
    pools.sort(key=lambda p: (-p.count, p.key))
    return pools


def _sub(flow: Flow) -> Flow:
    return Flow(flow.id, flow.actor_id, flow.direction, flow.kind, ewc=flow.ewc[:4])
