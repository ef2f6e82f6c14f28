"""The straightforward way: the same rules as `engine`, one candidate at a time with pandas `apply`.

Reference for the tests (both must agree on generated data) and the « naive » side of bench/matching.py.
Needs pandas; a test oracle, so it lives in tests/ (bench/matching.py imports it from here).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tandem.prospects.matching import criteria as cr
from tandem.prospects.matching.candidates import COLUMNS, KIND_NAMES, Candidates
from tandem.prospects.matching.engine import combination_groups, combine
from tandem.prospects.matching.requirements import Requirements
from tandem.prospects.matching.text import fr_date, fr_num


def _ramp(x: float, zero: float, full: float) -> float:
    return min(max((x - zero) / (full - zero), 0.0), 1.0)


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _day(x) -> date | None:
    return None if x is None or pd.isna(x) else pd.Timestamp(x).date()


def _surface(s, req: Requirements, t: cr.Thresholds) -> float:
    s = 0.0 if _nan(s) else s
    top = req.ideal_ha + req.extension_margin_ha
    if s < req.surface_min_ha:
        return 0.0
    if s <= top:
        if req.ideal_ha > req.surface_min_ha:
            return t.surface_value_at_min + (1 - t.surface_value_at_min) * _ramp(
                s, req.surface_min_ha, req.ideal_ha
            )
        return 1.0
    return 1 - (1 - t.surface_oversize_floor) * _ramp(s, top, t.surface_oversize_zero_factor * top)


def _capacity(available, need, t: cr.Thresholds) -> float:
    if _nan(available):
        return 0.0
    if need > 0:
        ratio = available / need
        if ratio <= 1:
            return 0.5 * min(max(ratio, 0.0), 1.0)
        return 0.5 + 0.5 * _ramp(ratio, 1, t.capacity_full_ratio)
    return _ramp(available, 0.0, t.capacity_no_need_full)


def evaluate(row: pd.Series, req: Requirements, today: date, t: cr.Thresholds) -> dict:
    """Stage 1 and stage 2 for one candidate."""
    needed = req.needed_by
    horizon_day = needed or today + timedelta(days=t.availability_horizon_days)
    reasons, conditions = [], []
    verify = bool(row.friche_issue)
    if row.unavailable:
        reasons.append(row.unavailable)
    if row.epci in req.excluded_epcis:
        reasons.append(f"territoire exclu par le porteur de projet (EPCI {row.epci})")
    s = row.surface_ha
    if _nan(s) or not s >= req.surface_min_ha:
        reasons.append(
            "surface disponible non renseignée"
            if _nan(s)
            else f"surface disponible {fr_num(s)} ha < {fr_num(req.surface_min_ha)} ha demandés"
        )
    power, reinforced, reinforced_on = row.power_mw, row.power_reinforced_mw, _day(row.power_reinforced_on)
    effective_power = power
    if reinforced_on is not None and reinforced_on <= horizon_day and not _nan(reinforced):
        effective_power = reinforced if _nan(power) else max(power, reinforced)
    delays = [0.0]
    if req.power_mw > 0:
        has_reinforcement = not _nan(reinforced) and reinforced >= req.power_mw and reinforced_on is not None
        met_now = (not _nan(power) and power >= req.power_mw) or (
            has_reinforcement and reinforced_on <= today
        )
        if met_now:
            pass
        elif has_reinforcement and reinforced_on > today and (needed is None or reinforced_on <= needed):
            conditions.append(("puissance", reinforced_on))
            delays.append(float((reinforced_on - today).days))
        elif _nan(power):
            verify = True
        else:
            text = f"puissance électrique disponible {fr_num(power)} MW < {fr_num(req.power_mw)} MW demandés"
            if has_reinforcement:
                text += (
                    f" (renforcement à {fr_num(reinforced)} MW prévu le {fr_date(np.datetime64(reinforced_on))}"
                    f", après la date de besoin du {fr_date(np.datetime64(needed))})"
                )
            reasons.append(text)
    if req.water_m3h > 0:
        if _nan(row.water_m3h):
            verify = True
        elif row.water_m3h < req.water_m3h:
            reasons.append(
                f"débit d'eau disponible {fr_num(row.water_m3h)} m³/h < {fr_num(req.water_m3h)} m³/h demandés"
            )
    if req.gas_required:
        if _nan(row.gas):
            verify = True
        elif row.gas < 1:
            reasons.append("pas de raccordement au gaz naturel, demandé par le projet")
    if req.wastewater_m3d > 0:
        if _nan(row.wastewater_m3d):
            verify = True
        elif row.wastewater_m3d < req.wastewater_m3d:
            reasons.append(
                f"capacité de traitement des eaux usées {fr_num(row.wastewater_m3d)} m³/j < "
                f"{fr_num(req.wastewater_m3d)} m³/j demandés"
            )
    if req.rail_required and not row.rail:
        reasons.append("pas d'embranchement ferré, demandé par le projet")
    if req.waterway_required and not row.waterway:
        reasons.append("pas d'accès à la voie d'eau, demandé par le projet")
    if req.max_motorway_km is not None:
        if _nan(row.motorway_km):
            verify = True
        elif row.motorway_km > req.max_motorway_km:
            reasons.append(
                f"échangeur autoroutier à {fr_num(row.motorway_km)} km > {fr_num(req.max_motorway_km)} km au plus"
            )
    if req.max_station_km is not None:
        if _nan(row.station_km):
            verify = True
        elif row.station_km > req.max_station_km:
            reasons.append(
                f"gare de voyageurs à {fr_num(row.station_km)} km > {fr_num(req.max_station_km)} km au plus"
            )
    if req.max_airport_km is not None:
        if _nan(row.airport_km):
            verify = True
        elif row.airport_km > req.max_airport_km:
            reasons.append(f"aéroport à {fr_num(row.airport_km)} km > {fr_num(req.max_airport_km)} km au plus")
    for need, level, label in (
        (req.icpe_regime, row.icpe_max, "icpe"),
        (req.seveso, row.seveso_max, "seveso"),
    ):
        if need > 0:
            if level < 0:
                verify = True
            elif level < need:
                reasons.append(f"{label} : niveau {level} < {need}")
    for name, value, word in (
        ("disponibilite", row.available_on, "disponible le"),
        ("viabilisation", row.viabilised_on, "viabilisation achevée le"),
    ):
        day = _day(value)
        if day is not None and day > today:
            if needed is not None and day > needed:
                reasons.append(f"{word} {fr_date(np.datetime64(day))}, après la date de besoin")
            else:
                conditions.append((name, day))
            delays.append(float((day - today).days))
    if reasons:
        status = "excluded"
    elif conditions or verify:
        status = "conditional"
    else:
        status = "eligible"

    if needed is not None and needed > today:
        horizon = float((needed - today).days)
    else:
        horizon = float(t.availability_horizon_days)
    readiness = 0.0 if _nan(row.readiness) else min(max(row.readiness, 0.0), 1.0)
    permit = (
        0.0
        if _nan(row.permit_months)
        else _ramp(row.permit_months, t.permit_zero_months, t.permit_full_months)
    )
    pool, difficulty = row.labour_pool, row.recruitment_difficulty
    size = (
        t.labour_unknown
        if _nan(pool)
        else _ramp(math.log(max(pool, 1.0)), math.log(t.labour_pool_zero), math.log(t.labour_pool_full))
    )
    ease = t.labour_unknown if _nan(difficulty) else 1 - min(max(difficulty, 0.0), 1.0)
    eco = row.get("ecosystem")
    eco = 0.0 if _nan(eco) else eco
    values = {
        "surface": _surface(s, req, t),
        "prix": t.price_unknown
        if _nan(row.price_eur_m2)
        else _ramp(row.price_eur_m2, t.price_zero_eur_m2, t.price_full_eur_m2),
        "autoroute": 0.0
        if _nan(row.motorway_km)
        else _ramp(row.motorway_km, t.motorway_zero_km, t.motorway_full_km),
        "fer": 1.0 if row.rail else 0.0,
        "puissance": _capacity(effective_power, req.power_mw, t),
        "eau": _capacity(row.water_m3h, req.water_m3h, t),
        "maturite": 0.5 * readiness + 0.5 * permit,
        "disponibilite": 1.0 - _ramp(max(delays), 0.0, max(horizon, 1.0)),
        "emploi": 0.5 * size + 0.5 * ease,
        "ecosysteme": min(max(math.log1p(max(eco, 0.0)) / math.log1p(t.ecosystem_full_count), 0.0), 1.0),
        "friche": -1.0 if row.friche_issue else (1.0 if row.is_friche else 0.0),
        "foncier_agricole": -1.0 if row.is_farmland else 0.0,
    }
    weights = cr.resolve_weights(req.weights)
    total = float(weights.sum())
    contributions = {k: values[k] * (float(w) / total) for k, w in zip(cr.CRITERIA, weights, strict=True)}
    return {
        "status": status,
        "score": sum(contributions.values()),
        "reasons": reasons,
        "conditions": conditions,
        "condition_on": max((d for _, d in conditions), default=None),
        "contributions": contributions,
    }


def frame_of(c: Candidates, naf_division: str = "") -> pd.DataFrame:
    df = pd.DataFrame({name: getattr(c, name) for name in COLUMNS})
    df["ecosystem"] = c.ecosystem.get(naf_division, np.zeros(len(c)))
    df["members"] = c.members if c.members is not None else None
    return df


def match_rowwise(
    candidates: Candidates,
    requirements: Requirements,
    *,
    today: date,
    thresholds: cr.Thresholds = cr.DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """Every candidate evaluated, best first (eligible and conditional, then excluded), one row each."""
    req, t = requirements, thresholds
    c = candidates
    if req.epcis:
        c = c.take(np.flatnonzero(np.isin(c.epci, list(req.epcis))))
    df = frame_of(c, req.naf_division)
    evaluated = pd.DataFrame(list(df.apply(evaluate, axis=1, args=(req, today, t))), index=df.index)
    # Combinations: terrains failing nothing but the surface, adjacent, in sites with no terrain large enough.
    usable = (
        evaluated["reasons"].map(lambda rs: all(r.startswith("surface disponible") for r in rs)).to_numpy()
    )
    groups = combination_groups(c, usable, req.surface_min_ha, req.ideal_ha)
    if groups:
        c = c.concat(combine(c, groups))
        extra = frame_of(c, req.naf_division).iloc[len(df) :]
        more = pd.DataFrame(list(extra.apply(evaluate, axis=1, args=(req, today, t))), index=extra.index)
        df = pd.concat([df, extra])
        evaluated = pd.concat([evaluated, more])
    out = pd.concat([df[["id", "kind", "name", "epci"]], evaluated], axis=1)
    out["key"] = [c.key(i) for i in range(len(c))]
    out["kind"] = out["kind"].map(lambda k: KIND_NAMES[k])
    out["position"] = np.arange(len(out))
    out["excluded"] = out["status"] == "excluded"
    out["rounded"] = out["score"].round(9)
    return out.sort_values(["excluded", "rounded", "position"], ascending=[True, False, True]).reset_index(
        drop=True
    )
