"""Land consumption of natural, agricultural and forest areas (NAF) per commune and year, from the Cerema file.

The Cerema « consommation d'espaces NAF » commune file has one row per commune and, for each year YY, columns
`nafYYartZZ` (all NAF land consumed between 1 January 20YY and 1 January 20ZZ, in m²) and its split by
destination: `artYYactZZ` (activity), `artYYhabZZ` (housing), `artYYmixZZ` (mixed), `artYYrouZZ` (roads),
`artYYferZZ` (rail), `artYYincZZ` (unknown). One row here per commune and year.
"""

from django.db import models


class NafConsumption(models.Model):
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    commune_code = models.CharField("code INSEE de la commune (idcom)", max_length=5)
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="vide quand le code du fichier n'est pas une commune du référentiel chargé",
    )
    year = models.PositiveSmallIntegerField("année (du 1er janvier au 1er janvier suivant)")
    total_m2 = models.BigIntegerField("consommation d'espaces NAF totale (m²)", default=0)
    activity_m2 = models.BigIntegerField("dont activité (m²)", default=0)
    housing_m2 = models.BigIntegerField("dont habitat (m²)", default=0)
    mixed_m2 = models.BigIntegerField("dont mixte (m²)", default=0)
    road_m2 = models.BigIntegerField("dont routes (m²)", default=0)
    rail_m2 = models.BigIntegerField("dont fer (m²)", default=0)
    unknown_m2 = models.BigIntegerField("dont inconnu (m²)", default=0)
    source_name = models.CharField("fichier source", max_length=200, blank=True)

    class Meta:
        verbose_name = "consommation d'espaces NAF (Cerema)"
        verbose_name_plural = "consommations d'espaces NAF (Cerema)"
        ordering = ["commune_code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["commune_code", "year"], name="land_naf_consumption_unique")
        ]
        indexes = [models.Index(fields=["year"], name="land_naf_consumption_year")]

    def __str__(self) -> str:
        return f"{self.commune_code} {self.year} : {self.total_m2} m²"
