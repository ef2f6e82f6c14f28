"""Industrial and territorial ecology (EIT): the European List of Waste, establishments' flows (offers and
needs) and synergies with their pipeline (docs/eit.md).

Flows are commercially sensitive. A flow is owned by the organisation that recorded it (an EPCI, an agency, a
CCI…) and, beyond the owner, is visible to the organisation of the current référent of its company
(`REFERENT_COMPANY_FIELDS`) and to the « animateurs EIT » of the organisations whose perimeter holds its
establishment (`FACILITATOR_COMMUNE_FIELDS`); both rules live in `tandem.organizations.perms`. Its place is its
establishment's point (PostGIS, `companies.Establishment.point_l93`): a flow has no geometry of its own.
The choices below are the engine's (`tandem.eit.engine.model`): one list, read by both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tandem.companies.models import Establishment
from tandem.eit.engine import model as engine
from tandem.organizations.models import Organization, SharedObject

ALL_MONTHS = engine.ALL_MONTHS


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return list(mapping.items())


class WasteCode(models.Model):
    """An entry, sub-chapter or chapter of the European List of Waste (EWC / LoW, annex II of art. R541-8 Code
    de l'environnement). Loaded from the reference files by `tandem load_eit_reference` (never copied into the
    repository); `hazardous` is the `*` of the list."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Level(models.TextChoices):
        CHAPTER = "chapter", "chapitre"
        SUBCHAPTER = "subchapter", "sous-chapitre"
        ENTRY = "entry", "rubrique"

    code = models.CharField("code", max_length=6, primary_key=True, db_collation="C")
    level = models.CharField("niveau", max_length=10, choices=Level.choices)
    hazardous = models.BooleanField("dangereux (*)", default=False)
    label_fr = models.TextField("libellé")
    label_en = models.TextField("libellé anglais", blank=True)

    class Meta:
        verbose_name = "code déchet (nomenclature européenne)"
        verbose_name_plural = "codes déchets (nomenclature européenne)"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.display} — {self.label_fr}"

    @property
    def display(self) -> str:
        spaced = " ".join(self.code[i : i + 2] for i in range(0, len(self.code), 2))
        return spaced + ("*" if self.hazardous else "")


class Flow(SharedObject):
    """One offer or need of an establishment (SIRET): a material, heat, cold, water, energy, a shared service or
    a spare capacity, with its quantity, quality, legal status and origin."""

    COMMUNE_FIELD = "commune"
    REFERENT_COMPANY_FIELDS = ("establishment__company",)
    FACILITATOR_COMMUNE_FIELDS = ("commune",)

    class Direction(models.TextChoices):
        OFFER = engine.OFFER, "offre"
        NEED = engine.NEED, "besoin"

    Kind = models.TextChoices("Kind", [(k, (k, v)) for k, v in engine.KINDS.items()])
    Resource = models.TextChoices("Resource", [(k, (k, v)) for k, v in engine.RESOURCES.items()])
    LegalStatus = models.TextChoices(
        "LegalStatus",
        [
            (engine.WASTE, (engine.WASTE, "déchet")),
            (engine.BY_PRODUCT, (engine.BY_PRODUCT, "sous-produit (art. L.541-4-2)")),
            (engine.END_OF_WASTE, (engine.END_OF_WASTE, "sortie du statut de déchet (art. L.541-4-3)")),
        ],
    )
    Origin = models.TextChoices("Origin", [(k, (k, v)) for k, v in engine.ORIGINS.items()])
    WaterClass = models.TextChoices("WaterClass", [(k, (k, v)) for k, v in engine.WATER_CLASS_LABELS.items()])

    class Unit(models.TextChoices):
        T = "t", "t"
        KG = "kg", "kg"
        MWH = "MWh", "MWh"
        KWH = "kWh", "kWh"
        GWH = "GWh", "GWh"
        GJ = "GJ", "GJ"
        M3 = "m3", "m³"
        L = "L", "L"
        U = "u", "unités"

    class Period(models.TextChoices):
        YEAR = "year", "par an"
        MONTH = "month", "par mois"
        WEEK = "week", "par semaine"
        DAY = "day", "par jour"

    class State(models.TextChoices):
        SOLID = "solide", "solide"
        LIQUID = "liquide", "liquide"
        PASTY = "pâteux", "pâteux"
        GAS = "gazeux", "gazeux"

    establishment = models.ForeignKey(
        Establishment,
        verbose_name="établissement",
        on_delete=models.PROTECT,
        related_name="eit_flows",
        db_column="siret",
    )
    # The establishment's commune when recorded: perimeters, delegations and facilitators place the flow by it.
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    direction = models.CharField("sens", max_length=5, choices=Direction.choices)
    kind = models.CharField("nature", max_length=20, choices=Kind.choices)
    ewc = models.ForeignKey(
        WasteCode,
        verbose_name="code déchet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resource = models.CharField("ressource", max_length=30, choices=Resource.choices, blank=True)
    label = models.CharField("description", max_length=255, blank=True)
    quantity = models.FloatField("quantité", null=True, blank=True)
    unit = models.CharField("unité", max_length=4, choices=Unit.choices, default=Unit.T)
    period = models.CharField("période", max_length=5, choices=Period.choices, default=Period.YEAR)
    months = models.PositiveSmallIntegerField(
        "profil mensuel (mois présents, 1 bit par mois)", default=ALL_MONTHS
    )
    temperature_c = models.FloatField("température (°C)", null=True, blank=True)
    water_class = models.CharField("qualité de l'eau", max_length=15, choices=WaterClass.choices, blank=True)
    physical_state = models.CharField("état physique", max_length=10, choices=State.choices, blank=True)
    purity = models.CharField("pureté", max_length=100, blank=True)
    legal_status = models.CharField(
        "statut juridique", max_length=15, choices=LegalStatus.choices, default=engine.WASTE
    )
    origin = models.CharField("origine", max_length=10, choices=Origin.choices, default=engine.DECLARED)
    confidence = models.FloatField("confiance", default=1.0)
    valid_from = models.DateField("valable du", null=True, blank=True)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    # What a receiving installation is authorised for (needs): ICPE rubriques and R/D operations, space-separated.
    icpe_rubriques = models.CharField("rubriques ICPE du receveur", max_length=200, blank=True)
    waste_operations = models.CharField("opérations R/D autorisées", max_length=200, blank=True)
    # A workshop sheet's row is known again by this key (establishment, direction, kind, code or resource,
    # description): re-importing the same sheet changes nothing.
    import_key = models.CharField("clé d'import", max_length=64, blank=True, db_index=True)
    source = models.CharField("source", max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisi par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "flux"
        verbose_name_plural = "flux"
        ordering = ["establishment_id", "direction", "kind", "id"]
        indexes = [models.Index(fields=["commune", "direction", "kind"], name="eit_flow_commune_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gt=0, confidence__lte=1), name="eit_flow_confidence"
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0), name="eit_flow_qty"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="eit_flow_validity",
            ),
            models.UniqueConstraint(
                fields=["owner", "import_key"], condition=~Q(import_key=""), name="eit_flow_import_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} de {self.what} ({self.establishment_id})"

    @property
    def what(self) -> str:
        """What flows, in French: the EWC entry, else the resource, else the description."""
        if self.ewc_id:
            return self.label or self.ewc.label_fr
        if self.resource:
            return self.get_resource_display()
        return self.label or self.get_kind_display()

    @property
    def quantity_text(self) -> str:
        from tandem.core.formats import fr_number

        if self.quantity is None:
            return "non déclarée"
        return f"{fr_number(self.quantity)} {self.get_unit_display()} {self.get_period_display()}"


class EstimatedFlow(models.Model):
    """A flow Tandem estimates for an establishment without a declaration, from its registry activity (NAF)
    and headcount band (engine `estimated_flows` + `with_quantities`): marked « estimé », with the factor
    source and a confidence, kept apart from the recorded flows (`Flow`) and never mixed with them.

    Made by `estimated_flows_refresh` (a job run when the registry changes) from public registry facts, so not
    owned by an organisation: shown to the « animateurs EIT » of the territory and to the company's référent
    organisation (same rules as flows). An estimate disappears when a recorded flow of the same kind arrives
    for the establishment (same direction and kind; for a material, same EWC sub-chapter)."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    FACILITATOR_COMMUNE_FIELDS = ("commune",)
    REFERENT_COMPANY_FIELDS = ("establishment__company",)

    establishment = models.ForeignKey(
        Establishment,
        verbose_name="établissement",
        on_delete=models.CASCADE,
        related_name="eit_estimated_flows",
        db_column="siret",
    )
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    direction = models.CharField("sens", max_length=5, choices=Flow.Direction.choices)
    kind = models.CharField("nature", max_length=20, choices=Flow.Kind.choices)
    # A sub-chapter (4 digits) for materials: the EWC is organised by source activity, an estimate names no entry.
    ewc = models.ForeignKey(
        WasteCode,
        verbose_name="code déchet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resource = models.CharField("ressource", max_length=30, choices=Flow.Resource.choices, blank=True)
    label = models.CharField("description", max_length=255, blank=True)
    quantity = models.FloatField("quantité estimée par an", null=True, blank=True)
    unit = models.CharField("unité", max_length=4, choices=Flow.Unit.choices, default=Flow.Unit.T)
    temperature_c = models.FloatField("température (°C)", null=True, blank=True)
    water_class = models.CharField(
        "qualité de l'eau", max_length=15, choices=Flow.WaterClass.choices, blank=True
    )
    legal_status = models.CharField(
        "statut juridique", max_length=15, choices=Flow.LegalStatus.choices, default=engine.WASTE
    )
    confidence = models.FloatField("confiance")
    # What the estimate was made from: a change of either in the registry makes it again.
    naf = models.CharField("code NAF utilisé", max_length=6)
    headcount_band = models.CharField("tranche d'effectif utilisée", max_length=2, blank=True)
    headcount = models.FloatField("effectif retenu", null=True, blank=True)
    factor_source = models.TextField("source des facteurs")
    computed_at = models.DateTimeField("estimé le")

    class Meta:
        verbose_name = "flux estimé"
        verbose_name_plural = "flux estimés"
        ordering = ["establishment_id", "direction", "kind", "id"]
        indexes = [models.Index(fields=["commune", "direction", "kind"], name="eit_estimate_commune_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "direction", "kind", "ewc", "resource"],
                nulls_distinct=False,
                name="eit_estimate_key",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gt=0, confidence__lte=1), name="eit_estimate_confidence"
            ),
        ]

    origin = engine.ESTIMATED

    def __str__(self) -> str:
        return f"{self.get_direction_display()} estimé(e) de {self.what} ({self.establishment_id})"

    @property
    def what(self) -> str:
        if self.ewc_id:
            return self.ewc.label_fr
        if self.resource:
            return self.get_resource_display()
        return self.get_kind_display()

    @property
    def quantity_text(self) -> str:
        from tandem.core.formats import fr_number

        if self.quantity is None:
            return "non estimée"
        return f"≈ {fr_number(self.quantity)} {self.get_unit_display()} par an (ordre de grandeur)"


class EstimateRefresh(models.Model):
    """One run of `estimated_flows_refresh`: when, why, what it changed. The periodic job compares the last
    run with the registry's last import to know whether the registry changed since."""

    at = models.DateTimeField("le", auto_now_add=True)
    reason = models.CharField("motif", max_length=100, blank=True)
    establishments = models.PositiveIntegerField("établissements examinés", default=0)
    created = models.PositiveIntegerField("flux estimés créés", default=0)
    deleted = models.PositiveIntegerField("flux estimés supprimés", default=0)
    unchanged = models.PositiveIntegerField("établissements inchangés", default=0)

    class Meta:
        verbose_name = "actualisation des flux estimés"
        verbose_name_plural = "actualisations des flux estimés"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Actualisation des flux estimés du {self.at:%d/%m/%Y %H:%M}"


class Synergy(SharedObject):
    """An exchange between a supplier's offer and a receiver's need, from idea to realised exchange (or
    abandoned), with its stage history, the companies' agreement, the realised quantities per year and the
    engine's reasons when it came from a detection."""

    COMMUNE_FIELD = "commune"
    REFERENT_COMPANY_FIELDS = (
        "supplier_flow__establishment__company",
        "receiver_flow__establishment__company",
    )
    FACILITATOR_COMMUNE_FIELDS = ("commune", "receiver_commune")

    class Stage(models.TextChoices):
        IDEA = "idea", "idée"
        STUDY = "study", "étude"
        NEGOTIATION = "negotiation", "négociation"
        REALISED = "realised", "réalisée"
        ABANDONED = "abandoned", "abandonnée"

    # Stages that hold an offer's capacity: a new detection does not promise it again.
    ACTIVE_STAGES = (Stage.IDEA, Stage.STUDY, Stage.NEGOTIATION, Stage.REALISED)

    supplier_flow = models.ForeignKey(
        Flow, verbose_name="offre du fournisseur", on_delete=models.PROTECT, related_name="supplied_synergies"
    )
    receiver_flow = models.ForeignKey(
        Flow, verbose_name="besoin du receveur", on_delete=models.PROTECT, related_name="received_synergies"
    )
    # The supplier's commune (`commune`, which places the synergy for perimeters and delegations) and the
    # receiver's: facilitators of either territory follow it.
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune du fournisseur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    receiver_commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune du receveur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    kind = models.CharField("nature", max_length=20, choices=Flow.Kind.choices)
    title = models.CharField("intitulé", max_length=255)
    stage = models.CharField("étape", max_length=12, choices=Stage.choices, default=Stage.IDEA)
    stage_since = models.DateField("à cette étape depuis le")
    score = models.FloatField("score de la détection", null=True, blank=True)
    quantity = models.FloatField("quantité envisagée par an", null=True, blank=True)
    unit = models.CharField("unité", max_length=4, blank=True)
    road_km = models.FloatField("distance routière estimée (km)", null=True, blank=True)
    co2e_t = models.FloatField("CO2e évité estimé (t/an)", null=True, blank=True)
    money_eur = models.FloatField("économie estimée (€/an)", null=True, blank=True)
    reasons = models.JSONField("raisons de la détection", default=list, blank=True)
    supplier_agreed_on = models.DateField("accord du fournisseur le", null=True, blank=True)
    receiver_agreed_on = models.DateField("accord du receveur le", null=True, blank=True)
    notes = models.TextField("notes", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "synergie"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier_flow", "receiver_flow"], name="eit_synergy_pair"),
        ]

    def __str__(self) -> str:
        return self.title


class SynergyStageChange(models.Model):
    """One move of a synergy in the pipeline: who, from which organisation, when, with what notes."""

    synergy = models.ForeignKey(Synergy, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(
        "étape précédente", max_length=12, choices=Synergy.Stage.choices, blank=True
    )
    to_stage = models.CharField("nouvelle étape", max_length=12, choices=Synergy.Stage.choices)
    on = models.DateField("date")
    at = models.DateTimeField("enregistré le", auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="par", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, verbose_name="organisation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField("notes", blank=True)

    class Meta:
        verbose_name = "changement d'étape"
        verbose_name_plural = "changements d'étape"
        ordering = ["synergy", "on", "at", "id"]

    def __str__(self) -> str:
        return f"{self.synergy} : {self.get_to_stage_display()} le {self.on:%d/%m/%Y}"


class SynergyYear(models.Model):
    """What a realised synergy exchanged in one year, and the CO2e it avoided."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    synergy = models.ForeignKey(Synergy, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("année")
    quantity = models.FloatField("quantité échangée")
    unit = models.CharField("unité", max_length=4)
    co2e_t = models.FloatField("CO2e évité (t)", null=True, blank=True)

    class Meta:
        verbose_name = "bilan annuel d'une synergie"
        verbose_name_plural = "bilans annuels des synergies"
        ordering = ["synergy", "year"]
        constraints = [
            models.UniqueConstraint(fields=["synergy", "year"], name="eit_synergy_year"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="eit_synergy_year_qty"),
        ]

    def __str__(self) -> str:
        return f"{self.synergy} ({self.year})"


# The fields of a flow a person records (import, web form, API); one list for every writer and reader.
FLOW_FIELDS = (
    "direction",
    "kind",
    "ewc_id",
    "resource",
    "label",
    "quantity",
    "unit",
    "period",
    "months",
    "temperature_c",
    "water_class",
    "physical_state",
    "purity",
    "legal_status",
    "origin",
    "confidence",
    "valid_from",
    "valid_until",
    "icpe_rubriques",
    "waste_operations",
)
