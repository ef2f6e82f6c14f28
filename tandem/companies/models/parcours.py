"""The Région's Parcours de Transformation: each company's journey through four steps, and the register of
solution providers of the Grand Est Transformation networks."""

from django.db import models

from tandem.companies.models.followup import CompanyFollowUp
from tandem.core.models import TimeStampedModel


class ParcoursStepKind(models.TextChoices):
    # The value orders the steps: conversion and stalls are computed on it.
    SENSIBILISATION = "1_sensibilisation", "sensibilisation"
    DIAGNOSTIC = "2_diagnostic", "diagnostic 360°"
    MODULES = "3_modules", "modules de transformation"
    MISE_EN_OEUVRE = "4_mise_en_oeuvre", "mise en œuvre"


STEP_ORDER = [kind.value for kind in ParcoursStepKind]


class ProviderDomain(models.TextChoices):
    INDUSTRIE = "industrie", "industrie"
    ENVIRONNEMENT = "environnement", "environnement"
    NUMERIQUE = "numerique", "numérique"
    SANTE = "sante", "santé"


class SolutionProvider(TimeStampedModel):
    """A solution provider referenced in a Grand Est Transformation network (reference data of the Région)."""

    name = models.CharField("nom", max_length=200)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    domain = models.CharField("réseau", max_length=20, choices=ProviderDomain.choices, db_index=True)
    services = models.TextField("offre", blank=True)
    commune = models.ForeignKey(
        "territories.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    website = models.URLField("site", blank=True)
    is_active = models.BooleanField("référencé", default=True)
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)

    class Meta:
        verbose_name = "offreur de solutions"
        verbose_name_plural = "offreurs de solutions"
        ordering = ["domain", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "domain"], name="unique_provider_per_domain")]

    def __str__(self) -> str:
        return self.name


class ParcoursJourney(CompanyFollowUp):
    """A company's entry in the Parcours de Transformation. Shared with the Région by default."""

    class Status(models.TextChoices):
        ACTIVE = "active", "en cours"
        COMPLETED = "completed", "terminé"
        ABANDONED = "abandoned", "abandonné"

    entered_on = models.DateField("entrée dans le Parcours", db_index=True)
    current_step = models.CharField("étape en cours", max_length=20, choices=ParcoursStepKind.choices)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = "Parcours de Transformation"
        verbose_name_plural = "Parcours de Transformation"
        ordering = ["-entered_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["company"], name="one_parcours_per_company")]

    def __str__(self) -> str:
        return f"Parcours de {self.company_id} ({self.get_current_step_display()})"


class ParcoursStep(models.Model):
    """One step of a journey; its visibility is the journey's."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "en cours"
        DONE = "done", "réalisée"
        ABANDONED = "abandoned", "abandonnée"

    journey = models.ForeignKey(ParcoursJourney, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField("étape", max_length=20, choices=ParcoursStepKind.choices)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    started_on = models.DateField("début")
    completed_on = models.DateField("fin", null=True, blank=True)
    provider = models.ForeignKey(
        SolutionProvider,
        verbose_name="opérateur (offreur de solutions)",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="steps",
    )
    aid_granted = models.BooleanField("aide accordée", default=False)
    aid_label = models.CharField("dispositif d'aide", max_length=150, blank=True)
    aid_amount_eur = models.DecimalField(
        "montant de l'aide (€)", max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "étape du Parcours"
        verbose_name_plural = "étapes du Parcours"
        ordering = ["journey", "step"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "step"], name="one_row_per_parcours_step"),
            models.CheckConstraint(
                condition=models.Q(completed_on__isnull=True)
                | models.Q(completed_on__gte=models.F("started_on")),
                name="parcours_step_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} ({self.journey.company_id})"


__all__ = [
    "STEP_ORDER",
    "ParcoursJourney",
    "ParcoursStep",
    "ParcoursStepKind",
    "ProviderDomain",
    "SolutionProvider",
]
