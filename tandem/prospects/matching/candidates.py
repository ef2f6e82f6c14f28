"""Candidates as columns: one numpy array per attribute, one row per terrain, site, friche or combination.

The adapter (`tandem.prospects.adapters`) fills these from the land models the caller may see; tests and the
benchmark build them directly. Unknown numbers are NaN, unknown or past dates NaT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np

KIND_TERRAIN, KIND_SITE, KIND_FRICHE, KIND_COMBINATION = 0, 1, 2, 3
KIND_NAMES = ("terrain", "site", "friche", "combinaison")

# Classified-installation regimes and Seveso status, ordered so that « admits at most » is a comparison.
ICPE_LEVELS = ("aucun", "déclaration", "enregistrement", "autorisation")
SEVESO_LEVELS = ("non Seveso", "Seveso seuil bas", "Seveso seuil haut")
UNKNOWN_LEVEL = -1

NAT = np.datetime64("NaT", "D")

# name -> (dtype, fill value for a missing attribute)
COLUMNS: dict[str, tuple[object, object]] = {
    "id": (np.int64, 0),
    "kind": (np.int8, KIND_TERRAIN),
    "name": (object, ""),
    "epci": (object, ""),
    "site_id": (np.int64, -1),
    "surface_ha": (np.float64, np.nan),
    "available_on": ("datetime64[D]", NAT),
    "viabilised_on": ("datetime64[D]", NAT),
    "power_mw": (np.float64, np.nan),
    "power_reinforced_mw": (np.float64, np.nan),
    "power_reinforced_on": ("datetime64[D]", NAT),
    "water_m3h": (np.float64, np.nan),
    "gas": (np.float64, np.nan),
    "wastewater_m3d": (np.float64, np.nan),
    "rail": (np.bool_, False),
    "waterway": (np.bool_, False),
    "motorway_km": (np.float64, np.nan),
    "station_km": (np.float64, np.nan),
    "airport_km": (np.float64, np.nan),
    "icpe_max": (np.int8, UNKNOWN_LEVEL),
    "seveso_max": (np.int8, UNKNOWN_LEVEL),
    "price_eur_m2": (np.float64, np.nan),
    "readiness": (np.float64, np.nan),
    "permit_months": (np.float64, np.nan),
    "is_friche": (np.bool_, False),
    "is_farmland": (np.bool_, False),
    "zone_emploi": (object, ""),
    "labour_pool": (np.float64, np.nan),
    "recruitment_difficulty": (np.float64, np.nan),
    "unavailable": (object, ""),
    "friche_issue": (object, ""),
}


@dataclass
class Candidates:
    """Columnar candidates. Every array has one row per candidate; see COLUMNS for dtypes.

    - `available_on`: date the land can be sold or leased (NaT: now); `viabilised_on`: end of servicing works
      (NaT: done). `power_reinforced_mw` / `_on`: a planned grid reinforcement, if any.
    - `icpe_max` / `seveso_max`: the most demanding regime the zone's rules admit (index in ICPE_LEVELS /
      SEVESO_LEVELS, -1 unknown). `readiness`: share of studies done (0–1). `permit_months`: expected
      permitting delay.
    - `labour_pool`: hiring projects in the employment area (BMO); `recruitment_difficulty`: share judged
      difficult (0–1). `ecosystem`: NAF division (2 digits) -> establishments of that division within the
      radius, one count per candidate (empty when the company registry is not loaded).
    - `unavailable`: why the land cannot be offered at all (sold, reserved, occupied, not buildable…), as the
      inventory's availability rule says; empty when it can. `friche_issue`: what a friche carries that a
      buyer must deal with first (a project on it, proven soil pollution); empty when nothing is known.
    - `adjacency`: pairs of terrain ids whose parcels touch (same site), shape (m, 2).
    - `members`: for combinations only, the tuple of terrain ids they join.
    """

    id: np.ndarray
    kind: np.ndarray
    name: np.ndarray
    epci: np.ndarray
    site_id: np.ndarray
    surface_ha: np.ndarray
    available_on: np.ndarray
    viabilised_on: np.ndarray
    power_mw: np.ndarray
    power_reinforced_mw: np.ndarray
    power_reinforced_on: np.ndarray
    water_m3h: np.ndarray
    gas: np.ndarray  # 1 natural gas connected, 0 not, NaN unknown
    wastewater_m3d: np.ndarray
    rail: np.ndarray
    waterway: np.ndarray
    motorway_km: np.ndarray
    station_km: np.ndarray  # passenger station, km
    airport_km: np.ndarray
    icpe_max: np.ndarray
    seveso_max: np.ndarray
    price_eur_m2: np.ndarray
    readiness: np.ndarray
    permit_months: np.ndarray
    is_friche: np.ndarray
    is_farmland: np.ndarray
    zone_emploi: np.ndarray
    labour_pool: np.ndarray
    recruitment_difficulty: np.ndarray
    unavailable: np.ndarray
    friche_issue: np.ndarray
    ecosystem: dict[str, np.ndarray] = field(default_factory=dict)
    adjacency: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))
    members: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.id)

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Iterable],
        *,
        ecosystem: Mapping[str, Iterable] | None = None,
        adjacency: Iterable[tuple[int, int]] = (),
        members: Iterable | None = None,
    ) -> Candidates:
        """Build from any iterables (lists, arrays); missing columns get their « unknown » value."""
        n = len(columns["id"]) if "id" in columns else 0
        arrays = {}
        for name, (dtype, fill) in COLUMNS.items():
            if name in columns:
                values = columns[name]
                if dtype == "datetime64[D]" and not (
                    isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64)
                ):
                    values = [_to_day(v) for v in values]
                arrays[name] = np.asarray(values, dtype=dtype)
            else:
                arrays[name] = np.full(n, fill, dtype=dtype)
            if len(arrays[name]) != n:
                raise ValueError(f"colonne {name} : {len(arrays[name])} valeurs pour {n} candidats")
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise ValueError(f"colonnes inconnues : {sorted(unknown)}")
        eco = {k: np.asarray(v, dtype=np.float64) for k, v in (ecosystem or {}).items()}
        adj = np.asarray(list(adjacency), dtype=np.int64).reshape(-1, 2)
        mem = None if members is None else _object_array(members)
        return cls(**arrays, ecosystem=eco, adjacency=adj, members=mem)

    @classmethod
    def from_records(cls, records: Iterable[Mapping], **kwargs) -> Candidates:
        records = list(records)
        names = [n for n in COLUMNS if any(n in r for r in records)]
        columns = {n: [r.get(n, COLUMNS[n][1]) for r in records] for n in names}
        if "id" not in columns:
            columns["id"] = list(range(1, len(records) + 1))
        return cls.from_columns(columns, **kwargs)

    def take(self, index: np.ndarray) -> Candidates:
        """The rows at `index` (adjacency is kept whole: it is keyed by ids, not positions)."""
        arrays = {name: getattr(self, name)[index] for name in COLUMNS}
        return Candidates(
            **arrays,
            ecosystem={k: v[index] for k, v in self.ecosystem.items()},
            adjacency=self.adjacency,
            members=None if self.members is None else self.members[index],
        )

    def concat(self, other: Candidates) -> Candidates:
        arrays = {name: np.concatenate([getattr(self, name), getattr(other, name)]) for name in COLUMNS}
        eco = {
            k: np.concatenate(
                [self.ecosystem.get(k, np.zeros(len(self))), other.ecosystem.get(k, np.zeros(len(other)))]
            )
            for k in set(self.ecosystem) | set(other.ecosystem)
        }
        mine = self.members if self.members is not None else _object_array([None] * len(self))
        theirs = other.members if other.members is not None else _object_array([None] * len(other))
        return Candidates(
            **arrays, ecosystem=eco, adjacency=self.adjacency, members=np.concatenate([mine, theirs])
        )

    def key(self, i: int) -> str:
        """A stable identifier unique across kinds: « terrain:12 », « combinaison:12+13 »."""
        kind = int(self.kind[i])
        if kind == KIND_COMBINATION:
            return "combinaison:" + "+".join(str(m) for m in self.members[i])
        return f"{KIND_NAMES[kind]}:{int(self.id[i])}"


def _object_array(values) -> np.ndarray:
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _to_day(value) -> np.datetime64:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return NAT
    if isinstance(value, date | str | np.datetime64):
        return np.datetime64(value, "D")
    raise ValueError(f"date invalide : {value!r}")


assert [f.name for f in fields(Candidates)][: len(COLUMNS)] == list(COLUMNS)  # noqa: S101
