"""Investor prospects: confidential project requests, their task force, the EPCIs' proposals and the shortlist.

A prospect is a confidential `SharedObject`: only the named members of its task force see it (the permission
layer filters on `members`), and every read is audited.
"""

from django.conf import settings
from django.db import models

from tandem.core.models import TimeStampedModel
from tandem.organizations.models import SharedObject

ICPE_REGIMES = ["aucun", "déclaration", "enregistrement", "autorisation"]
SEVESO_LEVELS = ["non Seveso", "Seveso seuil bas", "Seveso seuil haut"]


class Prospect(SharedObject):
    """An investor's project, known by its code name only."""

    CONFIDENTIAL = True

    class Status(models.TextChoices):
        RECEIVED = "received", "reçu"
        SHARED = "shared", "partagé avec les territoires"
        PROPOSALS = "proposals", "propositions reçues"
        SHORTLISTED = "shortlisted", "liste restreinte établie"
        ANSWERED = "answered", "réponse envoyée"
        VISIT = "visit", "visite"
        WON = "won", "gagné"
        LOST = "lost", "perdu"
        ABANDONED = "abandoned", "abandonné"

    class Premises(models.TextChoices):
        LAND = "terrain", "terrain"
        BUILDING = "batiment", "bâtiment"
        EITHER = "indifferent", "terrain ou bâtiment"

    code_name = models.CharField("nom de code", max_length=80)
    naf = models.CharField("code NAF du secteur", max_length=6, blank=True, help_text="ex. 24.10Z")
    activity = models.TextField("activité", blank=True)
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.RECEIVED)

    # Land and buildings
    surface_min_ha = models.FloatField("surface minimale (ha)")
    surface_ideal_ha = models.FloatField("surface idéale (ha)", null=True, blank=True)
    single_piece = models.BooleanField("d'un seul tenant", default=True)
    extension_margin_ha = models.FloatField("réserve d'extension (ha)", default=0)
    premises = models.CharField(
        "terrain ou bâtiment", max_length=12, choices=Premises.choices, default="terrain"
    )
    # Networks
    power_mw = models.FloatField("puissance électrique (MW)", default=0)
    gas = models.BooleanField("gaz naturel", default=False)
    water_m3h = models.FloatField("eau (m³/h)", default=0)
    water_m3d = models.FloatField("eau (m³/jour)", default=0)
    wastewater_m3d = models.FloatField("eaux usées (m³/jour)", default=0)
    # Access
    rail_required = models.BooleanField("embranchement ferré nécessaire", default=False)
    waterway_required = models.BooleanField("voie d'eau nécessaire", default=False)
    port_required = models.BooleanField("port nécessaire", default=False)
    max_motorway_km = models.FloatField("distance maximale à un échangeur (km)", null=True, blank=True)
    max_station_km = models.FloatField("distance maximale à une gare (km)", null=True, blank=True)
    max_airport_km = models.FloatField("distance maximale à un aéroport (km)", null=True, blank=True)
    # Regulation and operation
    icpe_regime = models.PositiveSmallIntegerField(
        "régime ICPE du projet", choices=list(enumerate(ICPE_REGIMES)), default=0
    )
    seveso = models.PositiveSmallIntegerField(
        "statut Seveso", choices=list(enumerate(SEVESO_LEVELS)), default=0
    )
    continuous_operation = models.BooleanField("fonctionnement en continu", default=False)
    # Value for the territory
    jobs_at_start = models.PositiveIntegerField("emplois au démarrage", null=True, blank=True)
    jobs_at_three_years = models.PositiveIntegerField("emplois à trois ans", null=True, blank=True)
    investment_eur = models.DecimalField(
        "investissement (€)", max_digits=14, decimal_places=0, null=True, blank=True
    )
    public_aid_eur = models.DecimalField(
        "aides publiques prévues (€)", max_digits=14, decimal_places=0, null=True, blank=True
    )
    upstream_naf = models.JSONField(
        "codes NAF des fournisseurs (amont)", default=list, blank=True, help_text='ex. ["24.10Z", "25"]'
    )
    downstream_naf = models.JSONField("codes NAF des clients (aval)", default=list, blank=True)
    skills = models.JSONField(
        "métiers recherchés (codes ROME ou FAP 2021 ; intitulés non rattachés tels que saisis)",
        default=list,
        blank=True,
        help_text="ex. H2913, D0X31",
    )
    # Calendar
    decision_on = models.DateField("date de décision", null=True, blank=True)
    works_start_on = models.DateField("début des travaux", null=True, blank=True)
    production_start_on = models.DateField("début de production", null=True, blank=True)
    # Territories
    preferred_epcis = models.ManyToManyField(
        "territories.Epci", verbose_name="territoires souhaités", blank=True, related_name="+"
    )
    excluded_epcis = models.ManyToManyField(
        "territories.Epci", verbose_name="territoires exclus", blank=True, related_name="+"
    )
    # Origin
    origin = models.CharField("origine (apporteur)", max_length=200, blank=True)
    is_relocation = models.BooleanField("relocalisation", default=False)
    plan_500 = models.BooleanField("Plan 500 relocalisations", default=False)
    weights = models.JSONField("pondérations propres au projet", default=dict, blank=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="task force", blank=True, related_name="prospects"
    )

    class Meta:
        verbose_name = "prospect"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code_name


class StatusChange(models.Model):
    """The prospect's status history, with who changed it and why."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    CONFIDENTIAL_PARENT = "prospect"  # audit events about it are shown only to the task force

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField("statut", max_length=12, choices=Prospect.Status.choices)
    at = models.DateTimeField("le", auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.TextField("commentaire", blank=True)

    class Meta:
        verbose_name = "changement de statut"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.prospect} : {self.get_status_display()}"


class Proposal(TimeStampedModel):
    """A candidate proposed by a territory for a prospect (from the ranked list or its own)."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    CONFIDENTIAL_PARENT = "prospect"  # audit events about it are shown only to the task force
    # A proposal puts its site before the task force, whatever the site's own visibility (permissions.md).
    TASK_FORCE_SHARES = ("terrain", "site", "friche")

    class Kind(models.TextChoices):
        TERRAIN = "terrain", "terrain"
        SITE = "site", "site"
        FRICHE = "friche", "friche"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="proposals")
    organization = models.ForeignKey(
        "organizations.Organization", verbose_name="proposé par", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    terrain = models.ForeignKey(
        "land.Terrain", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey("land.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    friche = models.ForeignKey(
        "land.Friche", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField("commentaire", blank=True)
    conditions = models.TextField("conditions", blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    shortlisted = models.BooleanField("retenu dans la liste restreinte", default=False)
    shortlisted_at = models.DateTimeField(null=True, blank=True)
    shortlisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "proposition"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="terrain", terrain__isnull=False, site__isnull=True, friche__isnull=True)
                    | models.Q(kind="site", site__isnull=False, terrain__isnull=True, friche__isnull=True)
                    | models.Q(kind="friche", friche__isnull=False, terrain__isnull=True, site__isnull=True)
                ),
                name="prospects_proposal_one_candidate",
            ),
        ]

    @property
    def candidate(self):
        return self.terrain or self.site or self.friche

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.candidate} pour {self.prospect}"


class Decision(models.Model):
    """A collective decision on a prospect (who, when, what, why), kept as it was taken."""

    CONFIDENTIAL_PARENT = "prospect"  # audit events about it are shown only to the task force

    class Outcome(models.TextChoices):
        SUPPORT = "support", "soutenir le projet"
        CONDITIONAL = "conditional", "soutenir sous conditions"
        POSTPONE = "postpone", "ajourner"
        DECLINE = "decline", "ne pas soutenir"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField("décision", max_length=12, choices=Outcome.choices)
    reason = models.TextField("motifs")
    value_snapshot = models.JSONField("valeur du projet au moment de la décision", default=dict)
    at = models.DateTimeField("le", auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "décision"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.at:%d/%m/%Y})"


class BmoBasin(models.Model):
    """A France Travail employment basin of the BMO survey (« bassin d'emploi BMO »)."""

    code = models.CharField("code", max_length=4, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "bassin d'emploi BMO"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class BmoBasinCommune(models.Model):
    """Which basin a commune belongs to (the seed includes some former communes: no foreign key)."""

    VISIBILITY_VERSIONED = True

    commune_code = models.CharField("code INSEE de la commune", max_length=5, primary_key=True)
    basin = models.ForeignKey(BmoBasin, on_delete=models.CASCADE, related_name="communes")

    class Meta:
        verbose_name = "commune d'un bassin BMO"

    def __str__(self) -> str:
        return f"{self.commune_code} → {self.basin_id}"


class BmoJob(models.Model):
    """Hiring projects for one occupation (FAP 2021) in one basin, one survey year. None = statistical secret."""

    VISIBILITY_VERSIONED = True  # the matching's cached arrays carry these figures

    year = models.PositiveSmallIntegerField("année")
    basin = models.ForeignKey(BmoBasin, on_delete=models.CASCADE, related_name="jobs")
    # A basin may straddle two départements (Sélestat: Bas-Rhin and Haut-Rhin): one row per part.
    departement = models.CharField("département", max_length=3)
    job_code = models.CharField("code métier BMO (FAP 2021)", max_length=5)
    job_name = models.CharField("métier", max_length=200)
    family_code = models.CharField("famille de métiers", max_length=2)
    family_label = models.CharField("libellé de la famille", max_length=100)
    projects = models.PositiveIntegerField("projets de recrutement", null=True)
    difficult = models.PositiveIntegerField("dont difficiles", null=True)
    seasonal = models.PositiveIntegerField("dont saisonniers", null=True)

    class Meta:
        verbose_name = "besoin en main-d'œuvre"
        ordering = ["year", "basin", "job_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "basin", "departement", "job_code"], name="prospects_bmo_job_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_name} — {self.basin_id} ({self.year})"


class CandidateArrays(models.Model):
    """The matching's candidate arrays (`tandem.prospects.candidates`) for one state of the land data and one
    day, built once and read by every process (web and job worker): rebuilding them cost each web process
    1–2 s after every land import. Derived data, replaced whenever the data version moves on."""

    key = models.CharField("clé (version des données et jour)", max_length=64, primary_key=True)
    built_at = models.DateTimeField("construit le", auto_now_add=True)
    data = models.BinaryField("tableaux (compressés)")

    class Meta:
        verbose_name = "tableaux des candidats du rapprochement"
        verbose_name_plural = "tableaux des candidats du rapprochement"

    def __str__(self) -> str:
        return f"Tableaux des candidats du {self.built_at:%d/%m/%Y %H:%M}"
