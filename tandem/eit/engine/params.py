"""Configurable assumptions of the detection: thresholds, costs and CO2e factors (docs/eit-engine.md).

Defaults are stated orders of magnitude; a territory replaces them with its own (for CO2e, the ADEME Base
Empreinte factors of the year), through `Parameters(**overrides)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tandem.eit.engine.model import CAPACITY, COLD, ENERGY, HEAT, MATERIAL, SERVICE, WATER


def _max_road_km() -> dict[str, float]:
    return {MATERIAL: 150.0, HEAT: 15.0, COLD: 5.0, WATER: 20.0, ENERGY: 30.0, SERVICE: 30.0, CAPACITY: 30.0}


def _co2_material() -> dict[str, float]:
    # t CO2e avoided per tonne of secondary material replacing a primary one, by EWC sub-chapter or chapter
    # (the most specific key wins; "" is the default).
    return {
        "": 0.3,
        "1002": 0.6,  # slag replacing clinker/aggregates
        "1001": 0.6,  # fly ash replacing clinker
        "1704": 1.5,  # scrap metal replacing ore-based metal
        "1910": 1.5,
        "1201": 1.5,
        "1501": 0.5,  # packaging (paper, plastics)
        "0702": 1.5,  # plastics
        "02": 0.2,  # organic by-products (feed, digestion)
    }


@dataclass
class Parameters:
    delta_t_k: float = 10.0  # heat: source ≥ sink + ΔT for a direct exchange
    road_factor: float = 1.3  # road distance ≈ 1.3 × straight line
    max_road_km: dict[str, float] = field(default_factory=_max_road_km)
    # heat pump: COP = η × Tc / (Tc − Te), kelvins, Tc = sink + approach, Te = source − approach
    carnot_efficiency: float = 0.5
    approach_k: float = 5.0
    cop_max: float = 7.0
    heat_pump_max_lift_k: float = 90.0
    heat_pump_min_source_c: float = 10.0
    heat_pump_eur_per_mw: float = 700_000.0
    full_load_hours: float = 4000.0  # peak MW = MWh per year / full-load hours
    cost_index: float = 1.25  # HotMaps 2016–2020 costs indexed to today (construction cost index, assumed)
    gas_eur_per_mwh: float = 60.0
    boiler_efficiency: float = 0.9
    electricity_eur_per_mwh: float = 150.0
    water_eur_per_m3: float = 2.0
    disposal_eur_per_t: float = 90.0
    disposal_hazardous_eur_per_t: float = 250.0
    transport_eur_per_t_km: float = 0.12
    co2_gas_t_per_mwh: float = 0.227  # natural gas burnt, per MWh (PCI)
    co2_electricity_t_per_mwh: float = 0.052  # French average mix
    co2_water_t_per_m3: float = 0.0003
    co2_transport_t_per_t_km: float = 0.0001  # articulated lorry
    co2_material_t_per_t: dict[str, float] = field(default_factory=_co2_material)
    cold_eer: float = 3.0  # electricity saved by supplied cold = MWh / EER
    # weights of the score criteria (a criterion unknown for a pair is left out, the rest re-weighted)
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "plausibility": 0.45,
            "impact": 0.2,
            "economics": 0.1,
            "proximity": 0.15,
            "precedents": 0.1,
        }
    )
    # prior plausibility of a kind of exchange when flows are estimated (not declared): how often a suggestion
    # of that kind proves a real exchange. Calibrated on the MAESTRI case library only (docs/eit-engine.md);
    # declared flows are not weighted.
    estimated_kind_prior: dict[str, float] = field(
        default_factory=lambda: {
            MATERIAL: 1.0,
            HEAT: 0.4,
            COLD: 0.4,
            WATER: 0.3,
            ENERGY: 0.5,
            SERVICE: 0.5,
            CAPACITY: 0.5,
        }
    )
    precedents_full: int = 20  # this many documented exchanges of a kind score 1
    top_per_offer: int = 10  # candidates kept per offer of known quantity before allocation
    # allocation solved exactly (linear programme, `allocate_optimal`) up to this many candidate pairs; above,
    # or at 0, the greedy in plausibility order (`allocate`)
    optimal_allocation_max_pairs: int = 20_000
    pool_cell_km: float = 10.0
    pool_min_members: int = 2
