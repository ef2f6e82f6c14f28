"""The one record of an import attempt, whatever the importer (land, friches, Cerema consumption, SIRENE,
BODACC, BMO, geography, perimeters and those to come).

A run says who imported what (files with size and SHA-256), with which options, how it went (status, progress,
counts, problems) and where the rejected lines are. Importer-specific provenance stays in the importer's own
models, linked to the run (`land.Vintage.run`, `companies.RegistryImport.run`). A dry run started from the
command line is never saved; a refused run is saved (the run log), with nothing else.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.core.models import TimeStampedModel


class ImportRun(TimeStampedModel):
    class Kind(models.TextChoices):
        LAND = "land", "foncier (CNIG)"
        LAND_SITES = "land_sites", "foncier — CNIG Sites économiques"
        LAND_FRICHES = "land_friches", "foncier — CNIG Friches"
        CONSUMPTION = "consumption", "consommation d'espaces (Cerema)"
        SIRENE = "sirene", "SIRENE (type de fichier non reconnu)"
        SIRENE_UNITE_LEGALE = "unite_legale", "SIRENE — StockUniteLegale"
        SIRENE_ETABLISSEMENT = "etablissement", "SIRENE — StockEtablissement"
        SIRENE_GEOLOCALISATION = "geolocalisation", "SIRENE — géolocalisation des établissements"
        BODACC = "bodacc", "BODACC — procédures collectives"
        BMO = "bmo", "besoins en main-d'œuvre (BMO)"
        GEOGRAPHY = "geography", "géographie officielle"
        PERIMETERS = "perimeters", "périmètres"
        EUTL = "eutl", "SEQE-UE — installations et émissions vérifiées (EUTL)"
        ICPE = "icpe", "installations classées (ICPE, Géorisques)"
        IREP = "irep", "émissions déclarées (IREP / GEREP)"
        CATALOGUE_OPERATORS = "catalogue_operators", "catalogue — opérateurs et antennes"
        CATALOGUE_TEE = "catalogue_tee", "catalogue — programmes Transition écologique (TEE)"
        CATALOGUE_AIDES = "catalogue_aides", "catalogue — aides (Aides-territoires)"
        ROME = "rome", "référentiel ROME (codes et appellations)"
        TENSIONS = "tensions", "indicateurs de tension par métier et bassin"
        CATALOGUE_GRAND_EST = "catalogue_grand_est", "catalogue — aides de la Région Grand Est (API)"
        ROME_FAP = "rome_fap", "correspondance ROME ↔ FAP 2021"
        CERTIFINFO = "certifinfo", "certifications (Certif Info)"
        TRAINING = "training", "offre de formation (sessions)"
        SECTOR_SEEKERS = "sector_seekers", "demandeurs d'emploi par secteur et bassin"

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        RUNNING = "running", "en cours"
        DONE = "done", "terminé"
        REFUSED = "refused", "refusé"
        FAILED = "failed", "échoué"
        CANCELLED = "cancelled", "annulé"

    kind = models.CharField("type d'import", max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation de l'utilisateur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation productrice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    files = models.JSONField("fichiers", default=list, blank=True, help_text="nom, taille, empreinte SHA-256")
    options = models.JSONField("options", default=dict, blank=True)
    dry_run = models.BooleanField("simulation", default=False)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING)
    progress_percent = models.PositiveSmallIntegerField("avancement (%)", default=0)
    progress_label = models.CharField("étape en cours", max_length=200, blank=True)
    created = models.PositiveBigIntegerField("créés", default=0)
    updated = models.PositiveBigIntegerField("modifiés", default=0)
    unchanged = models.PositiveBigIntegerField("inchangés", default=0)
    rejected = models.PositiveBigIntegerField("rejetés", default=0)
    details = models.JSONField(
        "détail", default=dict, blank=True, help_text="effectifs par table, provenance propre à l'import"
    )
    problems = models.JSONField("problèmes (erreurs et avertissements)", default=list, blank=True)
    errors_count = models.PositiveIntegerField("erreurs", default=0)
    warnings_count = models.PositiveIntegerField("avertissements", default=0)
    rejects = models.FileField("lignes rejetées", upload_to="imports/rejets/", blank=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    job_id = models.BigIntegerField("tâche de fond", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "import"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="imports_run_kind_created")]

    FINISHED = frozenset({Status.DONE, Status.REFUSED, Status.FAILED, Status.CANCELLED})

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def duration_s(self) -> float | None:
        """Seconds between start and end (up to now while running)."""
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.details.get("removed"))

    def __str__(self) -> str:
        files = ", ".join(f.get("name", "") for f in self.files or [])
        return f"import {self.pk or '(simulation)'} — {self.get_kind_display()} — {files} ({self.get_status_display()})"
