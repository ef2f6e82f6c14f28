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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from tandem.eit.engine import knowledge
from tandem.eit.engine.model import (
    ALL_MONTHS,
    BY_PRODUCT,
    CANONICAL_UNIT,
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
    PERIODS,
    RESOURCES,
    UNITS,
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
POOL_LON_SCALE = math.cos(math.radians(46.0))  # pooling grid: metropolitan France's mid latitude
KIND_CODES = {kind: i for i, kind in enumerate(KINDS)}
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
    quantity: float | None = None  # promised to the receiver, in `unit` per year
    unit: str = ""
    road_km: float | None = None
    co2e_t: float | None = None
    money_eur: float | None = None
    payback_years: float | None = None
    heat_pump: bool = False
    cop: float | None = None
    _reasons: list[str] | None = field(default=None, repr=False)
    _explain: Callable[[Synergy], list[str]] | None = field(default=None, repr=False, compare=False)

    @property
    def reasons(self) -> list[str]:
        """French reasons, worded on first use (a ranking of thousands is only read for its top)."""
        if self._reasons is None:
            self._reasons = self._explain(self) if self._explain else []
        return self._reasons

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


class Ranking(Sequence):
    """The ranked synergies, best first. Scores, quantities and allocation are computed for all of them by
    `detect`; each `Synergy` object (and its French reasons) is built when first read."""

    def __init__(self, order: np.ndarray, build: Callable[[int], Synergy]):
        self._order = order
        self._build = build
        self._built: dict[int, Synergy] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._built:
            self._built[index] = self._build(int(self._order[index]))
        return self._built[index]

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None


@dataclass
class Detection:
    synergies: Ranking
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
    return _road_km(p1, np.radians(lon1), np.cos(p1), p2, np.radians(lon2), np.cos(p2), road_factor)


def _road_km(phi1, lmb1, cos1, phi2, lmb2, cos2, road_factor: float):
    """`road_km` on angles in radians with their latitude cosines computed once per establishment."""
    a = np.sin((phi2 - phi1) / 2) ** 2 + cos1 * cos2 * np.sin((lmb2 - lmb1) / 2) ** 2
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


def line_costs_eur_per_m(capacity_mw, ref: Reference):
    """`line_cost_eur_per_m` for an array of capacities (NaN stays NaN)."""
    classes = np.array([c for c, _ in ref.line_costs])
    costs = np.array([e for _, e in ref.line_costs])
    if not len(classes):
        return np.full(len(capacity_mw), np.nan)
    i = np.minimum(np.searchsorted(classes, capacity_mw, "left"), len(classes) - 1)
    return np.where(np.isnan(capacity_mw), np.nan, costs[i])


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


def _cells(lat, lon, size_km, lon_scale):
    """Grid cells at least `size_km` wide and high wherever |latitude| ≤ acos(lon_scale): 1° of latitude is
    111.19 km, 1° of longitude 111.19 × cos(latitude) km ≥ 111 × lon_scale km."""
    iy = np.floor(lat * 111.0 / size_km).astype(np.int64)
    ix = np.floor(lon * 111.0 * lon_scale / size_km).astype(np.int64)
    return iy, ix


def _cell_key(iy, ix):
    return ((iy & 0xFFFF) << 16) | (ix & 0xFFFF)


def allocate(order, offer_idx, need_idx, offer_qty, need_qty, factor):
    """Greedy allocation of pairs in `order` (best first): each pair takes min(remaining offer, remaining
    need / f) (f converts offer units to need units, e.g. COP / (COP − 1) through a heat pump). Returns (taken
    offer units, delivered need units, kept mask); a pair finding its offer or need exhausted is dropped.

    Invariant: for every offer o, Σ taken over kept pairs of o ≤ offer_qty[o] (same for needs). Proof: the
    remainder r_o starts at offer_qty[o]; a pair takes a = min(r_o, r_n / f) ≤ r_o and r_o becomes r_o − a ≥ 0;
    so after any number of pairs Σ a = offer_qty[o] − r_o ≤ offer_qty[o].
    Vectorised in rounds: a pair ranked first among the remaining pairs of its offer AND of its need sees the
    same remainders as in the one-by-one greedy (every better pair touching them is done, the others do not
    touch them), and such pairs share no offer or need, so a round allocates them all at once. The result is
    the one-by-one greedy's (tested against it). Unknown quantities (NaN) are unconstrained: kept, quantity
    to be specified.
    """
    n_pairs = len(offer_idx)
    taken = np.full(n_pairs, np.nan)
    delivered = np.full(n_pairs, np.nan)
    kept = np.ones(n_pairs, dtype=bool)
    rem_o = np.where(np.isnan(offer_qty), np.inf, offer_qty).astype(float)
    rem_n = np.where(np.isnan(need_qty), np.inf, need_qty).astype(float)
    known = ~(np.isnan(offer_qty[offer_idx]) & np.isnan(need_qty[need_idx]))
    live = order[known[order]]  # pair ids, best first
    rank = np.empty(n_pairs, dtype=np.int64)
    rank[order] = np.arange(len(order))
    best_o = np.full(len(rem_o), np.iinfo(np.int64).max)
    best_n = np.full(len(rem_n), np.iinfo(np.int64).max)
    while len(live):
        o, n, r = offer_idx[live], need_idx[live], rank[live]
        best_o[o] = np.iinfo(np.int64).max
        best_n[n] = np.iinfo(np.int64).max
        np.minimum.at(best_o, o, r)
        np.minimum.at(best_n, n, r)
        first = (best_o[o] == r) & (best_n[n] == r)
        p, po_, pn_ = live[first], o[first], n[first]
        f = factor[p]
        room = np.minimum(rem_o[po_], rem_n[pn_] / f)
        ok = room > 1e-9
        taken[p[ok]] = room[ok]
        delivered[p[ok]] = room[ok] * f[ok]
        kept[p[~ok]] = False
        rem_o[po_[ok]] -= room[ok]
        rem_n[pn_[ok]] -= room[ok] * f[ok]
        rest = live[~first]
        # pairs whose offer or need is now exhausted are dropped without another round
        exhausted = (rem_o[offer_idx[rest]] <= 1e-9) | (rem_n[need_idx[rest]] <= 1e-9)
        kept[rest[exhausted]] = False
        live = rest[~exhausted]
    return taken, delivered, kept


class FlowTable:
    """The flows as numpy columns (one row per flow), checked. Flows sharing a signature (direction, kind,
    code, resource, unit, period, status, origin, water class) are checked and keyed once. `detect` builds it
    from a list of flows; a caller that runs several detections on the same flows builds it once."""

    def __init__(self, actors: list[Actor], flows: list[Flow], ref: Reference):
        self.actor_index = {a.id: i for i, a in enumerate(actors)}
        self.actors = actors
        self.flows = flows
        signatures: dict[tuple, int] = {}
        self.signatures: list[Flow] = []  # first flow of each signature
        rows = []
        for f in flows:
            key = (
                f.direction,
                f.kind,
                f.ewc,
                f.resource,
                f.unit,
                f.period,
                f.legal_status,
                f.origin,
                f.quality.water_class,
            )
            sig = signatures.get(key)
            if sig is None:
                f.check()
                sig = signatures[key] = len(self.signatures)
                self.signatures.append(f)
            rows.append(sig)
        self.sig = np.array(rows, dtype=np.int64)
        first = self.signatures
        sig_offer = np.array([f.direction == OFFER for f in first], dtype=bool)
        sig_kind = np.array([KIND_CODES[f.kind] for f in first], dtype=np.int8)
        sig_factor = np.array([UNITS[f.unit][1] * PERIODS[f.period] for f in first])
        sig_wclass = np.array(
            [
                -1 if f.quality.water_class is None else WATER_CLASSES.index(f.quality.water_class)
                for f in first
            ],
            dtype=np.int8,
        )
        sig_haz = np.array(
            [f.kind == MATERIAL and len(f.ewc) == 6 and ref.is_hazardous(f.ewc) for f in first]
        )
        sig_waste = np.array([f.legal_status == WASTE for f in first], dtype=bool)
        sig_estimated = np.array([f.origin == ESTIMATED for f in first], dtype=bool)
        self.offer = sig_offer[self.sig]
        self.kind = sig_kind[self.sig]
        self.wclass = sig_wclass[self.sig]
        self.hazardous = sig_haz[self.sig].astype(bool)
        self.waste = sig_waste[self.sig]
        self.estimated = sig_estimated[self.sig]
        self.actor = np.array([self.actor_index.get(f.actor_id, -1) for f in flows], dtype=np.int64)
        nan = math.nan
        self.qty = np.array([nan if f.quantity is None else f.quantity for f in flows], dtype=float)
        self.conf = np.array([f.confidence for f in flows], dtype=float)
        self.temp = np.array(
            [nan if f.quality.temperature_c is None else f.quality.temperature_c for f in flows], dtype=float
        )
        self.months = np.array([f.months for f in flows], dtype=np.int64)
        self.start = np.array([f.valid_from.toordinal() if f.valid_from else -(10**9) for f in flows])
        self.end = np.array([f.valid_until.toordinal() if f.valid_until else 10**9 for f in flows])
        # what the signature does not hold is checked here for every flow; the first bad one says why
        bad = (self.qty < 0) | np.isinf(self.qty) | ~(self.conf > 0) | (self.conf > 1)
        bad |= (self.months <= 0) | (self.months > ALL_MONTHS) | (self.start > self.end)
        if bad.any():
            flows[int(np.flatnonzero(bad)[0])].check()
        if (self.actor < 0).any():
            f = flows[int(np.flatnonzero(self.actor < 0)[0])]
            raise EngineInputError(f"flux « {f.id} » : établissement « {f.actor_id} » inconnu")
        self.qty = self.qty * sig_factor[self.sig]
        self.lat = np.array([nan if a.latitude is None else a.latitude for a in actors], dtype=float)
        self.lon = np.array([nan if a.longitude is None else a.longitude for a in actors], dtype=float)
        self.phi, self.lmb = np.radians(self.lat), np.radians(self.lon)
        self.cos_phi = np.cos(self.phi)
        sig_code = np.array([int(f.ewc) if len(f.ewc) == 6 and not f.resource else -1 for f in first])
        self.code6 = sig_code[self.sig]  # 6-digit EWC code as an integer, -1 otherwise


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


def _expand(flow_idx, sig, sig_start, sig_count, keys, levels):
    """Each flow of `flow_idx` repeated once per key of its signature: (key, level, flow)."""
    count = sig_count[sig[flow_idx]]
    total = int(count.sum())
    within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    pos = np.repeat(sig_start[sig[flow_idx]], count) + within
    return keys[pos], levels[pos], np.repeat(flow_idx, count)


def candidate_pairs(cols: FlowTable, params: Parameters):
    """(offer flow, need flow, level) for every compatible pair within distance, same actor excluded."""
    vocab: dict[str, int] = {}
    keys, levels, counts = [], [], []
    for flow in cols.signatures:
        published = _keys(flow)
        counts.append(len(published))
        for key, level in published:
            keys.append(vocab.setdefault(key, len(vocab)))
            levels.append(level)
    keys = np.array(keys, dtype=np.int64)
    levels = np.array(levels, dtype=float)
    sig_count = np.array(counts, dtype=np.int64)
    sig_start = np.cumsum(sig_count) - sig_count
    out_o, out_n, out_l = [], [], []
    for code, family in enumerate(KINDS):
        in_family = cols.kind == code
        o_idx = np.flatnonzero(in_family & cols.offer)
        n_idx = np.flatnonzero(in_family & ~cols.offer)
        if not len(o_idx) or not len(n_idx):
            continue
        o_key, o_level, o_flow = _expand(o_idx, cols.sig, sig_start, sig_count, keys, levels)
        n_key, _, n_flow = _expand(n_idx, cols.sig, sig_start, sig_count, keys, levels)
        max_km = params.max_road_km.get(family, math.inf)
        o_lat, o_lon = cols.lat[cols.actor[o_flow]], cols.lon[cols.actor[o_flow]]
        n_lat, n_lon = cols.lat[cols.actor[n_flow]], cols.lon[cols.actor[n_flow]]
        spatial = math.isfinite(max_km) and not (
            np.isnan(o_lat).any() or np.isnan(n_lat).any() or np.isnan(o_lon).any() or np.isnan(n_lon).any()
        )
        if spatial:
            # straight-line cells: a pair within max_km of road is within max_km / road_factor of straight line
            size = max_km / params.road_factor
            lon_scale = math.cos(math.radians(min(89.0, max(np.abs(o_lat).max(), np.abs(n_lat).max()))))
            oy, ox = _cells(o_lat, o_lon, size, lon_scale)
            ny, nx = _cells(n_lat, n_lon, size, lon_scale)
            shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            o_key = np.concatenate([(o_key << 32) | _cell_key(oy + dy, ox + dx) for dy, dx in shifts])
            o_level = np.tile(o_level, 9)
            o_flow = np.tile(o_flow, 9)
            n_key = (n_key << 32) | _cell_key(ny, nx)
        po, pn, pl = _join(o_key, o_level, o_flow, n_key, n_flow)
        if family == MATERIAL and len(po):
            # an offer and a need of the same 6-digit code also meet on their sub-chapter: keep the exact match
            # (every other pair meets on one key only: a need publishes its code and sub-chapter, or its chapter)
            same_code = (pl == 0.8) & (cols.code6[po] == cols.code6[pn]) & (cols.code6[po] >= 0)
            po, pn, pl = po[~same_code], pn[~same_code], pl[~same_code]
        out_o.append(po)
        out_n.append(pn)
        out_l.append(pl)
    if not out_o:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    po, pn, pl = np.concatenate(out_o), np.concatenate(out_n), np.concatenate(out_l)
    keep = cols.actor[po] != cols.actor[pn]
    return po[keep], pn[keep], pl[keep]


def detect(
    actors: list[Actor],
    flows: list[Flow],
    ref: Reference,
    *,
    permits: list[Permit] = (),
    params: Parameters | None = None,
    precedents: Precedents | None = None,
    pools: bool = True,
) -> Detection:
    """Ranked synergies (with French reasons), pooling groups and exclusions for these actors and flows
    (a list of `Flow`, or a `FlowTable` already built from them for these actors)."""
    params = params or Parameters()
    cols = flows if isinstance(flows, FlowTable) else FlowTable(actors, flows, ref)
    hazardous_ok, waste_ok = _authorisations(cols, permits, ref)

    po, pn, level = candidate_pairs(cols, params)
    pairs = _checked(cols, po, pn, level, params)
    refused = (
        pairs["ok"]
        & cols.hazardous[pairs["po"]]
        & ~np.array([r is not None for r in hazardous_ok], dtype=bool)[pairs["ra"]]
    )
    exclusions = _exclusions(cols, pairs, refused, ref)
    pairs = _take(pairs, np.flatnonzero(pairs["ok"] & ~refused))
    admissible = len(pairs["po"])
    pairs["plaus"] = _plausibility(cols, pairs, waste_ok, params)
    pairs = _take(pairs, np.flatnonzero(_best_per_offer(cols, pairs, params)))

    factor = np.where(pairs["pump"], pairs["cop"] / np.maximum(pairs["cop"] - 1, 1e-9), 1.0)
    order = np.argsort(-pairs["plaus"], kind="stable")
    _, delivered, kept = allocate(order, pairs["po"], pairs["pn"], cols.qty, cols.qty, factor)
    co2, eur, payback, invest = _impacts(cols, pairs, delivered, ref, params)
    prec_n = _precedents(cols, pairs, actors, precedents)
    score = _score(cols, pairs, co2, eur, payback, prec_n, params)
    score = np.where(kept, score, -1)

    final = np.argsort(-score, kind="stable")
    final = final[score[final] >= 0]
    # with no quantity to share, one offer answering several needs of one receiver is one lead: its best
    unknown = np.isnan(delivered[final])
    if unknown.any():
        lead = pairs["po"][final] * len(actors) + pairs["ra"][final]
        _, first_seen = np.unique(lead, return_index=True)
        is_first = np.zeros(len(final), dtype=bool)
        is_first[first_seen] = True
        final = final[is_first | ~unknown]

    po, pn, sa, ra = pairs["po"], pairs["pn"], pairs["sa"], pairs["ra"]
    road, cop, pump = pairs["road"], pairs["cop"], pairs["pump"]

    def build(p: int) -> Synergy:
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
            quantity=_float(delivered[p]),
            unit=CANONICAL_UNIT[need.kind],
            road_km=_float(road[p]),
            co2e_t=_float(co2[p]),
            money_eur=_float(eur[p]),
            payback_years=_float(payback[p]),
            heat_pump=bool(pump[p]),
            cop=_float(cop[p]),
        )
        syn._explain = partial(
            _reasons,
            offer=offer,
            need=need,
            ref=ref,
            params=params,
            level=float(pairs["level"][p]),
            t_src=float(pairs["t_src"][p]),
            t_sink=float(pairs["t_sink"][p]),
            hazardous=bool(cols.hazardous[o]),
            hazardous_why=hazardous_ok[ra[p]],
            waste_why=waste_ok[ra[p]],
            offer_qty=float(cols.qty[o]),
            need_qty=float(cols.qty[n]),
            invest=float(invest[p]),
            precedents_n=prec_n[p],
        )
        return syn

    return Detection(
        Ranking(final, build),
        find_pools(cols, ref, params) if pools else [],
        exclusions,
        int(refused.sum()),
        stats={"candidate_pairs": admissible, "allocated_pairs": int(kept.sum())},
    )


def _float(value) -> float | None:
    return None if math.isnan(value) else float(value)


def _take(pairs: dict[str, np.ndarray], idx) -> dict[str, np.ndarray]:
    return {name: values[idx] for name, values in pairs.items()}


def _authorisations(cols: FlowTable, permits, ref: Reference):
    """Per actor: why it may receive hazardous waste, why it may receive waste (None = nothing declared)."""
    hazardous_ok: list[str | None] = [None] * len(cols.actors)
    waste_ok: list[str | None] = [None] * len(cols.actors)
    merged: dict[str, Permit] = {}  # an establishment with several installations: all their permits
    for permit in permits:
        held = merged.get(permit.actor_id)
        merged[permit.actor_id] = (
            permit
            if held is None
            else Permit(
                permit.actor_id,
                tuple(dict.fromkeys(held.rubriques + permit.rubriques)),
                tuple(dict.fromkeys(held.operations + permit.operations)),
            )
        )
    answers: dict[tuple, tuple[str | None, str | None]] = {}  # many receivers hold the same permit
    for actor_id, permit in merged.items():
        i = cols.actor_index.get(actor_id)
        if i is None:
            continue
        key = (permit.rubriques, permit.operations)
        if key not in answers:
            answers[key] = (hazardous_authorisation(permit, ref), waste_authorisation(permit))
        hazardous_ok[i], waste_ok[i] = answers[key]
    return hazardous_ok, waste_ok


def _checked(cols: FlowTable, po, pn, level, params: Parameters) -> dict[str, np.ndarray]:
    """The pairs with what the checks computed, and `ok`: distance, dates, temperatures, water, months."""
    sa, ra = cols.actor[po], cols.actor[pn]
    kind = cols.kind[po]
    is_heat = kind == KIND_CODES[HEAT]
    phi, lmb, cos = cols.phi, cols.lmb, cols.cos_phi
    road = _road_km(phi[sa], lmb[sa], cos[sa], phi[ra], lmb[ra], cos[ra], params.road_factor)
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
    ok &= (kind != KIND_CODES[COLD]) | (t_src <= t_sink - params.delta_t_k)
    # water: the offer's class is as good as the need's; any flow: months in common
    ok &= (kind != KIND_CODES[WATER]) | (cols.wclass[po] <= cols.wclass[pn])
    common = POPCOUNT12[cols.months[po] & cols.months[pn] & 4095]
    ok &= common > 0
    return {
        "po": po,
        "pn": pn,
        "level": level,
        "sa": sa,
        "ra": ra,
        "kind": kind,
        "road": road,
        "t_src": t_src,
        "t_sink": t_sink,
        "pump": pump,
        "cop": cop,
        "common": common,
        "ok": ok,
    }


def _exclusions(cols: FlowTable, pairs, refused, ref: Reference, limit: int = 1000) -> list[Exclusion]:
    """Hazardous waste refused to a receiver without authorisation, with the reason (the first `limit`)."""
    out = []
    for p in np.flatnonzero(refused)[:limit].tolist():
        offer, need = cols.flows[pairs["po"][p]], cols.flows[pairs["pn"][p]]
        out.append(
            Exclusion(
                cols.actors[pairs["sa"][p]].id,
                cols.actors[pairs["ra"][p]].id,
                offer.id,
                need.id,
                f"déchet dangereux {ref.ewc[offer.ewc].display} non proposé : le receveur ne déclare aucune "
                "rubrique ICPE ni opération R/D autorisant la réception de déchets dangereux",
            )
        )
    return out


def _plausibility(cols: FlowTable, pairs, waste_ok, params: Parameters):
    """Compatibility level × confidences × feasibility (waste without a declared permit 0.85, heat pump 0.75)
    × kind prior for estimated flows × share of the need's months covered (water)."""
    po, pn, kind = pairs["po"], pairs["pn"], pairs["kind"]
    waste_permit = np.array([r is not None for r in waste_ok], dtype=bool)[pairs["ra"]]
    feas = np.where(cols.waste[po] & ~waste_permit & (kind == KIND_CODES[MATERIAL]), 0.85, 1.0)
    plaus = pairs["level"] * cols.conf[po] * cols.conf[pn] * feas * np.where(pairs["pump"], 0.75, 1.0)
    prior = np.array([params.estimated_kind_prior.get(k, 1.0) for k in KINDS])[kind]
    plaus = plaus * np.where(cols.estimated[po] | cols.estimated[pn], prior, 1.0)
    need_months = np.maximum(POPCOUNT12[cols.months[pn] & 4095], 1)
    return plaus * np.where(kind == KIND_CODES[WATER], pairs["common"] / need_months, 1.0)


def _best_per_offer(cols: FlowTable, pairs, params: Parameters):
    """Mask of the `top_per_offer` most plausible pairs of each offer of known quantity; an offer of unknown
    quantity promises nothing, so every compatible need stays a lead to qualify."""
    po, plaus = pairs["po"], pairs["plaus"]
    rank_in_offer = np.zeros(len(po), dtype=np.int64)
    if len(po):
        by_offer = np.lexsort((-plaus, po))
        sorted_o = po[by_offer]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_o)) + 1]
        group_start = np.repeat(starts, np.diff(np.r_[starts, len(po)]))
        rank_in_offer[by_offer] = np.arange(len(po)) - group_start
    return (rank_in_offer < params.top_per_offer) | np.isnan(cols.qty[po])


def _impacts(cols: FlowTable, pairs, delivered, ref: Reference, params: Parameters):
    """Per pair: CO2e avoided (t/yr), money saved (€/yr), heat payback (years) and heat investment (€)."""
    po, kind, road, pump, cop = pairs["po"], pairs["kind"], pairs["road"], pairs["pump"], pairs["cop"]
    n = len(po)
    co2, eur, payback, invest = (np.full(n, np.nan) for _ in range(4))
    road0 = np.where(np.isnan(road), 0.0, road)  # without coordinates, transport is not counted
    material = kind == KIND_CODES[MATERIAL]
    if material.any():
        sigs, inverse = np.unique(cols.sig[po[material]], return_inverse=True)
        factors = np.array([_material_factor(cols.signatures[g], params) for g in sigs.tolist()])[inverse]
        t = delivered[material]
        co2[material] = t * factors - t * road0[material] * params.co2_transport_t_per_t_km
        disposal = np.where(
            cols.hazardous[po[material]], params.disposal_hazardous_eur_per_t, params.disposal_eur_per_t
        )
        eur[material] = t * (disposal - road0[material] * params.transport_eur_per_t_km)
    heat = kind == KIND_CODES[HEAT]
    if heat.any():
        mwh = delivered[heat]
        gas = mwh / params.boiler_efficiency
        elec = np.where(pump[heat], mwh / np.where(np.isnan(cop[heat]), 1, cop[heat]), 0.0)
        co2[heat] = gas * params.co2_gas_t_per_mwh - elec * params.co2_electricity_t_per_mwh
        saving = gas * params.gas_eur_per_mwh - elec * params.electricity_eur_per_mwh
        peak = mwh / params.full_load_hours
        equipment = peak * (
            _equipment(ref, "heat_exchanger_source_air_to_liquid", "all", peak)
            + _equipment(ref, "heat_exchanger_sink_liquid_to_liquid", None, peak)
            + _equipment(ref, "pump", None, peak)
        )
        pipe = line_costs_eur_per_m(peak, ref) * road0[heat] * 1000
        capex = (pipe + equipment) * params.cost_index + np.where(
            pump[heat], peak * params.heat_pump_eur_per_mw, 0.0
        )
        invest[heat] = capex
        eur[heat] = saving
        payback[heat] = np.where(saving > 0, capex / np.where(saving > 0, saving, 1), np.inf)
    cold = kind == KIND_CODES[COLD]
    if cold.any():
        elec = delivered[cold] / params.cold_eer
        co2[cold] = elec * params.co2_electricity_t_per_mwh
        eur[cold] = elec * params.electricity_eur_per_mwh
    water = kind == KIND_CODES[WATER]
    if water.any():
        co2[water] = delivered[water] * params.co2_water_t_per_m3
        eur[water] = delivered[water] * params.water_eur_per_m3
    energy = kind == KIND_CODES[ENERGY]
    if energy.any():
        electric = np.array(
            [cols.flows[o].resource == "electricity" for o in po[energy].tolist()], dtype=bool
        )
        mwh = delivered[energy]
        co2[energy] = mwh * np.where(electric, params.co2_electricity_t_per_mwh, params.co2_gas_t_per_mwh)
        eur[energy] = mwh * np.where(electric, params.electricity_eur_per_mwh, params.gas_eur_per_mwh)
    return co2, eur, payback, invest


def _precedents(cols: FlowTable, pairs, actors, precedents: Precedents | None):
    """Documented exchanges per pair (NaN when no precedents were given)."""
    n = len(pairs["po"])
    if precedents is None:
        return np.full(n, np.nan)
    divisions = [_division(a.nace) for a in actors]
    material = pairs["kind"] == KIND_CODES[MATERIAL]
    return np.array(
        [
            precedents.count(divisions[s], divisions[r], cols.flows[o].ewc[:2] if m else "")
            for s, r, o, m in zip(
                pairs["sa"].tolist(),
                pairs["ra"].tolist(),
                pairs["po"].tolist(),
                material.tolist(),
                strict=True,
            )
        ],
        dtype=float,
    )


def _score(cols: FlowTable, pairs, co2, eur, payback, prec_n, params: Parameters):
    """0–100: weighted mean of the criteria known for each pair (an unknown one is left out, the rest
    re-weighted)."""
    kind, road = pairs["kind"], pairs["road"]
    heat = kind == KIND_CODES[HEAT]
    impact = np.clip(np.log10(1 + np.maximum(co2, 0)) / 4.0, 0, 1)
    economics = np.where(
        heat, np.clip((15.0 - payback) / 12.0, 0, 1), np.clip(np.log10(1 + np.maximum(eur, 0)) / 6.0, 0, 1)
    )
    economics = np.where(np.isnan(eur), np.nan, economics)
    max_km = np.array([params.max_road_km.get(k, math.inf) for k in KINDS])[kind]
    proximity = np.where(np.isnan(road), np.nan, np.clip(1 - road / max_km, 0, 1))
    precedent = np.clip(np.log1p(prec_n) / math.log1p(params.precedents_full), 0, 1)
    criteria = {
        "plausibility": pairs["plaus"],
        "impact": impact,
        "economics": economics,
        "proximity": proximity,
        "precedents": precedent,
    }
    num = np.zeros(len(kind))
    den = np.zeros(len(kind))
    for name, values in criteria.items():
        known = ~np.isnan(values)
        num += np.where(known, values, 0) * params.weights[name]
        den += known * params.weights[name]
    return np.round(100 * num / np.maximum(den, 1e-9), 1)


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
        heading = heading.lower() if heading.isupper() else heading  # chapter headings are in capitals
        return heading[:1].upper() + heading[1:]
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
        reasons.append(
            f"ressource « {RESOURCES[offer.resource]} » disponible chez le fournisseur et recherchée par le receveur"
        )
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
        reasons.append(
            f"CO2e évité : {fr_num(syn.co2e_t, 0 if abs(syn.co2e_t) >= 100 else 1)} t/an "
            "(facteurs par défaut, configurables)"
        )
    if syn.heat_pump and syn.quantity is not None and syn.cop:
        reasons.append(f"électricité de la pompe à chaleur : {_qty(syn.quantity / syn.cop, 'MWh')}")
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


def find_pools(cols: FlowTable, ref: Reference, params: Parameters) -> list[Pool]:
    """Same need (or same waste to collect) in one perimeter: the actor's zone, else a grid cell of
    `pool_cell_km`, else the whole set. Groups of at least `pool_min_members` establishments."""
    size = params.pool_cell_km
    iy, ix = _cells(np.nan_to_num(cols.lat), np.nan_to_num(cols.lon), size, POOL_LON_SCALE)
    has_xy = (~(np.isnan(cols.lat) | np.isnan(cols.lon))).tolist()
    perimeters = [
        a.zone or ((y, x) if xy else "")
        for a, y, x, xy in zip(cols.actors, iy.tolist(), ix.tolist(), has_xy, strict=True)
    ]
    sig_key = []
    for flow in cols.signatures:
        material = flow.kind == MATERIAL and not flow.resource
        skip = flow.origin == ESTIMATED or (flow.direction == OFFER and not material)
        sig_key.append(
            None if skip else (flow.direction, flow.ewc[:4] if material else f"{flow.kind}:{flow.resource}")
        )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, (sig, a) in enumerate(zip(cols.sig.tolist(), cols.actor.tolist(), strict=True)):
        key = sig_key[sig]
        if key is not None:
            groups[(perimeters[a], *key)].append(i)
    pools = []
    for (where, direction, key), members in groups.items():
        if len(members) < params.pool_min_members:
            continue
        if isinstance(where, tuple):
            perimeter = f"maille {where[0]}/{where[1]} ({fr_num(size, 0)} km)"
        else:
            perimeter = f"zone {where}" if where else "ensemble du périmètre"
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
    pools.sort(key=lambda p: (-p.count, p.perimeter, p.key))
    return pools


def _sub(flow: Flow) -> Flow:
    return Flow(flow.id, flow.actor_id, flow.direction, flow.kind, ewc=flow.ewc[:4])
