"""The engine's data model: actors (establishments), their flows (offers and needs) and receiver permits.

Plain dataclasses, no Django: the Django app fills them from its models, the `synergy_suggest` command from a
CSV file, tests and benchmarks directly. Quantities are converted to one unit per kind (`CANONICAL_UNIT`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from tandem.core.problems import UserError

OFFER, NEED = "offer", "need"
DIRECTIONS = {OFFER: "offre", NEED: "besoin"}

MATERIAL, HEAT, COLD, WATER, ENERGY, SERVICE, CAPACITY = (
    "material",
    "heat",
    "cold",
    "water",
    "energy",
    "shared_service",
    "spare_capacity",
)
KINDS = {
    MATERIAL: "matière",
    HEAT: "chaleur",
    COLD: "froid",
    WATER: "eau",
    ENERGY: "énergie",
    SERVICE: "service mutualisé",
    CAPACITY: "capacité disponible",
}
CANONICAL_UNIT = {
    MATERIAL: "t",
    HEAT: "MWh",
    COLD: "MWh",
    WATER: "m3",
    ENERGY: "MWh",
    SERVICE: "u",
    CAPACITY: "u",
}

# Non-material resources (materials are named by their EWC code). French labels are what users read.
RESOURCES = {
    "heat": "chaleur fatale",
    "steam": "vapeur",
    "cold": "froid",
    "electricity": "électricité",
    "fuel_gas": "gaz combustible (gaz de procédé)",
    "hydrogen": "hydrogène",
    "co2": "dioxyde de carbone (CO2)",
    "water": "eau",
    "wastewater": "eaux usées ou de process",
    "cardboard_collection": "collecte des cartons",
    "waste_collection": "collecte des déchets",
    "shared_boiler": "chaufferie partagée",
    "training": "formation",
    "purchasing": "achats groupés",
    "maintenance": "maintenance",
    "transport": "transport",
    "storage": "stockage",
    "land": "foncier",
    "machines": "machines",
}

WASTE, BY_PRODUCT, END_OF_WASTE = "waste", "by_product", "end_of_waste"
LEGAL_STATUSES = {
    WASTE: "déchet",
    BY_PRODUCT: "sous-produit (art. L.541-4-2 du code de l'environnement)",
    END_OF_WASTE: "sortie du statut de déchet (art. L.541-4-3 du code de l'environnement)",
}
DECLARED, WORKSHOP, ESTIMATED = "declared", "workshop", "estimated"
ORIGINS = {DECLARED: "déclaré par l'entreprise", WORKSHOP: "recueilli en atelier", ESTIMATED: "estimé"}

# Water quality, best first. Reuse classes A–D are those of the French rules on treated wastewater reuse
# (arrêté du 2 août 2010 modifié, décret 2022-336); an offer fits a need of its own class or a lower one.
WATER_CLASSES = ("demineralised", "potable", "A", "B", "C", "D", "raw")
WATER_CLASS_LABELS = {
    "demineralised": "déminéralisée",
    "potable": "potable",
    "A": "classe A",
    "B": "classe B",
    "C": "classe C",
    "D": "classe D",
    "raw": "brute (non traitée)",
}

# Quantity units -> (kind family, factor to the canonical unit); periods -> occurrences per year.
UNITS = {
    "t": ("t", 1.0),
    "kg": ("t", 1e-3),
    "MWh": ("MWh", 1.0),
    "kWh": ("MWh", 1e-3),
    "GWh": ("MWh", 1e3),
    "GJ": ("MWh", 1 / 3.6),
    "m3": ("m3", 1.0),
    "L": ("m3", 1e-3),
    "u": ("u", 1.0),
}
PERIODS = {"year": 1.0, "month": 12.0, "week": 52.0, "day": 365.0}
ALL_MONTHS = (1 << 12) - 1


class EngineInputError(UserError):
    """A flow, actor or permit the engine cannot use; the message says which one and why, in French."""


@dataclass(frozen=True)
class Actor:
    """An establishment (SIRET in the product, any id in a file)."""

    id: str
    name: str = ""
    activity: str = ""
    nace: str = ""  # NACE/NAF code: "24.10", "24.10Z" or a division "24"; may be empty
    latitude: float | None = None
    longitude: float | None = None
    zone: str = ""  # zone d'activité or any pooling perimeter; empty = pooled by proximity

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Quality:
    temperature_c: float | None = None  # heat and cold
    water_class: str | None = None  # one of WATER_CLASSES
    state: str = ""  # solide, liquide, pâteux, gazeux
    purity: str = ""


@dataclass(frozen=True)
class Flow:
    """One offer or need of an actor. Materials carry an EWC code (2, 4 or 6 digits), others a resource."""

    id: str
    actor_id: str
    direction: str
    kind: str
    ewc: str = ""  # "100202", "1002" (a need that takes any entry of the sub-chapter) or "10"
    resource: str = ""  # for non-material kinds, a key of RESOURCES
    label: str = ""  # free text
    quantity: float | None = None
    unit: str = "t"
    period: str = "year"
    months: int = ALL_MONTHS  # 12-bit mask, bit 0 = January (monthly profile reduced to months present)
    quality: Quality = field(default_factory=Quality)
    legal_status: str = WASTE
    origin: str = DECLARED
    confidence: float = 1.0
    valid_from: date | None = None
    valid_until: date | None = None

    def yearly_quantity(self) -> float:
        """Quantity per year in the kind's canonical unit; NaN when unknown."""
        if self.quantity is None:
            return math.nan
        family, factor = UNITS[self.unit]
        return float(self.quantity) * factor * PERIODS[self.period]

    def check(self) -> None:
        """Raise an EngineInputError (French) when the flow cannot be used."""
        where = f"flux « {self.id} »"
        if self.direction not in DIRECTIONS:
            raise EngineInputError(f"{where} : sens inconnu « {self.direction} » (offre ou besoin attendu)")
        if self.kind not in KINDS:
            raise EngineInputError(f"{where} : nature inconnue « {self.kind} »")
        if self.kind == MATERIAL and not self.resource:
            if not (self.ewc.isdigit() and len(self.ewc) in (2, 4, 6)):
                raise EngineInputError(
                    f"{where} : code déchet (nomenclature européenne) invalide « {self.ewc} »"
                )
        elif self.resource not in RESOURCES:
            raise EngineInputError(f"{where} : ressource inconnue « {self.resource} »")
        if self.unit not in UNITS:
            raise EngineInputError(f"{where} : unité inconnue « {self.unit} »")
        if self.period not in PERIODS:
            raise EngineInputError(f"{where} : période inconnue « {self.period} »")
        if UNITS[self.unit][0] != CANONICAL_UNIT[self.kind]:
            raise EngineInputError(
                f"{where} : l'unité « {self.unit} » ne convient pas à un flux de {KINDS[self.kind]}"
            )
        if self.quantity is not None and (not math.isfinite(self.quantity) or self.quantity < 0):
            raise EngineInputError(f"{where} : quantité invalide « {self.quantity} »")
        if self.quality.water_class is not None and self.quality.water_class not in WATER_CLASSES:
            raise EngineInputError(
                f"{where} : classe de qualité d'eau inconnue « {self.quality.water_class} »"
            )
        if not 0 < self.confidence <= 1:
            raise EngineInputError(f"{where} : confiance hors de ]0 ; 1] « {self.confidence} »")
        if self.legal_status not in LEGAL_STATUSES:
            raise EngineInputError(f"{where} : statut juridique inconnu « {self.legal_status} »")
        if self.origin not in ORIGINS:
            raise EngineInputError(f"{where} : origine inconnue « {self.origin} »")
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise EngineInputError(f"{where} : début de validité postérieur à la fin de validité")
        if not 0 <= self.months <= ALL_MONTHS or self.months == 0:
            raise EngineInputError(f"{where} : profil mensuel vide ou invalide")


@dataclass(frozen=True)
class Permit:
    """What a receiving installation is authorised for: ICPE rubriques ("2790", "2760-1") and R/D operations."""

    actor_id: str
    rubriques: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    source: str = ""  # where the permit was read (« déclaré sur le besoin », « installations classées »), French
