"""Industrial decarbonation: installations (sites), their yearly emissions by source, quality flags, links to
SIRENE establishments, the Région's list of major emitters and decarbonation projects.

Who sees what (docs/decarbonation.md, « Qui voit quoi ») :
- installations, EU ETS accounts, emissions, ICPE data, quality flags and establishment links are public
  registry data (EUTL, Géorisques, IREP: open licences), shown to every signed-in user, like the SIRENE
  registry; confirming a link is a named action (`perms.can_review_links`);
- the Région's list of major emitters is owned by a Région organisation, read by every signed-in user and
  written by its contributors (`perms.can_edit_major_emitters`);
- decarbonation projects are organisation-owned follow-up (`SharedObject`, the permission layer), shown to
  the organisation of the company's référent as well; aid amounts under instruction follow
  `perms.aid_amounts_visible`.

One emissions figure per site and year: every value read is kept (`EmissionRecord`, with its source and
variant) but exactly one per (installation, year) is `retained` — a partial unique index guarantees it, and
every total sums retained records only, so two sources (EUTL and IREP) or IREP's three CO2 variants are never
added up.
"""

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from tandem.core.models import TimeStampedModel
from tandem.organizations.models import SharedObject


class Installation(TimeStampedModel):
    """An industrial site: an ICPE installation (code AIOT), an EU ETS installation (one or several accounts
    sharing its permit = AIOT code), an IREP establishment, or an establishment of the diffuse industry."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class PointQuality(models.TextChoices):
        SITE = "site", "coordonnées du site"
        POSTCODE = "postcode", "centre du code postal (approché)"
        COMMUNE = "commune", "centre de la commune (approché)"
        NONE = "none", "non localisé"

    aiot_code = models.CharField("code AIOT (ICPE)", max_length=10, blank=True, db_index=True)
    name = models.CharField("nom", max_length=255)
    operator_name = models.CharField("exploitant", max_length=255, blank=True)
    parent_company = models.CharField("groupe", max_length=255, blank=True)
    siren = models.CharField("SIREN déclaré", max_length=9, blank=True, db_index=True)
    siret = models.CharField("SIRET déclaré", max_length=14, blank=True, db_index=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    postcode = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune (libellé)", max_length=150, blank=True)
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="installations",
    )
    # Département of the site: the commune's, else the postcode's first two digits (EUTL has no commune).
    departement_code = models.CharField("département", max_length=3, blank=True, db_index=True)
    naf = models.CharField("activité (NAF)", max_length=6, blank=True)
    activity_label = models.CharField("activité", max_length=255, blank=True)
    sector = models.CharField("secteur", max_length=100, blank=True)
    point = gis_models.PointField("position", srid=4326, null=True, blank=True)
    point_quality = models.CharField(
        "précision de la position", max_length=10, choices=PointQuality.choices, default=PointQuality.NONE
    )
    # ICPE (Géorisques)
    icpe_regime = models.CharField("régime ICPE", max_length=40, blank=True)
    seveso = models.CharField("statut Seveso", max_length=40, blank=True)
    rubriques = ArrayField(
        models.CharField(max_length=10), verbose_name="rubriques ICPE", default=list, blank=True
    )
    icpe_url = models.URLField("fiche Géorisques", blank=True)
    irep_id = models.CharField("identifiant IREP", max_length=20, blank=True, db_index=True)
    in_icpe = models.BooleanField("présente dans la table ICPE", default=False)
    in_ets = models.BooleanField("soumise au SEQE-UE (ETS)", default=False)
    in_irep = models.BooleanField("déclarante IREP/GEREP", default=False)
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)

    class Meta:
        verbose_name = "installation industrielle"
        verbose_name_plural = "installations industrielles"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["aiot_code"], condition=~Q(aiot_code=""), name="decarbonation_one_site_per_aiot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.aiot_code or self.pk})"


# EUTL account statuses in French (the extract writes them in English).
ACCOUNT_STATUS_LABELS = {"open": "ouvert", "closed": "fermé", "Closure Pending": "fermeture en cours"}


class EtsAccount(models.Model):
    """One EU Transaction Log account (an installation's operator holding account). Several accounts may share
    one permit (a closed account and its reopened successor, split installations): they belong to one
    installation and their emissions are aggregated there."""

    eutl_id = models.CharField("identifiant EUTL", max_length=20, unique=True)
    installation = models.ForeignKey(
        Installation, verbose_name="installation", on_delete=models.CASCADE, related_name="ets_accounts"
    )
    holder = models.CharField("titulaire du compte", max_length=255)
    installation_name = models.CharField("nom de l'installation", max_length=255, blank=True)
    status = models.CharField("état du compte", max_length=30, blank=True)
    permit_id = models.CharField("numéro d'autorisation", max_length=40, blank=True)
    registration_no = models.CharField("numéro d'immatriculation", max_length=40, blank=True)
    eprtr_id = models.CharField("identifiant E-PRTR", max_length=20, blank=True)
    activity_code = models.CharField("code d'activité ETS", max_length=5, blank=True)
    activity_label = models.CharField("activité ETS", max_length=200, blank=True)
    first_year = models.PositiveSmallIntegerField("première année", null=True, blank=True)
    last_year = models.PositiveSmallIntegerField("dernière année", null=True, blank=True)

    class Meta:
        verbose_name = "compte SEQE-UE"
        verbose_name_plural = "comptes SEQE-UE"
        ordering = ["eutl_id"]

    def __str__(self) -> str:
        return f"{self.holder} ({self.eutl_id})"

    @property
    def status_label(self) -> str:
        return ACCOUNT_STATUS_LABELS.get(self.status, self.status or "état inconnu")


class EtsYear(models.Model):
    """An account's year: verified emissions, free allocation and compliance code as the EUTL publishes them
    (missing values stay empty; « Excluded » and « Not Reported » are kept in `verified_status`)."""

    account = models.ForeignKey(EtsAccount, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("année")
    verified_t = models.BigIntegerField("émissions vérifiées (tCO2e)", null=True, blank=True)
    verified_status = models.CharField("statut de la déclaration", max_length=20, blank=True)
    free_allocation = models.BigIntegerField("quotas gratuits alloués", null=True, blank=True)
    compliance_code = models.CharField("code de conformité", max_length=3, blank=True)

    class Meta:
        verbose_name = "année d'un compte SEQE-UE"
        ordering = ["account", "year"]
        constraints = [models.UniqueConstraint(fields=["account", "year"], name="decarbonation_one_ets_year")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year}"


class EmissionRecord(models.Model):
    """A site's CO2 emissions of one year as one source gives them. Exactly one record per (installation,
    year) is `retained` (precedence: EUTL verified, then IREP without biomass, then IREP total, then the
    estimate); totals sum retained records only."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Source(models.TextChoices):
        EUTL = "eutl", "SEQE-UE (émissions vérifiées)"
        IREP = "irep", "IREP / GEREP (déclaration)"
        ESTIMATE = "estimate", "estimation (NAF et effectif)"
        DEMO = "demo", "valeur fictive de démonstration"

    class Variant(models.TextChoices):
        VERIFIED = "verified", "émissions vérifiées"
        NON_BIOMASS = "non_biomass", "CO2 d'origine non biomasse"
        TOTAL = "total", "CO2 total (biomasse et non biomasse)"
        BIOMASS = "biomass", "CO2 d'origine biomasse uniquement"
        ESTIMATE = "estimate", "estimation"

    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="emissions")
    year = models.PositiveSmallIntegerField("année")
    source = models.CharField("source", max_length=10, choices=Source.choices)
    variant = models.CharField("variante", max_length=12, choices=Variant.choices)
    value_t = models.FloatField("émissions (tCO2e)")
    retained = models.BooleanField("retenue pour les totaux", default=False)
    confidence = models.FloatField("confiance (0 à 1)", default=1.0)
    note = models.CharField("note", max_length=255, blank=True)

    class Meta:
        verbose_name = "émission annuelle"
        verbose_name_plural = "émissions annuelles"
        ordering = ["installation", "year", "source", "variant"]
        constraints = [
            models.UniqueConstraint(
                fields=["installation", "year", "source", "variant"],
                name="decarbonation_one_value_per_source",
            ),
            models.UniqueConstraint(
                fields=["installation", "year"], condition=Q(retained=True), name="decarbonation_one_retained"
            ),
        ]
        indexes = [models.Index(fields=["year", "retained"], name="decarbonation_em_year_ret")]

    def __str__(self) -> str:
        return f"{self.installation_id} {self.year} {self.get_source_display()} : {self.value_t} t"


class QualityFlag(models.Model):
    """A doubt about a site's data, with its reason in French."""

    class Kind(models.TextChoices):
        UNIT_ERROR = "unit_error", "erreur d'unité probable"
        JUMP = "jump", "variation annuelle anormale"
        MERGED_ACCOUNTS = "merged_accounts", "comptes fermés, rouverts ou fusionnés (agrégés)"
        POSTCODE_POINT = "postcode_point", "position déduite du code postal"
        BIOMASS_VARIANT = "biomass_variant", "variantes biomasse du CO2"

    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField("nature", max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField("année", null=True, blank=True)
    reason = models.CharField("motif", max_length=500)

    class Meta:
        verbose_name = "signalement de qualité"
        verbose_name_plural = "signalements de qualité"
        ordering = ["installation", "kind", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["installation", "kind", "year"], name="decarbonation_one_flag", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.reason}"


class EstablishmentLink(TimeStampedModel):
    """An installation's SIRENE establishment, or a candidate for it.

    `status`: `auto` (sure: AIOT/ICPE SIRET, or declared SIRET found), `proposed` (a candidate waiting for a
    person, several may compete), `confirmed` (a person chose it: kept across re-imports, never recomputed),
    `rejected` (a person refused it: never proposed again)."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Method(models.TextChoices):
        SIRET = "siret", "SIRET de la déclaration ICPE / IREP"
        SIREN_PLACE_NAME = "siren_place_name", "SIREN, commune ou code postal et nom"
        MANUAL = "manual", "choisi par une personne"

    class Status(models.TextChoices):
        AUTO = "auto", "lien sûr (automatique)"
        PROPOSED = "proposed", "à confirmer"
        CONFIRMED = "confirmed", "confirmé"
        REJECTED = "rejected", "écarté"

    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="links")
    establishment = models.ForeignKey(
        "companies.Establishment",
        verbose_name="établissement",
        on_delete=models.CASCADE,
        related_name="installation_links",
        db_constraint=False,
    )
    method = models.CharField("méthode", max_length=20, choices=Method.choices)
    score = models.FloatField("score (0 à 1)")
    status = models.CharField("état", max_length=10, choices=Status.choices)
    reason = models.CharField("justification", max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)

    class Meta:
        verbose_name = "lien installation – établissement"
        verbose_name_plural = "liens installation – établissement"
        ordering = ["installation", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["installation", "establishment"], name="decarbonation_one_link"),
            models.UniqueConstraint(
                fields=["installation"],
                condition=Q(status__in=["auto", "confirmed"]),
                name="decarbonation_one_sure_link",
            ),
        ]


class MajorEmitter(TimeStampedModel):
    """An installation on the Région's list of « 15 plus gros émetteurs » (under contract with the State).
    While a Région has no list, the top 15 by last verified emissions are proposed (`selectors`)."""
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+")
    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "gros émetteur (liste régionale)"
        verbose_name_plural = "gros émetteurs (liste régionale)"
        constraints = [
            models.UniqueConstraint(fields=["region", "installation"], name="decarbonation_one_major")
        ]


class Project(SharedObject):
    """A decarbonation project of a site, followed by an organisation (owner). Seen through the permission
    layer, and by the organisation of the company's current référent (`REFERENT_COMPANY_FIELDS`)."""

    COMMUNE_FIELD = "commune"
    REFERENT_COMPANY_FIELDS = ("company",)

    class Lever(models.TextChoices):
        EFFICIENCY = "efficiency", "efficacité énergétique"
        ELECTRIFICATION = "electrification", "électrification"
        HEAT_RECOVERY = "heat_recovery", "récupération de chaleur"
        BIOMASS = "biomass", "biomasse"
        CCS = "ccs", "captage et stockage du carbone"
        PROCESS = "process", "changement de procédé"
        FUEL_SWITCH = "fuel_switch", "changement de combustible"

    class Status(models.TextChoices):
        IDEA = "idea", "idée"
        STUDY = "study", "étude"
        AID_REQUESTED = "aid_requested", "aide demandée"
        FUNDED = "funded", "financé"
        WORKS = "works", "travaux"
        DONE = "done", "réalisé"
        ABANDONED = "abandoned", "abandonné"

    installation = models.ForeignKey(
        Installation, verbose_name="installation", on_delete=models.PROTECT, related_name="projects"
    )
    company = models.ForeignKey(
        "companies.Company",
        verbose_name="entreprise",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decarbonation_projects",
        db_constraint=False,
    )
    commune = models.ForeignKey(
        "territories.Commune", verbose_name="commune", null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField("intitulé", max_length=200)
    lever = models.CharField("levier", max_length=20, choices=Lever.choices)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.IDEA)
    investment_eur = models.DecimalField(
        "investissement (€)", max_digits=14, decimal_places=0, null=True, blank=True
    )
    aid_requested_eur = models.DecimalField(
        "aide demandée (€)", max_digits=14, decimal_places=0, null=True, blank=True
    )
    aid_granted_eur = models.DecimalField(
        "aide accordée (€)", max_digits=14, decimal_places=0, null=True, blank=True
    )
    aid_scheme = models.CharField("dispositif d'aide", max_length=200, blank=True)
    expected_t_per_year = models.FloatField("émissions évitées attendues (tCO2e/an)")
    start_year = models.PositiveSmallIntegerField("année de mise en service")
    realised_t_per_year = models.FloatField("émissions évitées constatées (tCO2e/an)", null=True, blank=True)
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "projet de décarbonation"
        verbose_name_plural = "projets de décarbonation"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def aid_per_tonne_eur(self) -> float | None:
        """€ of aid granted (else requested) per tCO2e avoided each year."""
        aid = self.aid_granted_eur if self.aid_granted_eur is not None else self.aid_requested_eur
        avoided = self.realised_t_per_year or self.expected_t_per_year
        if aid is None or not avoided:
            return None
        return float(aid) / avoided
