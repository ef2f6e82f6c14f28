"""The vectorised matching engine: stage 1 (hard constraints, conditions), combinations, stage 2 (weighted
value functions), stability of the top five, and the explained results.

Pure numpy: no Django, so it is tested and benchmarked alone. One call to `match` answers one prospect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from tandem.prospects.matching import criteria as cr
from tandem.prospects.matching.candidates import (
    ICPE_LEVELS,
    KIND_COMBINATION,
    KIND_NAMES,
    KIND_TERRAIN,
    NAT,
    SEVESO_LEVELS,
    Candidates,
)
from tandem.prospects.matching.requirements import Requirements
from tandem.prospects.matching.text import fr_date, fr_num, iso

ELIGIBLE, CONDITIONAL, EXCLUDED = 0, 1, 2
STATUS_NAMES = ("eligible", "conditional", "excluded")

CONSTRAINTS = (
    "commercialisation",
    "territoire",
    "surface",
    "puissance",
    "eau",
    "fer",
    "voie_eau",
    "autoroute",
    "gare",
    "aeroport",
    "icpe",
    "seveso",
    "disponibilite",
    "viabilisation",
    "gaz",
    "eaux_usees",
    "friche",
)
C = {name: i for i, name in enumerate(CONSTRAINTS)}
_NAT_I8 = np.iinfo(np.int64).min  # NaT's integer view: the smallest int64, so max() ignores it

STABILITY_DRAWS = 50
STABILITY_PERTURBATION = 0.2
MAX_COMBINATION_MEMBERS = 8


@dataclass
class Stage1:
    fail: np.ndarray  # (n, constraints) bool
    cond_on: np.ndarray  # (n, constraints) datetime64[D], NaT when no dated condition
    verify: np.ndarray  # (n, constraints) bool: data missing, to be checked (undated condition)
    status: np.ndarray  # (n,) int8
    condition_on: np.ndarray  # (n,) datetime64[D]: the date by which every dated condition is met
    effective_power_mw: np.ndarray  # power counted in stage 2 (a reinforcement in time included)
    delay_days: np.ndarray  # days from today until available (availability, servicing, power)


def _later(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(a.view("i8"), b.view("i8")).view("datetime64[D]")


def stage1(
    c: Candidates, req: Requirements, today: np.datetime64, t: cr.Thresholds = cr.DEFAULT_THRESHOLDS
) -> Stage1:
    """Hard constraints. A constraint met on a known date before the need is a condition, not a failure."""
    n = len(c)
    fail = np.zeros((n, len(CONSTRAINTS)), dtype=bool)
    verify = np.zeros_like(fail)
    cond_on = np.full(fail.shape, NAT)
    needed = np.datetime64(req.needed_by, "D") if req.needed_by else NAT
    has_need_date = not np.isnat(needed)

    def in_time(day: np.ndarray) -> np.ndarray:
        return day <= needed if has_need_date else ~np.isnat(day)

    fail[:, C["commercialisation"]] = c.unavailable != ""
    verify[:, C["friche"]] = c.friche_issue != ""
    if req.excluded_epcis:
        fail[:, C["territoire"]] = np.isin(c.epci, list(req.excluded_epcis))

    fail[:, C["surface"]] = ~(c.surface_ha >= req.surface_min_ha)

    horizon_day = needed if has_need_date else today + np.timedelta64(t.availability_horizon_days, "D")
    reinforcement_counts = (c.power_reinforced_on <= horizon_day) & ~np.isnan(c.power_reinforced_mw)
    effective_power = np.fmax(c.power_mw, np.where(reinforcement_counts, c.power_reinforced_mw, np.nan))
    power_delay = np.zeros(n)
    if req.power_mw > 0:
        reinforced = c.power_reinforced_mw >= req.power_mw
        met_now = (c.power_mw >= req.power_mw) | (reinforced & (c.power_reinforced_on <= today))
        conditional = ~met_now & reinforced & (c.power_reinforced_on > today) & in_time(c.power_reinforced_on)
        unknown = np.isnan(c.power_mw) & ~met_now & ~conditional
        fail[:, C["puissance"]] = ~met_now & ~conditional & ~unknown
        verify[:, C["puissance"]] = unknown
        cond_on[:, C["puissance"]] = np.where(conditional, c.power_reinforced_on, NAT)
        power_delay = np.where(conditional, (c.power_reinforced_on - today).astype(np.float64), 0.0)

    if req.water_m3h > 0:
        unknown = np.isnan(c.water_m3h)
        fail[:, C["eau"]] = ~unknown & (c.water_m3h < req.water_m3h)
        verify[:, C["eau"]] = unknown
    if req.gas_required:
        unknown = np.isnan(c.gas)
        fail[:, C["gaz"]] = ~unknown & (c.gas < 1)
        verify[:, C["gaz"]] = unknown
    if req.wastewater_m3d > 0:
        unknown = np.isnan(c.wastewater_m3d)
        fail[:, C["eaux_usees"]] = ~unknown & (c.wastewater_m3d < req.wastewater_m3d)
        verify[:, C["eaux_usees"]] = unknown
    if req.rail_required:
        fail[:, C["fer"]] = ~c.rail
    if req.waterway_required:
        fail[:, C["voie_eau"]] = ~c.waterway
    for name, km, limit in (
        ("autoroute", c.motorway_km, req.max_motorway_km),
        ("gare", c.station_km, req.max_station_km),
        ("aeroport", c.airport_km, req.max_airport_km),
    ):
        if limit is not None:
            unknown = np.isnan(km)
            fail[:, C[name]] = ~unknown & (km > limit)
            verify[:, C[name]] = unknown
    if req.icpe_regime > 0:
        fail[:, C["icpe"]] = (c.icpe_max >= 0) & (c.icpe_max < req.icpe_regime)
        verify[:, C["icpe"]] = c.icpe_max < 0
    if req.seveso > 0:
        fail[:, C["seveso"]] = (c.seveso_max >= 0) & (c.seveso_max < req.seveso)
        verify[:, C["seveso"]] = c.seveso_max < 0

    delays = [power_delay]
    for name, day in (("disponibilite", c.available_on), ("viabilisation", c.viabilised_on)):
        future = day > today
        late = future & (day > needed) if has_need_date else np.zeros(n, dtype=bool)
        fail[:, C[name]] = late
        cond_on[:, C[name]] = np.where(future & ~late, day, NAT)
        delays.append(np.where(future, (day - today).astype(np.float64), 0.0))

    excluded = fail.any(axis=1)
    dated = ~np.isnat(cond_on)
    conditional = ~excluded & (dated.any(axis=1) | verify.any(axis=1))
    status = np.where(excluded, EXCLUDED, np.where(conditional, CONDITIONAL, ELIGIBLE)).astype(np.int8)
    condition_on = cond_on.view("i8").max(axis=1).view("datetime64[D]") if n else np.empty(0, "datetime64[D]")
    return Stage1(
        fail=fail,
        cond_on=cond_on,
        verify=verify,
        status=status,
        condition_on=condition_on,
        effective_power_mw=effective_power,
        delay_days=np.maximum.reduce(delays),
    )


def _concat_stage1(a: Stage1, b: Stage1) -> Stage1:
    return Stage1(**{f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in Stage1.__dataclass_fields__})


def value_matrix(
    c: Candidates, req: Requirements, s1: Stage1, today: np.datetime64, t: cr.Thresholds
) -> np.ndarray:
    """Stage 2: one column per criterion (CRITERIA order), each value in [0, 1]."""
    if req.needed_by and np.datetime64(req.needed_by, "D") > today:
        horizon = float((np.datetime64(req.needed_by, "D") - today).astype(np.int64))
    else:
        horizon = float(t.availability_horizon_days)
    eco = c.ecosystem.get(req.naf_division)
    columns = {
        "surface": cr.surface_value(
            c.surface_ha, req.surface_min_ha, req.ideal_ha, req.extension_margin_ha, t
        ),
        "prix": cr.price_value(c.price_eur_m2, t),
        "autoroute": cr.motorway_value(c.motorway_km, t),
        "fer": c.rail.astype(np.float64),
        "puissance": cr.capacity_value(s1.effective_power_mw, req.power_mw, t),
        "eau": cr.capacity_value(c.water_m3h, req.water_m3h, t),
        "maturite": cr.maturity_value(c.readiness, c.permit_months, t),
        "disponibilite": cr.availability_value(s1.delay_days, horizon),
        "emploi": cr.labour_value(c.labour_pool, c.recruitment_difficulty, t),
        "ecosysteme": cr.ecosystem_value(eco if eco is not None else np.zeros(len(c)), t),
        # Bonus and penalties: a friche earns the bonus, unless a project on it or a proven pollution turns it
        # into a penalty; agricultural land is a penalty (negative contribution), other land counts nothing.
        "friche": np.where(c.friche_issue != "", -1.0, c.is_friche.astype(np.float64)),
        "foncier_agricole": -c.is_farmland.astype(np.float64),
    }
    return np.column_stack([np.broadcast_to(columns[k], len(c)) for k in cr.CRITERIA]).astype(np.float64)


# --- combinations -------------------------------------------------------------------------------------------


def combination_groups(
    c: Candidates, usable: np.ndarray, min_ha: float, ideal_ha: float
) -> list[tuple[int, ...]]:
    """Groups of positions of adjacent usable terrains of one site whose union reaches `min_ha`, in sites where
    no single usable terrain does. One group per connected piece: grown greedily from each terrain by adding
    the largest neighbour, keeping the union closest to the ideal surface (then the fewest terrains)."""
    if not len(c.adjacency):
        return []
    idx = np.flatnonzero(usable & (c.kind == KIND_TERRAIN) & (c.site_id >= 0) & np.isfinite(c.surface_ha))
    if not len(idx):
        return []
    sites, inverse = np.unique(c.site_id[idx], return_inverse=True)
    largest = np.full(len(sites), -np.inf)
    np.maximum.at(largest, inverse, c.surface_ha[idx])
    total = np.bincount(inverse, weights=c.surface_ha[idx], minlength=len(sites))
    keep = idx[((largest < min_ha) & (total >= min_ha))[inverse]]
    if not len(keep):
        return []
    order = np.argsort(c.id[keep], kind="stable")
    sorted_ids = c.id[keep][order]
    a, b = c.adjacency[:, 0], c.adjacency[:, 1]
    pa = np.minimum(np.searchsorted(sorted_ids, a), len(sorted_ids) - 1)
    pb = np.minimum(np.searchsorted(sorted_ids, b), len(sorted_ids) - 1)
    found = (sorted_ids[pa] == a) & (sorted_ids[pb] == b)
    ia, ib = keep[order[pa[found]]], keep[order[pb[found]]]
    same_site = c.site_id[ia] == c.site_id[ib]
    neighbours: dict[int, set[int]] = {}
    for x, y in zip(ia[same_site].tolist(), ib[same_site].tolist(), strict=True):
        if x != y:
            neighbours.setdefault(x, set()).add(y)
            neighbours.setdefault(y, set()).add(x)
    nodes = np.fromiter(neighbours, dtype=np.int64, count=len(neighbours))
    surface = dict(
        zip(nodes.tolist(), c.surface_ha[nodes].tolist(), strict=True)
    )  # Python floats: fast loops
    groups, seen = [], set()
    for start in sorted(neighbours):
        if start in seen:
            continue
        component, stack = {start}, [start]
        while stack:
            for nxt in neighbours[stack.pop()]:
                if nxt not in component:
                    component.add(nxt)
                    stack.append(nxt)
        seen |= component
        best = None
        for first in sorted(component):
            chosen, union = {first}, surface[first]
            while union < min_ha and len(chosen) < MAX_COMBINATION_MEMBERS:
                frontier = {m for x in chosen for m in neighbours[x]} - chosen
                if not frontier:
                    break
                nxt = max(frontier, key=lambda m: (surface[m], -m))
                chosen.add(nxt)
                union += surface[nxt]
            if union >= min_ha:
                rank = (abs(union - ideal_ha), len(chosen), tuple(sorted(chosen)))
                if best is None or rank < best:
                    best = rank
        if best is not None:
            groups.append(best[2])
    return groups


def combine(c: Candidates, groups: list[tuple[int, ...]]) -> Candidates:
    """One candidate per group: summed surface, the most favourable connection (power, water, rail) of the
    union, the most constraining rules and dates (latest availability, lowest ICPE/Seveso admitted, longest
    permit), surface-weighted price and readiness. Vectorised with `ufunc.reduceat` over the members."""
    lengths = np.array([len(g) for g in groups])
    members = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    first = members[starts]
    s = c.surface_ha[members]

    def fmax(values):
        return np.fmax.reduceat(values[members], starts)

    def latest(days):
        return np.maximum.reduceat(days[members].view("i8"), starts).view("datetime64[D]")

    def weighted(values):
        v = values[members]
        known = ~np.isnan(v)
        weight = np.add.reduceat(np.where(known, s, 0.0), starts)
        total = np.add.reduceat(np.where(known, v * s, 0.0), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)

    # The reinforcement of the member promising the most power, with its date.
    reinforced = np.nan_to_num(c.power_reinforced_mw[members], nan=-1.0)
    best = np.maximum.reduceat(reinforced, starts)
    group_of = np.repeat(np.arange(len(groups)), lengths)
    position = np.where(reinforced == best[group_of], np.arange(len(members)), len(members))
    chosen = members[np.minimum.reduceat(position, starts)]
    columns = {
        "id": np.minimum.reduceat(c.id[members], starts),
        "kind": np.full(len(groups), KIND_COMBINATION),
        "name": ["Combinaison : " + " + ".join(str(c.name[i]) for i in g) for g in groups],
        "epci": c.epci[first],
        "site_id": c.site_id[first],
        "surface_ha": np.add.reduceat(s, starts),
        "available_on": latest(c.available_on),
        "viabilised_on": latest(c.viabilised_on),
        "power_mw": fmax(c.power_mw),
        "power_reinforced_mw": c.power_reinforced_mw[chosen],
        "power_reinforced_on": c.power_reinforced_on[chosen],
        "water_m3h": fmax(c.water_m3h),
        "gas": fmax(c.gas),
        "wastewater_m3d": fmax(c.wastewater_m3d),
        "rail": np.maximum.reduceat(c.rail[members].astype(np.int8), starts).astype(bool),
        "waterway": np.maximum.reduceat(c.waterway[members].astype(np.int8), starts).astype(bool),
        "motorway_km": np.fmin.reduceat(c.motorway_km[members], starts),
        "station_km": np.fmin.reduceat(c.station_km[members], starts),
        "airport_km": np.fmin.reduceat(c.airport_km[members], starts),
        "icpe_max": np.minimum.reduceat(c.icpe_max[members], starts),
        "seveso_max": np.minimum.reduceat(c.seveso_max[members], starts),
        "price_eur_m2": weighted(c.price_eur_m2),
        "readiness": weighted(c.readiness),
        "permit_months": fmax(c.permit_months),
        "is_friche": np.minimum.reduceat(c.is_friche[members].astype(np.int8), starts).astype(bool),
        "is_farmland": np.maximum.reduceat(c.is_farmland[members].astype(np.int8), starts).astype(bool),
        "zone_emploi": c.zone_emploi[first],
        "labour_pool": c.labour_pool[first],
        "recruitment_difficulty": c.recruitment_difficulty[first],
        "unavailable": ["; ".join(sorted({str(c.unavailable[i]) for i in g} - {""})) for g in groups],
        "friche_issue": ["; ".join(sorted({str(c.friche_issue[i]) for i in g} - {""})) for g in groups],
    }
    eco = {k: np.add.reduceat(v[members], starts) / lengths for k, v in c.ecosystem.items()}
    return Candidates.from_columns(
        columns, ecosystem=eco, members=[tuple(int(c.id[i]) for i in g) for g in groups]
    )


# --- the whole match ------------------------------------------------------------------------------------------


@dataclass
class Ranking:
    """Everything one match computed; `results()` turns the best rows into explained dictionaries."""

    candidates: Candidates
    requirements: Requirements
    stage1: Stage1
    values: np.ndarray  # (n, criteria)
    weights: np.ndarray  # normalised, sum 1
    contributions: np.ndarray  # (n, criteria) = values × weights
    score: np.ndarray  # (n,) = contributions summed
    stability: dict

    @property
    def status(self) -> np.ndarray:
        return self.stage1.status

    def order(self, include_excluded: bool = False, limit: int | None = None) -> np.ndarray:
        """Positions, best first: eligible and conditional by score, then (if asked) excluded by score.
        Ties break on the input order, so the answer is deterministic."""
        parts = [np.flatnonzero(self.status != EXCLUDED)]
        if include_excluded:
            parts.append(np.flatnonzero(self.status == EXCLUDED))
        out, remaining = [], limit
        for part in parts:
            if remaining is not None and remaining <= 0:
                break
            out.append(_best(part, self.score[part], remaining))
            if remaining is not None:
                remaining -= len(out[-1])
        return np.concatenate(out) if out else np.empty(0, dtype=np.int64)

    def count(self, include_excluded: bool = False) -> int:
        return int(len(self.status) if include_excluded else (self.status != EXCLUDED).sum())

    def exclusions(self) -> dict[str, int]:
        """How many candidates each hard constraint excludes (a candidate may fail several), constraints that
        exclude none left out: what a user reads when no site is left."""
        failed = self.stage1.fail.sum(axis=0) if len(self.status) else np.zeros(len(CONSTRAINTS), dtype=int)
        return {name: int(n) for name, n in zip(CONSTRAINTS, failed, strict=True) if n}

    def results(self, limit: int | None = 20, include_excluded: bool = False) -> list[dict]:
        return [self.explain(int(i)) for i in self.order(include_excluded, limit)]

    def explain(self, i: int) -> dict:
        c, s1 = self.candidates, self.stage1
        kind = int(c.kind[i])
        return {
            "id": c.key(i),
            "kind": KIND_NAMES[kind],
            "object_id": None if kind == KIND_COMBINATION else int(c.id[i]),
            "members": list(c.members[i]) if kind == KIND_COMBINATION else [],
            "name": str(c.name[i]),
            "epci": str(c.epci[i]),
            "surface_ha": None if np.isnan(c.surface_ha[i]) else float(c.surface_ha[i]),
            "status": STATUS_NAMES[int(s1.status[i])],
            "score": float(self.score[i]),
            "available_on": iso(s1.condition_on[i]) if s1.status[i] == CONDITIONAL else None,
            "conditions": conditions_of(c, self.requirements, s1, i),
            "reasons": reasons_of(c, self.requirements, s1, i),
            "contributions": {k: float(v) for k, v in zip(cr.CRITERIA, self.contributions[i], strict=True)},
        }


def _best(positions: np.ndarray, scores: np.ndarray, limit: int | None) -> np.ndarray:
    """`positions` (scores aligned with them) best first, ties broken by position; the first `limit` only."""
    key = np.round(scores, 9)
    if limit is not None and len(positions) > limit:
        cut = np.partition(-key, limit - 1)[limit - 1]
        keep = -key <= cut  # every tie of the last place, so the final sort is exact
        positions, key = positions[keep], key[keep]
    ordered = positions[np.lexsort((positions, -key))]
    return ordered if limit is None else ordered[:limit]


def match(
    candidates: Candidates,
    requirements: Requirements,
    *,
    today: date,
    thresholds: cr.Thresholds = cr.DEFAULT_THRESHOLDS,
    stability_draws: int = STABILITY_DRAWS,
    seed: int = 0,
) -> Ranking:
    """Rank `candidates` for `requirements` as of `today`. See docs/matching.md for every rule."""
    today = np.datetime64(today, "D")
    weights = cr.resolve_weights(requirements.weights)
    c = candidates
    if requirements.epcis:
        c = c.take(np.flatnonzero(np.isin(c.epci, list(requirements.epcis))))
    s1 = stage1(c, requirements, today, thresholds)
    others = [C[name] for name in CONSTRAINTS if name != "surface"]
    usable = ~s1.fail[:, others].any(axis=1)
    groups = combination_groups(c, usable, requirements.surface_min_ha, requirements.ideal_ha)
    if groups:
        combos = combine(c, groups)
        c = c.concat(combos)
        s1 = _concat_stage1(s1, stage1(combos, requirements, today, thresholds))
    values = value_matrix(c, requirements, s1, today, thresholds)
    normalised = weights / weights.sum()
    contributions = values * normalised
    score = contributions.sum(axis=1)
    stability = stability_of(values, score, s1.status, normalised, draws=stability_draws, seed=seed, keys=c)
    return Ranking(c, requirements, s1, values, normalised, contributions, score, stability)


def stability_of(
    values, score, status, weights, *, draws: int, seed: int, keys: Candidates, top: int = 5
) -> dict:
    """Perturb every weight by a uniform factor in [0.8, 1.2] `draws` times (fixed seed) and count how often
    the top five (as a set, in order, and the first place) changes."""
    ranked = np.flatnonzero(status != EXCLUDED)
    report = {"draws": draws, "perturbation": STABILITY_PERTURBATION, "seed": seed, "top": []}
    if not len(ranked) or draws <= 0:
        return report | {"top5_changed": 0.0, "top5_order_changed": 0.0, "first_changed": 0.0}
    baseline = _best(ranked, score[ranked], top)
    # Before normalisation (the same divisor for every row of a draw), a row's perturbed score lies between
    # `low` (positive parts × 0.8, penalties × 1.2) and `high` (the reverse): a row whose `high` is under the
    # lowest `low` of the baseline five can never enter the top five, and is dropped.
    signed = values * weights
    up, down = 1 + STABILITY_PERTURBATION, 1 - STABILITY_PERTURBATION
    high = np.where(signed > 0, signed * up, signed * down).sum(axis=1)
    low = np.where(signed > 0, signed * down, signed * up).sum(axis=1)
    floor = low[baseline].min()
    pool = ranked[high[ranked] >= floor - 1e-12]
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - STABILITY_PERTURBATION, 1 + STABILITY_PERTURBATION, size=(draws, len(weights)))
    perturbed = weights * factors
    perturbed /= perturbed.sum(axis=1, keepdims=True)
    scores = np.round(values[pool] @ perturbed.T, 9)  # (pool, draws), rounded as in `_best`
    k = min(top, len(pool))
    # The k-th best score of each draw; rows at or above it are the draw's top (ties included), sorted exactly.
    kth = -np.partition(-scores, k - 1, axis=0)[k - 1]
    in_top = scores >= kth
    set_changed = order_changed = first_changed = 0
    base_list = baseline.tolist()
    for d in range(draws):
        rows = np.flatnonzero(in_top[:, d])
        got = pool[rows][np.lexsort((pool[rows], -scores[rows, d]))][:top].tolist()
        set_changed += set(got) != set(base_list)
        order_changed += got != base_list
        first_changed += got[0] != base_list[0]
    return report | {
        "top": [keys.key(int(i)) for i in baseline],
        "top5_changed": set_changed / draws,
        "top5_order_changed": order_changed / draws,
        "first_changed": first_changed / draws,
    }


# --- explanations ---------------------------------------------------------------------------------------------


def reasons_of(c: Candidates, req: Requirements, s1: Stage1, i: int) -> list[str]:
    """Why row `i` is excluded, one French sentence per failed constraint."""
    out = []
    failed = s1.fail[i]
    needed = fr_date(np.datetime64(req.needed_by, "D")) if req.needed_by else "?"
    if failed[C["commercialisation"]]:
        out.append(str(c.unavailable[i]))
    if failed[C["territoire"]]:
        out.append(f"territoire exclu par le porteur de projet (EPCI {c.epci[i]})")
    if failed[C["surface"]]:
        s = c.surface_ha[i]
        if np.isnan(s):
            out.append("surface disponible non renseignée")
        else:
            out.append(f"surface disponible {fr_num(s)} ha < {fr_num(req.surface_min_ha)} ha demandés")
    if failed[C["puissance"]]:
        text = (
            f"puissance électrique disponible {fr_num(c.power_mw[i])} MW < {fr_num(req.power_mw)} MW demandés"
        )
        r, on = c.power_reinforced_mw[i], c.power_reinforced_on[i]
        if r >= req.power_mw and not np.isnat(on):
            text += f" (renforcement à {fr_num(r)} MW prévu le {fr_date(on)}, après la date de besoin du {needed})"
        out.append(text)
    if failed[C["eau"]]:
        out.append(
            f"débit d'eau disponible {fr_num(c.water_m3h[i])} m³/h < {fr_num(req.water_m3h)} m³/h demandés"
        )
    if failed[C["gaz"]]:
        out.append("pas de raccordement au gaz naturel, demandé par le projet")
    if failed[C["eaux_usees"]]:
        out.append(
            f"capacité de traitement des eaux usées {fr_num(c.wastewater_m3d[i])} m³/j < "
            f"{fr_num(req.wastewater_m3d)} m³/j demandés"
        )
    if failed[C["fer"]]:
        out.append("pas d'embranchement ferré, demandé par le projet")
    if failed[C["voie_eau"]]:
        out.append("pas d'accès à la voie d'eau, demandé par le projet")
    if failed[C["autoroute"]]:
        out.append(
            f"échangeur autoroutier à {fr_num(c.motorway_km[i])} km > {fr_num(req.max_motorway_km)} km au plus"
        )
    if failed[C["gare"]]:
        out.append(
            f"gare de voyageurs à {fr_num(c.station_km[i])} km > {fr_num(req.max_station_km)} km au plus"
        )
    if failed[C["aeroport"]]:
        out.append(f"aéroport à {fr_num(c.airport_km[i])} km > {fr_num(req.max_airport_km)} km au plus")
    if failed[C["icpe"]]:
        out.append(
            f"régime ICPE « {ICPE_LEVELS[req.icpe_regime]} » non admis "
            f"(au plus : {ICPE_LEVELS[int(c.icpe_max[i])]})"
        )
    if failed[C["seveso"]]:
        out.append(f"{SEVESO_LEVELS[req.seveso]} non admis (au plus : {SEVESO_LEVELS[int(c.seveso_max[i])]})")
    if failed[C["disponibilite"]]:
        out.append(f"disponible le {fr_date(c.available_on[i])}, après la date de besoin du {needed}")
    if failed[C["viabilisation"]]:
        out.append(
            f"viabilisation achevée le {fr_date(c.viabilised_on[i])}, après la date de besoin du {needed}"
        )
    return out


def conditions_of(c: Candidates, req: Requirements, s1: Stage1, i: int) -> list[dict]:
    """What must happen (dated) or be checked (undated) for row `i` to meet every constraint."""
    out = []
    on = s1.cond_on[i]
    verify = s1.verify[i]

    def add(name: str, text: str, day=NAT):
        out.append({"criterion": name, "date": iso(day), "text": text})

    if not np.isnat(on[C["puissance"]]):
        add(
            "puissance",
            f"renforcement électrique à {fr_num(c.power_reinforced_mw[i])} MW prévu le "
            f"{fr_date(on[C['puissance']])} (aujourd'hui {fr_num(c.power_mw[i])} MW < "
            f"{fr_num(req.power_mw)} MW demandés)",
            on[C["puissance"]],
        )
    if not np.isnat(on[C["disponibilite"]]):
        add(
            "disponibilite",
            f"disponible à partir du {fr_date(on[C['disponibilite']])}",
            on[C["disponibilite"]],
        )
    if not np.isnat(on[C["viabilisation"]]):
        add(
            "viabilisation",
            f"fin de viabilisation prévue le {fr_date(on[C['viabilisation']])}",
            on[C["viabilisation"]],
        )
    checks = {
        "puissance": "puissance électrique disponible non renseignée : à vérifier",
        "eau": "débit d'eau disponible non renseigné : à vérifier",
        "gaz": "raccordement au gaz naturel non renseigné : à vérifier",
        "eaux_usees": "capacité de traitement des eaux usées non renseignée : à vérifier",
        "autoroute": "distance à l'échangeur autoroutier non renseignée : à vérifier",
        "gare": "distance à la gare de voyageurs non renseignée : à vérifier",
        "aeroport": "distance à l'aéroport non renseignée : à vérifier",
        "icpe": "régime ICPE admis par la zone non renseigné : à vérifier",
        "seveso": "statut Seveso admis par la zone non renseigné : à vérifier",
    }
    for name, text in checks.items():
        if verify[C[name]]:
            add(name, text)
    if verify[C["friche"]]:
        add("friche", str(c.friche_issue[i]))
    return out


# --- compliance matrix --------------------------------------------------------------------------------------

MET, CONDITIONAL_MET, TO_CHECK, NOT_MET, NOT_REQUIRED = "met", "conditional", "to_check", "not_met", "none"


def required_constraints(req: Requirements) -> list[str]:
    """The constraints a prospect actually sets, in CONSTRAINTS order (availability always counts)."""
    asked = {
        "commercialisation": True,
        "friche": False,  # a condition of the site, not a requirement of the project
        "territoire": bool(req.excluded_epcis),
        "surface": True,
        "puissance": req.power_mw > 0,
        "eau": req.water_m3h > 0,
        "fer": req.rail_required,
        "voie_eau": req.waterway_required,
        "autoroute": req.max_motorway_km is not None,
        "gare": req.max_station_km is not None,
        "aeroport": req.max_airport_km is not None,
        "icpe": req.icpe_regime > 0,
        "seveso": req.seveso > 0,
        "disponibilite": True,
        "viabilisation": True,
        "gaz": req.gas_required,
        "eaux_usees": req.wastewater_m3d > 0,
    }
    return [name for name in CONSTRAINTS if asked[name]]


def compliance(c: Candidates, req: Requirements, *, today: date) -> list[dict[str, tuple[str, str | None]]]:
    """Per candidate, per required constraint: met / conditional (with its date) / to check / not met."""
    s1 = stage1(c, req, np.datetime64(today, "D"))
    rows = []
    for i in range(len(c)):
        row = {}
        for name in required_constraints(req):
            j = C[name]
            if s1.fail[i, j]:
                row[name] = (NOT_MET, None)
            elif not np.isnat(s1.cond_on[i, j]):
                row[name] = (CONDITIONAL_MET, iso(s1.cond_on[i, j]))
            elif s1.verify[i, j]:
                row[name] = (TO_CHECK, None)
            else:
                row[name] = (MET, None)
        rows.append(row)
    return rows
