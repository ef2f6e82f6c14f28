"""Tandem's extensions to the CNIG Sites économiques standard: what site selection needs and the standard lacks.

They travel in import and export files as extra `tdm_<field>` columns on SITE-ECO and TERRAIN-ECO
(documented in docs/land-extensions.md; strict CNIG exports leave them out). Each value has its unit in its
name, and where a value only becomes true later (a grid reinforcement, a study in progress) a `_on` date says
from when.
"""

from django.db import models

from tandem.land.standard import enum_choices

ICPE_REGIMES = ["aucun", "déclaration", "enregistrement", "autorisation"]
SEVESO_LEVELS = ["non Seveso", "Seveso seuil bas", "Seveso seuil haut"]
NATURAL_RISKS = [
    "inondation",
    "mouvement de terrain",
    "retrait-gonflement des argiles",
    "cavités souterraines",
    "sismicité modérée ou forte",
    "radon",
    "feu de forêt",
    "aucun",
]
TECHNOLOGICAL_RISKS = [
    "PPRT",
    "canalisation de matières dangereuses",
    "installation Seveso voisine",
    "rupture de barrage",
    "aucun",
]
LABELS = ["STAR'EST", "site clé en main France 2030"]

# name, type, unit, label, enumeration (for lists and enums). Types: float, date, bool, int, enum, list, text.
EXTENSIONS = [
    ("tdm_power_mw", "float", "MW", "puissance électrique disponible", None),
    ("tdm_power_available_on", "date", "", "puissance disponible à partir du (renforcement)", None),
    ("tdm_gas", "bool", "", "gaz naturel disponible", None),
    ("tdm_gas_mw", "float", "MW", "capacité de raccordement gaz", None),
    ("tdm_gas_available_on", "date", "", "gaz disponible à partir du", None),
    ("tdm_water_m3h", "float", "m³/h", "débit d'eau de process disponible", None),
    ("tdm_water_available_on", "date", "", "eau de process disponible à partir du", None),
    ("tdm_wastewater_m3d", "float", "m³/j", "capacité de traitement des eaux usées", None),
    ("tdm_wastewater_available_on", "date", "", "capacité eaux usées disponible à partir du", None),
    ("tdm_icpe_max_regime", "enum", "", "régime ICPE maximal accepté", ICPE_REGIMES),
    ("tdm_seveso_max", "enum", "", "statut Seveso maximal accepté", SEVESO_LEVELS),
    ("tdm_plu_zone_type", "enum", "", "type de zone du PLU", "urba_zone_type"),
    ("tdm_plu_zone", "text", "", "libellé de la zone du PLU (ex. 1AUx)", None),
    ("tdm_risks_natural", "list", "", "contraintes de risques naturels", NATURAL_RISKS),
    ("tdm_risks_technological", "list", "", "contraintes de risques technologiques", TECHNOLOGICAL_RISKS),
    ("tdm_study_fauna_flora_on", "date", "", "inventaire faune-flore 4 saisons achevé le", None),
    ("tdm_study_wetlands_on", "date", "", "délimitation des zones humides achevée le", None),
    ("tdm_study_archaeology_on", "date", "", "diagnostic d'archéologie préventive achevé le", None),
    ("tdm_study_soil_pollution_on", "date", "", "diagnostic de pollution des sols achevé le", None),
    ("tdm_study_geotechnics_on", "date", "", "étude géotechnique achevée le", None),
    ("tdm_permit_months", "int", "mois", "délai prévisible d'obtention des autorisations", None),
    ("tdm_available_on", "date", "", "disponible à partir du", None),
    ("tdm_appeals_cleared_on", "date", "", "clé en main : autorisations purgées de tout recours le", None),
    ("tdm_labels", "list", "", "labels", LABELS),
    ("tdm_sector_priorities", "list", "", "filières prioritaires", None),
    ("tdm_motorway_junction_km", "float", "km", "distance à l'échangeur autoroutier", None),
    ("tdm_rail_siding", "bool", "", "embranchement ferroviaire disponible", None),
    ("tdm_hv_substation_km", "float", "km", "distance au poste source électrique", None),
]


class SiteSelectionExtensions(models.Model):
    """The `tdm_*` columns, shared by sites and terrains (a terrain's value overrides its site's)."""

    tdm_power_mw = models.FloatField("puissance électrique disponible (MW)", null=True, blank=True)
    tdm_power_available_on = models.DateField("puissance disponible à partir du", null=True, blank=True)
    tdm_gas = models.BooleanField("gaz naturel disponible", null=True, blank=True)
    tdm_gas_mw = models.FloatField("capacité de raccordement gaz (MW)", null=True, blank=True)
    tdm_gas_available_on = models.DateField("gaz disponible à partir du", null=True, blank=True)
    tdm_water_m3h = models.FloatField("débit d'eau de process disponible (m³/h)", null=True, blank=True)
    tdm_water_available_on = models.DateField("eau de process disponible à partir du", null=True, blank=True)
    tdm_wastewater_m3d = models.FloatField(
        "capacité de traitement des eaux usées (m³/j)", null=True, blank=True
    )
    tdm_wastewater_available_on = models.DateField(
        "capacité eaux usées disponible à partir du", null=True, blank=True
    )
    tdm_icpe_max_regime = models.CharField(
        "régime ICPE maximal accepté",
        max_length=20,
        blank=True,
        choices=[(v, v) for v in ICPE_REGIMES],
    )
    tdm_seveso_max = models.CharField(
        "statut Seveso maximal accepté", max_length=20, blank=True, choices=[(v, v) for v in SEVESO_LEVELS]
    )
    tdm_plu_zone_type = models.CharField(
        "type de zone du PLU", max_length=10, blank=True, choices=enum_choices("friches", "urba_zone_type")
    )
    tdm_plu_zone = models.CharField("libellé de la zone du PLU", max_length=30, blank=True)
    tdm_risks_natural = models.JSONField("contraintes de risques naturels", default=list, blank=True)
    tdm_risks_technological = models.JSONField(
        "contraintes de risques technologiques", default=list, blank=True
    )
    tdm_study_fauna_flora_on = models.DateField(
        "inventaire faune-flore 4 saisons achevé le", null=True, blank=True
    )
    tdm_study_wetlands_on = models.DateField(
        "délimitation des zones humides achevée le", null=True, blank=True
    )
    tdm_study_archaeology_on = models.DateField(
        "diagnostic d'archéologie préventive achevé le", null=True, blank=True
    )
    tdm_study_soil_pollution_on = models.DateField(
        "diagnostic de pollution des sols achevé le", null=True, blank=True
    )
    tdm_study_geotechnics_on = models.DateField("étude géotechnique achevée le", null=True, blank=True)
    tdm_permit_months = models.PositiveSmallIntegerField(
        "délai prévisible d'obtention des autorisations (mois)", null=True, blank=True
    )
    tdm_available_on = models.DateField("disponible à partir du", null=True, blank=True)
    tdm_appeals_cleared_on = models.DateField(
        "autorisations purgées de tout recours le", null=True, blank=True
    )
    tdm_labels = models.JSONField("labels", default=list, blank=True)
    tdm_sector_priorities = models.JSONField("filières prioritaires", default=list, blank=True)
    tdm_motorway_junction_km = models.FloatField(
        "distance à l'échangeur autoroutier (km)", null=True, blank=True
    )
    tdm_rail_siding = models.BooleanField("embranchement ferroviaire disponible", null=True, blank=True)
    tdm_hv_substation_km = models.FloatField(
        "distance au poste source électrique (km)", null=True, blank=True
    )

    class Meta:
        abstract = True
