"""Stage 2: the value functions (each 0–1), their thresholds and the default weights.

Documented for users in docs/matching.md; change both together. Every function takes numpy arrays and is
written so that the row-wise reference (`tests/prospects/rowwise.py`) can apply the same formula to one row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tandem.prospects.matching.requirements import MatchingInputError

# The order is the order of the columns of the contribution matrix and of the API's `contributions`.
CRITERIA = (
    "surface",
    "prix",
    "autoroute",
    "fer",
    "puissance",
    "eau",
    "maturite",
    "disponibilite",
    "emploi",
    "ecosysteme",
    "friche",
    "foncier_agricole",
)

CRITERIA_LABELS = {
    "surface": "adéquation de la surface",
    "prix": "prix du foncier",
    "autoroute": "distance à l'échangeur autoroutier",
    "fer": "desserte ferroviaire",
    "puissance": "marge de puissance électrique",
    "eau": "marge de débit d'eau",
    "maturite": "maturité (études, délai d'autorisation)",
    "disponibilite": "date de disponibilité",
    "emploi": "bassin d'emploi (projets de recrutement, difficulté)",
    "ecosysteme": "écosystème de la filière",
    "friche": "friche (bonus de réutilisation ; malus si projet ou pollution avérée)",
    "foncier_agricole": "malus foncier agricole (ZAN)",
}

DEFAULT_WEIGHTS = {
    "surface": 0.15,
    "prix": 0.08,
    "autoroute": 0.10,
    "fer": 0.04,
    "puissance": 0.10,
    "eau": 0.05,
    "maturite": 0.12,
    "disponibilite": 0.10,
    "emploi": 0.08,
    "ecosysteme": 0.06,
    "friche": 0.06,
    "foncier_agricole": 0.06,
}


@dataclass(frozen=True)
class Thresholds:
    """Where each value function reaches 0 and 1. Linear in between (« ramp »)."""

    surface_value_at_min: float = 0.5  # a terrain of exactly the minimum surface
    surface_oversize_zero_factor: float = 4.0  # value falls to oversize_floor at 4 × (ideal + margin)
    surface_oversize_floor: float = 0.2
    price_full_eur_m2: float = 15.0  # 1 at or below
    price_zero_eur_m2: float = 80.0  # 0 at or above
    price_unknown: float = 0.5
    motorway_full_km: float = 2.0
    motorway_zero_km: float = 30.0
    capacity_full_ratio: float = 2.0  # power / water: 1 at twice the need, 0.5 at the need
    capacity_no_need_full: float = 10.0  # without a need, 1 at 10 MW or 10 m³/h
    permit_full_months: float = 3.0
    permit_zero_months: float = 18.0
    availability_horizon_days: int = 730  # without a needed-by date
    labour_pool_zero: float = 500.0  # hiring projects a year in the employment area (log scale)
    labour_pool_full: float = 20_000.0
    labour_unknown: float = 0.5
    ecosystem_full_count: float = 50.0  # establishments of the division in the radius (log scale)


DEFAULT_THRESHOLDS = Thresholds()


def ramp(x, zero, full):
    """0 at `zero`, 1 at `full`, linear in between, clipped (works both ways: zero > full decreases)."""
    return np.clip((np.asarray(x, dtype=np.float64) - zero) / (full - zero), 0.0, 1.0)


def surface_value(surface_ha, min_ha, ideal_ha, margin_ha, t: Thresholds = DEFAULT_THRESHOLDS):
    """0 below the minimum; from `surface_value_at_min` at the minimum up to 1 at the ideal; 1 up to
    ideal + margin; then down to the floor at `oversize_zero_factor` × (ideal + margin): land taken for
    nothing counts against ZAN."""
    s = np.nan_to_num(np.asarray(surface_ha, dtype=np.float64), nan=0.0)
    top = ideal_ha + margin_ha
    if ideal_ha > min_ha:
        rising = t.surface_value_at_min + (1 - t.surface_value_at_min) * ramp(s, min_ha, ideal_ha)
    else:
        rising = np.ones_like(s)
    far = t.surface_oversize_zero_factor * top
    falling = 1 - (1 - t.surface_oversize_floor) * ramp(s, top, far)
    return np.where(s < min_ha, 0.0, np.where(s <= top, rising, falling))


def price_value(price, t: Thresholds = DEFAULT_THRESHOLDS):
    p = np.asarray(price, dtype=np.float64)
    return np.where(np.isnan(p), t.price_unknown, ramp(p, t.price_zero_eur_m2, t.price_full_eur_m2))


def motorway_value(km, t: Thresholds = DEFAULT_THRESHOLDS):
    k = np.asarray(km, dtype=np.float64)
    return np.where(np.isnan(k), 0.0, ramp(k, t.motorway_zero_km, t.motorway_full_km))


def capacity_value(available, need, t: Thresholds = DEFAULT_THRESHOLDS):
    """0 at nothing, 0.5 at the need, 1 at `capacity_full_ratio` × need; unknown capacity is worth 0."""
    a = np.asarray(available, dtype=np.float64)
    if need > 0:
        with np.errstate(over="ignore"):  # a tiny need makes any capacity ample: ratio inf, value 1
            ratio = a / need
        value = np.where(
            ratio <= 1, 0.5 * np.clip(ratio, 0, 1), 0.5 + 0.5 * ramp(ratio, 1, t.capacity_full_ratio)
        )
    else:
        value = ramp(a, 0.0, t.capacity_no_need_full)
    return np.where(np.isnan(a), 0.0, value)


def maturity_value(readiness, permit_months, t: Thresholds = DEFAULT_THRESHOLDS):
    """Half studies done (0–1), half permitting delay; unknown counts as nothing done / long delay."""
    r = np.nan_to_num(np.clip(np.asarray(readiness, dtype=np.float64), 0, 1), nan=0.0)
    m = np.asarray(permit_months, dtype=np.float64)
    permit = np.where(np.isnan(m), 0.0, ramp(m, t.permit_zero_months, t.permit_full_months))
    return 0.5 * r + 0.5 * permit


def availability_value(delay_days, horizon_days):
    """1 when available today, 0 when available only on the needed-by date (or after the horizon)."""
    return 1.0 - ramp(delay_days, 0.0, float(max(horizon_days, 1)))


def labour_value(pool, difficulty, t: Thresholds = DEFAULT_THRESHOLDS):
    """Half the size of the labour pool (log scale), half the share of recruitments not judged difficult."""
    p = np.asarray(pool, dtype=np.float64)
    d = np.asarray(difficulty, dtype=np.float64)
    size = ramp(
        np.log(np.maximum(np.nan_to_num(p, nan=1.0), 1.0)),
        np.log(t.labour_pool_zero),
        np.log(t.labour_pool_full),
    )
    size = np.where(np.isnan(p), t.labour_unknown, size)
    ease = np.where(np.isnan(d), t.labour_unknown, 1 - np.clip(d, 0, 1))
    return 0.5 * size + 0.5 * ease


def ecosystem_value(count, t: Thresholds = DEFAULT_THRESHOLDS):
    c = np.nan_to_num(np.asarray(count, dtype=np.float64), nan=0.0)
    return np.clip(np.log1p(np.maximum(c, 0)) / np.log1p(t.ecosystem_full_count), 0.0, 1.0)


def resolve_weights(overrides: dict[str, float] | None) -> np.ndarray:
    """Default weights with a prospect's overrides, in CRITERIA order (not normalised)."""
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in (overrides or {}).items():
        if name not in weights:
            raise MatchingInputError(
                f"Critère de pondération inconnu : « {name} » (critères : {', '.join(CRITERIA)})."
            )
        try:
            value = float(value)
        except (TypeError, ValueError) as exc:
            raise MatchingInputError(f"Poids invalide pour « {name} » : {value!r}.") from exc
        if not np.isfinite(value) or value < 0:
            raise MatchingInputError(f"Le poids de « {name} » doit être un nombre positif ou nul.")
        weights[name] = value
    vector = np.array([weights[c] for c in CRITERIA], dtype=np.float64)
    if vector.sum() <= 0:
        raise MatchingInputError("La somme des poids doit être strictement positive.")
    return vector
