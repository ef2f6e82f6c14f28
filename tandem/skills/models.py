"""Jobs and skills by territory (GPECT): the ROME referential, the tension indicators by ROME × bassin d'emploi
2019, and the actions partners record on a gap.

The BMO survey (hiring needs by FAP 2021 job and bassin) has ONE model, shared with the site matching's labour
criterion: `tandem.prospects.models.BmoBasin / BmoBasinCommune / BmoJob` (imported by `prospects.labour`).
"""

from django.conf import settings
from django.db import models

from tandem.organizations.models import SharedObject


class RomeCode(models.Model):
    """A ROME v4 code (job sheet or sub-code) of France Travail's referential."""

    code = models.CharField("code ROME", max_length=5, primary_key=True)
    label = models.CharField("intitulé", max_length=200)
    parent = models.CharField("code ROME parent", max_length=5)
    green = models.CharField("transition écologique", max_length=80, blank=True)
    executive = models.BooleanField("emploi cadre", null=True)
    version = models.CharField("version du référentiel", max_length=10, blank=True)

    class Meta:
        verbose_name = "code ROME"
        verbose_name_plural = "codes ROME"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"


class RomeTitle(models.Model):
    """A job title (appellation) of the ROME, used to find a ROME code from the words of a need."""

    code_ogr = models.CharField("code OGR", max_length=10, primary_key=True)
    label = models.CharField("appellation", max_length=250)
    rome = models.ForeignKey(RomeCode, on_delete=models.CASCADE, related_name="titles")

    class Meta:
        verbose_name = "appellation ROME"
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class TensionBasin(models.Model):
    """A bassin d'emploi of the 2019 zoning used by the tension indicators (BE19)."""

    code = models.CharField("code", max_length=4, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "bassin d'emploi 2019"
        verbose_name_plural = "bassins d'emploi 2019"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name.title()} ({self.code})"


class TensionBasinCommune(models.Model):
    commune_code = models.CharField("code INSEE de la commune", max_length=5, primary_key=True)
    basin = models.ForeignKey(TensionBasin, on_delete=models.CASCADE, related_name="communes")

    class Meta:
        verbose_name = "commune d'un bassin d'emploi 2019"

    def __str__(self) -> str:
        return f"{self.commune_code} → {self.basin_id}"


INDICATORS = {
    "tension": "tension",
    "hiring_intensity": "intensité d'embauche",
    "labour_shortage": "manque de main-d'œuvre disponible",
    "lasting_jobs": "emplois durables",
    "working_conditions": "conditions de travail contraignantes",
    "geographic_mismatch": "inadéquation géographique",
    "training_specificity": "lien formation-emploi",
}


class Tension(models.Model):
    """The tension indicators of one ROME code in one 2019 bassin for one year (Dares / France Travail).
    Indicators are quintiles 1–5 (5 = strongest tension); offers and job seekers are yearly averages."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    year = models.PositiveSmallIntegerField("année")
    rome_code = models.CharField("code ROME", max_length=5, db_index=True)
    basin = models.ForeignKey(TensionBasin, on_delete=models.CASCADE, related_name="tensions")
    offers = models.FloatField("offres d'emploi enregistrées", null=True)
    seekers = models.FloatField("demandeurs d'emploi (A, B, C)", null=True)
    tension = models.PositiveSmallIntegerField("indicateur de tension", null=True)
    hiring_intensity = models.PositiveSmallIntegerField("intensité d'embauche", null=True)
    labour_shortage = models.PositiveSmallIntegerField("manque de main-d'œuvre", null=True)
    lasting_jobs = models.PositiveSmallIntegerField("emplois durables", null=True)
    working_conditions = models.PositiveSmallIntegerField("conditions de travail", null=True)
    geographic_mismatch = models.PositiveSmallIntegerField("inadéquation géographique", null=True)
    training_specificity = models.PositiveSmallIntegerField("lien formation-emploi", null=True)

    class Meta:
        verbose_name = "indicateur de tension"
        ordering = ["year", "basin", "rome_code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "basin", "rome_code"], name="skills_one_tension_per_cell")
        ]

    def __str__(self) -> str:
        return f"{self.rome_code} — {self.basin_id} ({self.year})"


class SkillAction(SharedObject):
    """An action a partner records on a jobs gap of a territory: a training session requested, a recruitment
    plan, a job fair — with its status and results."""

    class Kind(models.TextChoices):
        TRAINING = "training", "session de formation demandée"
        RECRUITMENT = "recruitment", "plan de recrutement"
        JOB_FAIR = "job_fair", "forum de l'emploi"

    class Status(models.TextChoices):
        PLANNED = "planned", "prévue"
        RUNNING = "running", "en cours"
        DONE = "done", "réalisée"
        CANCELLED = "cancelled", "abandonnée"

    class TerritoryKind(models.TextChoices):
        ZONE_EMPLOI = "ze", "zone d'emploi"
        EPCI = "epci", "EPCI"
        DEPARTEMENT = "dep", "département"

    territory_kind = models.CharField("type de territoire", max_length=4, choices=TerritoryKind.choices)
    territory_code = models.CharField("code du territoire", max_length=9)
    job_code = models.CharField("métier (code FAP 2021)", max_length=5)
    job_label = models.CharField("métier", max_length=200)
    kind = models.CharField("action", max_length=12, choices=Kind.choices)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PLANNED)
    description = models.TextField("description", blank=True)
    people = models.PositiveIntegerField("personnes concernées", null=True, blank=True)
    due_on = models.DateField("échéance", null=True, blank=True)
    results = models.TextField("résultats", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "action emploi-compétences"
        verbose_name_plural = "actions emploi-compétences"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["territory_kind", "territory_code", "job_code"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.job_label}"


__all__ = ["RomeCode", "RomeTitle", "TensionBasin", "TensionBasinCommune", "Tension", "SkillAction"]
