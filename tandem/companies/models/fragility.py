"""Fragility signals: collective proceedings published in the BODACC, registry-based alerts (closures and
headcount-band drops between two SIRENE vintages) and signals entered by advisors.

Every alert says its source, its rule and the date of the event. A statistical model added later writes
`Signal`s with `source=model`, its `rule` (model name and version) and a `score`, so that it can be measured
against the same alerts and the same advisor outcomes (status, action, dismissal reason).
"""

from django.conf import settings
from django.db import models

from tandem.companies.models.registry import Company, Establishment, RegistryImport
from tandem.organizations.models import SharedObject


class ProceedingKind(models.TextChoices):
    SAUVEGARDE = "sauvegarde", "procédure de sauvegarde"
    REDRESSEMENT = "redressement", "redressement judiciaire"
    LIQUIDATION = "liquidation", "liquidation judiciaire"
    CLOTURE = "cloture", "clôture de la procédure"
    AUTRE = "autre", "autre jugement"


class BodaccAnnouncement(models.Model):
    """A collective-proceeding judgment published in the BODACC (section A, « procédures collectives »)."""

    siren = models.CharField("SIREN", max_length=9, db_index=True)
    # Set when the company is in the registry (the announcement is kept either way).
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bodacc_announcements",
        db_constraint=False,
    )
    judgment_on = models.DateField("date du jugement / de publication")
    kind = models.CharField("procédure", max_length=20, choices=ProceedingKind.choices)
    nature = models.CharField("nature du jugement (libellé BODACC)", max_length=255)
    tribunal = models.CharField("tribunal", max_length=200, blank=True)
    headcount_band = models.CharField("tranche d'effectif (source)", max_length=2, blank=True)
    source = models.CharField("source", max_length=255)
    source_line = models.PositiveIntegerField("ligne dans le fichier source", null=True, blank=True)
    run = models.ForeignKey(
        RegistryImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "annonce BODACC"
        verbose_name_plural = "annonces BODACC"
        ordering = ["-judgment_on", "siren"]
        constraints = [
            models.UniqueConstraint(fields=["siren", "judgment_on", "nature"], name="unique_bodacc_judgment")
        ]

    def __str__(self) -> str:
        return f"{self.siren} {self.judgment_on} {self.nature}"


class Signal(SharedObject):
    """One fragility alert about a company (optionally one of its establishments)."""

    COMMUNE_FIELD = "commune"

    class Source(models.TextChoices):
        BODACC = "bodacc", "BODACC (procédure collective)"
        SIRENE_CLOSURE = "sirene_closure", "SIRENE (fermeture d'établissement)"
        HEADCOUNT_DROP = "headcount_drop", "SIRENE (baisse de tranche d'effectif)"
        ADVISOR = "advisor", "conseiller"
        MODEL = "model", "modèle statistique"

    class Category(models.TextChoices):
        COLLECTIVE_PROCEEDING = "collective_proceeding", "procédure collective"
        CLOSURE = "closure", "fermeture d'établissement"
        HEADCOUNT_DROP = "headcount_drop", "baisse d'effectif"
        LOSS_OF_ACTIVITY = "loss_of_activity", "perte d'activité"
        FINANCING = "financing", "financement, trésorerie"
        SUPPLY = "supply", "approvisionnement"
        HR_SKILLS = "hr_skills", "ressources humaines et compétences"
        SUCCESSION = "succession", "transmission, succession"
        OTHER = "other", "autre"

    class Status(models.TextChoices):
        NEW = "new", "nouveau"
        ACKNOWLEDGED = "acknowledged", "pris en compte"
        ACTED = "acted", "action engagée"
        DISMISSED = "dismissed", "écarté"

    class Action(models.TextChoices):
        FINANCIAL_SUPPORT = "financial_support", "soutien financier"
        MEDIATION = "mediation", "médiation (crédit, entreprises)"
        BUYER_SEARCH = "buyer_search", "recherche de repreneur"
        COACHING = "coaching", "accompagnement, coaching"
        RESTRUCTURING = "restructuring", "appui à la restructuration"
        SKILLS = "skills", "emploi, compétences, reclassement"
        REFERRAL = "referral", "orientation vers un partenaire"
        OTHER = "other", "autre"

    class DismissalReason(models.TextChoices):
        FALSE_POSITIVE = "false_positive", "fausse alerte"
        ALREADY_KNOWN = "already_known", "situation déjà connue et suivie"
        NOT_RELEVANT = "not_relevant", "hors du champ d'intervention"
        RESOLVED = "resolved", "situation rétablie"
        OTHER = "other", "autre"

    company = models.ForeignKey(
        Company, verbose_name="entreprise", on_delete=models.CASCADE, related_name="signals"
    )
    establishment = models.ForeignKey(
        Establishment,
        verbose_name="établissement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signals",
    )
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField("source", max_length=20, choices=Source.choices, db_index=True)
    # The rule (or model and version) that raised the alert, e.g. "bodacc.liquidation", "sirene.closure/v1".
    rule = models.CharField("règle", max_length=60, blank=True)
    score = models.FloatField("score (modèle)", null=True, blank=True)
    category = models.CharField("catégorie", max_length=30, choices=Category.choices)
    observed_on = models.DateField("date de l'événement", db_index=True)
    description = models.TextField("description", blank=True)
    evidence = models.JSONField("éléments (source, valeurs)", default=dict, blank=True)
    # Makes the importers idempotent: one alert per (source, key), e.g. "bodacc:<siren>:<date>:<nature>".
    dedup_key = models.CharField("clé de dédoublonnage", max_length=120, blank=True)
    bodacc_announcement = models.ForeignKey(
        BodaccAnnouncement, null=True, blank=True, on_delete=models.SET_NULL, related_name="signals"
    )
    registry_change = models.ForeignKey(
        "companies.RegistryChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="signals"
    )
    status = models.CharField(
        "statut", max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    action = models.CharField("action engagée", max_length=30, choices=Action.choices, blank=True)
    dismissal_reason = models.CharField(
        "motif d'abandon", max_length=30, choices=DismissalReason.choices, blank=True
    )
    status_note = models.TextField("commentaire", blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField("statut modifié le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "signal de fragilité"
        verbose_name_plural = "signaux de fragilité"
        ordering = ["-observed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "dedup_key"],
                condition=~models.Q(dedup_key=""),
                name="unique_signal_per_source_key",
            ),
        ]
        indexes = [models.Index(fields=["company", "status"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()} — {self.company_id} ({self.observed_on})"
