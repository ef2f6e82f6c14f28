"""Steering models: frozen indicator snapshots (history), Region–EPCI conventions with their objectives, and
the quarterly reports of the contracted organisations (CPOM)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IndicatorSnapshot(models.Model):
    """The value of one indicator for one territory and one quarter, frozen when the periodic job took it:
    editing the data afterwards never changes it. A correction is a new version (with its reason); the
    previous version stays, no longer current."""

    indicator = models.CharField("indicateur", max_length=80)
    territory_level = models.CharField("niveau de territoire", max_length=20)
    territory_key = models.CharField("code du territoire", max_length=20)
    territory_name = models.CharField("territoire", max_length=200)
    year = models.PositiveSmallIntegerField("année")
    quarter = models.PositiveSmallIntegerField("trimestre")
    version = models.PositiveSmallIntegerField("version", default=1)
    value = models.FloatField("valeur", null=True, blank=True)
    target = models.FloatField("cible", null=True, blank=True)
    is_current = models.BooleanField("version en vigueur", default=True)
    reason = models.CharField("motif de la correction", max_length=300, blank=True)
    taken_at = models.DateTimeField("figé le", auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "valeur figée d'indicateur"
        verbose_name_plural = "valeurs figées d'indicateurs"
        ordering = ["indicator", "territory_level", "territory_key", "year", "quarter", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "territory_level", "territory_key", "year", "quarter", "version"],
                name="steering_snapshot_version_unique",
            ),
            models.UniqueConstraint(
                fields=["indicator", "territory_level", "territory_key", "year", "quarter"],
                condition=models.Q(is_current=True),
                name="steering_snapshot_one_current",
            ),
        ]
        indexes = [models.Index(fields=["territory_level", "territory_key", "year", "quarter"])]

    def __str__(self) -> str:
        return f"{self.indicator} {self.territory_name} T{self.quarter} {self.year} (v{self.version})"
