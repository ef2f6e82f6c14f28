"""Import runs, vintages (millésimes) and the per-record history they leave behind.

An `ImportRun` is one attempt (command line or web, possibly in the background with progress, possibly a dry
run or refused). When a run changes the data it records a `Vintage` for its scope (a producing EPCI's Sites
économiques inventory, or a Friches file's communes) with a diff summary, and one `RecordVersion` per record
added, changed or removed, so the history of a site or terrain stays queryable after newer files.
"""

from django.conf import settings
from django.db import models

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

    class Meta:
        verbose_name = "millésime"
        ordering = ["scope", "-number"]
        constraints = [models.UniqueConstraint(fields=["scope", "number"], name="land_vintage_unique_number")]

    def __str__(self) -> str:
        return f"{self.scope} — millésime {self.number} ({self.created_at:%Y-%m-%d})"


class ImportRun(TimeStampedModel):
    """One import attempt, with its progress (for the background web import) and its full report."""

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        RUNNING = "running", "en cours"
        DONE = "done", "terminé"
        UNCHANGED = "unchanged", "terminé, aucune modification"
        REFUSED = "refused", "refusé (erreurs)"
        FAILED = "failed", "échec technique"
        CANCELLED = "cancelled", "annulé"

    standard = models.CharField("standard", max_length=20, choices=Standard.choices, blank=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING)
    dry_run = models.BooleanField("simulation", default=False)
    skip_invalid = models.BooleanField("lignes invalides écartées", default=False)
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
    actor_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation de l'utilisateur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    files = models.JSONField("fichiers", default=list, blank=True)
    options = models.JSONField("options", default=dict, blank=True, help_text="valeurs --set, etc.")
    progress_percent = models.PositiveSmallIntegerField("avancement (%)", default=0)
    progress_label = models.CharField("étape en cours", max_length=200, blank=True)
    counts = models.JSONField("effectifs", default=dict, blank=True)
    problems = models.JSONField("problèmes (erreurs et avertissements)", default=list, blank=True)
    errors_count = models.PositiveIntegerField("erreurs", default=0)
    warnings_count = models.PositiveIntegerField("avertissements", default=0)
    rejects_csv = models.TextField("lignes rejetées (CSV)", blank=True)
    vintage = models.ForeignKey(
        Vintage,
        verbose_name="millésime créé",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    job_id = models.BigIntegerField("tâche de fond", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "import de foncier"
        verbose_name_plural = "imports de foncier"
        ordering = ["-created_at", "-id"]

    FINISHED = frozenset({Status.DONE, Status.UNCHANGED, Status.REFUSED, Status.FAILED, Status.CANCELLED})

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    def __str__(self) -> str:
        return f"import {self.pk} ({self.get_status_display()})"


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
