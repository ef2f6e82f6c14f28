"""Steering models: frozen indicator snapshots (history), Region–EPCI conventions with their objectives, and
the quarterly reports of the contracted organisations (CPOM)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tandem.core.models import TimeStampedModel
from tandem.organizations.models import Organization, SharedObject


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


class LiveValues(models.Model):
    """The « today » values of a territory's indicators for a quarter, computed ONCE over the whole territory
    (as the system, like the frozen values) for one data version (`organizations.versions.data_version`) and
    one day, and shared by every reader of that territory's dashboard, whichever web process serves them; the
    job worker warms the territories read lately (`selectors.live_values_warm`). A cache: the raw numbers,
    BEFORE the small-count rule, which is applied at each read (`registry.value_shown`) — never shown as is.
    Not versioned itself (writing it must not move the data version on)."""

    territory_level = models.CharField("niveau de territoire", max_length=20)
    territory_key = models.CharField("code du territoire", max_length=20)
    year = models.PositiveSmallIntegerField("année")
    quarter = models.PositiveSmallIntegerField("trimestre")
    day = models.DateField("calculées pour le")
    data_version = models.BigIntegerField("version des données")
    values = models.JSONField("valeurs brutes", default=dict)
    computed_at = models.DateTimeField("calculées le")
    compute_ms = models.PositiveIntegerField("durée du calcul (ms)", default=0)
    read_at = models.DateTimeField("lues le")

    class Meta:
        verbose_name = "valeurs du jour d'un territoire"
        verbose_name_plural = "valeurs du jour des territoires"
        constraints = [
            models.UniqueConstraint(
                fields=["territory_level", "territory_key", "year", "quarter"], name="steering_live_unique"
            )
        ]
        indexes = [models.Index(fields=["read_at"])]

    def __str__(self) -> str:
        return f"{self.territory_level} {self.territory_key} T{self.quarter} {self.year}"


class Convention(SharedObject):
    """A Region–EPCI convention (delegation of business-aid granting, co-financing, partnership) or a CPOM
    (objectives and means) with a development agency or a Maison de Région. Owned by the Région organisation,
    shared with the partner organisation; its objectives are steering indicators with targets."""

    class Kind(models.TextChoices):
        DELEGATION = "delegation", "délégation de l'octroi des aides aux entreprises"
        COFINANCING = "cofinancement", "cofinancement d'aides aux entreprises"
        PARTNERSHIP = "partenariat", "partenariat"
        CPOM = "cpom", "CPOM (contrat pluriannuel d'objectifs et de moyens)"

    title = models.CharField("intitulé", max_length=200)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    partner = models.ForeignKey(
        Organization, verbose_name="organisation partenaire", on_delete=models.PROTECT, related_name="+"
    )
    epci = models.ForeignKey(
        "territories.Epci",
        verbose_name="EPCI",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    territory_level = models.CharField("niveau du territoire suivi", max_length=20, default="epci")
    territory_key = models.CharField("code du territoire suivi", max_length=20)
    territory_name = models.CharField("territoire suivi", max_length=200)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    signed_on = models.DateField("signée le", null=True, blank=True)
    region_amount_eur = models.DecimalField(
        "montant de la Région (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    partner_amount_eur = models.DecimalField(
        "montant du partenaire (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    aids = models.TextField("aides concernées", blank=True)
    document = models.FileField("convention signée (PDF)", upload_to="conventions/%Y/", blank=True)
    renews = models.ForeignKey(
        "self",
        verbose_name="renouvelle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewals",
    )
    alert_days = models.PositiveSmallIntegerField("alerte avant l'échéance (jours)", default=90)
    # Set by the daily job once the expiry alert has gone (`services.conventions_alert`): it is sent once.
    alert_sent_at = models.DateTimeField("alerte d'échéance envoyée le", null=True, blank=True)
    delegations = models.ManyToManyField(
        "organizations.Delegation",
        verbose_name="délégations fondées sur la convention",
        blank=True,
        related_name="conventions",
    )

    class Meta:
        verbose_name = "convention"
        ordering = ["ends_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="convention_dates"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def alert_due(self, on) -> bool:
        """Whether the convention is within its alert delay before its end on `on` (renewals apart)."""
        return self.ends_on >= on and (self.ends_on - on).days <= self.alert_days


class ConventionObjective(models.Model):
    """One objective of a convention for a year: an indicator of the registry, its target and its weight."""

    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="objectives")
    indicator = models.CharField("indicateur", max_length=80)
    year = models.PositiveSmallIntegerField("année")
    target = models.FloatField("cible")
    weight = models.PositiveSmallIntegerField("pondération (%)", default=100)

    class Meta:
        verbose_name = "objectif"
        ordering = ["year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "indicator", "year"], name="objective_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}"


class QuarterlyReport(TimeStampedModel):
    """The quarterly report of a convention's partner: actuals of its objectives (from the indicators), the
    partner's comment, sent to the Région which validates it. A validated report no longer changes."""

    class Status(models.TextChoices):
        DRAFT = "draft", "en préparation"
        SUBMITTED = "submitted", "transmis à la Région"
        VALIDATED = "validated", "validé par la Région"

    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField("année")
    quarter = models.PositiveSmallIntegerField("trimestre")
    status = models.CharField("état", max_length=12, choices=Status.choices, default=Status.DRAFT)
    comment = models.TextField("commentaire de l'organisation", blank=True)
    submitted_at = models.DateTimeField("transmis le", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validated_at = models.DateTimeField("validé le", null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "rapport trimestriel"
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "year", "quarter"], name="report_unique_quarter")
        ]

    def __str__(self) -> str:
        return f"{self.convention} — T{self.quarter} {self.year}"
