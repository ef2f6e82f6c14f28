"""Official geography (INSEE COG, DGCL EPCI, zones d'emploi) and custom perimeters.

Communes are never deleted: a commune that disappears in a newer COG is kept, marked not current and linked
to the commune it merged into, so that everything referencing it keeps working.
"""

from django.db import models

from tandem.core.geo import GeometryFields
from tandem.organizations.models import SharedObject


class Region(GeometryFields):
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "région"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Departement(GeometryFields):
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Epci(GeometryFields):
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Kind(models.TextChoices):
        CC = "CC", "communauté de communes"
        CA = "CA", "communauté d'agglomération"
        CU = "CU", "communauté urbaine"
        METRO = "METRO", "métropole"
        MET69 = "MET69", "Métropole de Lyon"

    siren = models.CharField("SIREN", max_length=9, primary_key=True)
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=5, choices=Kind.choices)
    financing = models.CharField("mode de financement", max_length=10, blank=True)
    population = models.PositiveIntegerField("population totale", default=0)
    is_current = models.BooleanField("en vigueur", default=True)

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ZoneEmploi(GeometryFields):
    code = models.CharField("code ZE2020", max_length=4, primary_key=True)
    name = models.CharField("nom", max_length=150)

    class Meta:
        verbose_name = "zone d'emploi 2020"
        verbose_name_plural = "zones d'emploi 2020"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Commune(GeometryFields):
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=200)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communes")
    epci = models.ForeignKey(Epci, null=True, blank=True, on_delete=models.SET_NULL, related_name="communes")
    zone_emploi = models.ForeignKey(
        ZoneEmploi, null=True, blank=True, on_delete=models.SET_NULL, related_name="communes"
    )
    population = models.PositiveIntegerField("population", default=0)
    postal_codes = models.JSONField("codes postaux", default=list, blank=True)
    is_current = models.BooleanField("commune actuelle", default=True, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="fusionnée dans",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_communes",
    )
    cog_year = models.PositiveSmallIntegerField("millésime du COG", null=True, blank=True)

    class Meta:
        verbose_name = "commune"
        ordering = ["code"]
        indexes = [models.Index(fields=["region", "is_current"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Perimeter(SharedObject):
    """A custom perimeter: a set of communes (Maison de Région area, Territoire d'industrie, SCoT…)."""

    class Kind(models.TextChoices):
        MAISON_REGION = "maison_region", "territoire de Maison de Région"
        TERRITOIRE_INDUSTRIE = "territoire_industrie", "Territoire d'industrie"
        SCOT = "scot", "SCoT"
        AUTRE = "autre", "autre"

    name = models.CharField("nom", max_length=200)
    code = models.CharField("code", max_length=50, blank=True)
    kind = models.CharField("type", max_length=30, choices=Kind.choices, default=Kind.AUTRE)
    description = models.TextField("description", blank=True)
    communes = models.ManyToManyField(Commune, verbose_name="communes", blank=True, related_name="perimeters")
    source = models.CharField("source", max_length=255, blank=True)

    class Meta:
        verbose_name = "périmètre"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "code"], condition=~models.Q(code=""), name="unique_perimeter_code"
            )
        ]

    def __str__(self) -> str:
        return self.name
