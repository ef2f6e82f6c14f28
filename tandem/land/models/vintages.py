"""Vintages (millésimes) and the per-record history they leave behind.

An import run (`tandem.imports.models.ImportRun`) is one attempt (command line or web, possibly in the
background with progress, possibly a dry run or refused). When a run changes the data it records a `Vintage` for its scope (a producing EPCI's Sites
économiques inventory, or a Friches file's communes) with a diff summary, and one `RecordVersion` per record
added, changed or removed, so the history of a site or terrain stays queryable after newer files.
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime

from tandem.core.models import TimeStampedModel


class Standard(models.TextChoices):
    SITES_ECONOMIQUES = "sites_economiques", "CNIG Sites économiques"
    FRICHES = "friches", "CNIG Friches"


class Vintage(TimeStampedModel):
    """A millésime: the state of one scope's data after an import that changed something."""

    standard = models.CharField("standard", max_length=20, choices=Standard.choices)
    scope = models.CharField(
        "périmètre", max_length=100, db_index=True, help_text="« epci:<SIREN> » ou « friches:<organisation> »"
    )
    number = models.PositiveIntegerField("numéro de millésime dans le périmètre")
    epci = models.ForeignKey(
        "territories.Epci", verbose_name="EPCI producteur", null=True, blank=True, on_delete=models.PROTECT
    )
    owner = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation productrice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    files = models.JSONField(
        "fichiers", default=list, blank=True, help_text="nom, empreinte SHA-256, table, lignes"
    )
    provenance = models.JSONField(
        "provenance",
        default=dict,
        blank=True,
        help_text="format, encodage, version du standard, valeurs --set, migration de version, avertissements",
    )
    content_digest = models.CharField("empreinte du contenu", max_length=64, blank=True)
    diff = models.JSONField(
        "différences avec le millésime précédent",
        default=dict,
        blank=True,
        help_text="par table : added / removed / changed {identifiant: {champ: [avant, après]}}",
    )
    counts = models.JSONField("effectifs par table", default=dict, blank=True)
    run = models.ForeignKey(
        "imports.ImportRun",
        verbose_name="import",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vintages",
    )

    class Meta:
        verbose_name = "millésime"
        ordering = ["scope", "-number"]
        constraints = [models.UniqueConstraint(fields=["scope", "number"], name="land_vintage_unique_number")]

    def __str__(self) -> str:
        # What a reader sees (site sheet, admin): the standard in words and the date, never the internal scope key.
        return f"{self.get_standard_display()} — millésime {self.number} du {localtime(self.created_at):%d/%m/%Y}"


class RecordVersion(models.Model):
    """One record as a vintage left it: added, changed (with the field-by-field changes) or removed."""

    class Action(models.TextChoices):
        ADDED = "added", "ajouté"
        CHANGED = "changed", "modifié"
        REMOVED = "removed", "supprimé"

    vintage = models.ForeignKey(
        Vintage, verbose_name="millésime", on_delete=models.CASCADE, related_name="versions"
    )
    table = models.CharField("table du standard", max_length=20)
    record_key = models.CharField("identifiant dans le standard", max_length=60)
    action = models.CharField("action", max_length=10, choices=Action.choices)
    data = models.JSONField("valeurs (colonnes du standard)", default=dict, blank=True)
    changes = models.JSONField("changements {champ: [avant, après]}", default=dict, blank=True)

    class Meta:
        verbose_name = "version d'un enregistrement"
        ordering = ["vintage_id", "table", "record_key"]
        indexes = [models.Index(fields=["table", "record_key"], name="land_version_record")]

    def __str__(self) -> str:
        return f"{self.table} {self.record_key} {self.get_action_display()}"
