from tandem.land.models.consumption import NafConsumption
from tandem.land.models.extensions import EXTENSIONS, SiteSelectionExtensions
from tandem.land.models.friches import Friche
from tandem.land.models.inventory import Etablissement, InventoryObject, Pole, Site, Terrain
from tandem.land.models.labels import LabelDecision
from tandem.land.models.layers import (
    DISTANCE_KINDS,
    ComputedDistances,
    LayerKind,
    ReferenceFeature,
    ReferenceLayer,
)
from tandem.land.models.vintages import RecordVersion, Standard, Vintage

__all__ = [
    "DISTANCE_KINDS",
    "EXTENSIONS",
    "ComputedDistances",
    "LayerKind",
    "ReferenceFeature",
    "ReferenceLayer",
    "Etablissement",
    "Friche",
    "InventoryObject",
    "LabelDecision",
    "NafConsumption",
    "Pole",
    "RecordVersion",
    "SiteSelectionExtensions",
    "Site",
    "Standard",
    "Terrain",
    "Vintage",
]
