"""A prospect's requirements as the engine reads them (the API and the Prospect model both build one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


class MatchingInputError(ValueError):
    """Requirements the engine cannot use; the message is French and shown to the user as is."""


@dataclass(frozen=True)
class Requirements:
    """What a project needs. Zero / None means « no requirement ».

    `icpe_regime` and `seveso` are indexes in `candidates.ICPE_LEVELS` / `SEVESO_LEVELS`. `epcis` restricts
    the search to those territories (SIREN); `excluded_epcis` keeps their candidates but excludes them with a
    reason. `naf` (« 24.10Z » or « 2410Z ») selects the ecosystem counts of its division.
    """

    surface_min_ha: float
    surface_ideal_ha: float | None = None
    extension_margin_ha: float = 0.0
    power_mw: float = 0.0
    water_m3h: float = 0.0
    gas_required: bool = False
    wastewater_m3d: float = 0.0
    rail_required: bool = False
    waterway_required: bool = False
    max_motorway_km: float | None = None
    max_station_km: float | None = None
    max_airport_km: float | None = None
    icpe_regime: int = 0
    seveso: int = 0
    needed_by: date | None = None
    naf: str = ""
    epcis: tuple[str, ...] = ()
    excluded_epcis: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if not self.surface_min_ha or self.surface_min_ha <= 0:
            raise MatchingInputError("La surface minimale (surface_min_ha) doit être positive.")
        if self.surface_ideal_ha is not None and self.surface_ideal_ha < self.surface_min_ha:
            raise MatchingInputError(
                "La surface idéale (surface_ideal_ha) ne peut pas être inférieure à la surface minimale."
            )
        for name in ("extension_margin_ha", "power_mw", "water_m3h", "wastewater_m3d"):
            if getattr(self, name) < 0:
                raise MatchingInputError(f"« {name} » ne peut pas être négatif.")
        for name in ("max_motorway_km", "max_station_km", "max_airport_km"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise MatchingInputError(f"« {name} » ne peut pas être négatif.")
        if not 0 <= self.icpe_regime <= 3:
            raise MatchingInputError("« icpe_regime » doit valoir 0 (aucun) à 3 (autorisation).")
        if not 0 <= self.seveso <= 2:
            raise MatchingInputError(
                "« seveso » doit valoir 0 (non Seveso), 1 (seuil bas) ou 2 (seuil haut)."
            )

    @property
    def ideal_ha(self) -> float:
        return self.surface_ideal_ha or self.surface_min_ha

    @property
    def naf_division(self) -> str:
        return self.division_of(self.naf)

    @staticmethod
    def division_of(naf: str) -> str:
        """The NAF division (2 digits) of a code: « 25.62A » → « 25 »."""
        return naf.replace(".", "")[:2]
