"""Who does what: operators (institutions, their offices and the territories each covers, the subjects they
handle and whom they serve), support schemes (with their versions and eligibility rules) and needs routed to a
partner with deadlines.

Operators, offices, subjects and schemes are the instance's shared reference (public to every user, edited by
the Région); a routing of a need is a `SharedObject` owned by the need's organisation and shared with the
partner organisation it was sent to (a partner sees only what was routed to it).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from tandem.core.models import TimeStampedModel
from tandem.organizations.models import Organization, SharedObject


class Subject(models.Model):
    """A topic a company can ask help on (Conseillers-Entreprises' subjects)."""

    slug = models.SlugField("identifiant", max_length=80, unique=True)
    label = models.CharField("sujet", max_length=150)
    description = models.CharField("description", max_length=255, blank=True)

    class Meta:
        verbose_name = "sujet d'accompagnement"
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Operator(TimeStampedModel):
    """An institution that supports companies (Région, State service, ADEME, Bpifrance, CCI, OPCO…)."""

    class Kind(models.TextChoices):
        REGION = "region", "Région"
        STATE = "etat", "service de l'État"
        AGENCY = "agence", "agence ou opérateur national"
        OPCO = "opco", "opérateur de compétences (OPCO)"
        CHAMBER = "chambre", "chambre consulaire (CCI, CMA, chambre d'agriculture)"
        BANK = "banque", "banque publique"
        WATER = "eau", "agence de l'eau"
        PROVIDER = "offreur", "offreur de solution"
        OTHER = "autre", "autre"

    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant", max_length=120, unique=True)
    siren = models.CharField("SIREN", max_length=9, blank=True, db_index=True)
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.OTHER)
    category = models.CharField("catégorie", max_length=120, blank=True)
    website = models.URLField("site internet", max_length=300, blank=True)
    email = models.EmailField("boîte fonctionnelle", blank=True, help_text="jamais l'adresse d'une personne")
    organization = models.ForeignKey(
        Organization,
        verbose_name="organisation partenaire dans Tandem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_operators",
    )
    subjects = models.ManyToManyField(
        Subject, verbose_name="sujets traités", blank=True, related_name="operators"
    )
    min_employees = models.PositiveIntegerField("effectif minimum", null=True, blank=True)
    max_employees = models.PositiveIntegerField("effectif maximum", null=True, blank=True)
    naf_sections = ArrayField(
        models.CharField(max_length=1), verbose_name="sections NAF servies", default=list, blank=True
    )
    min_age_years = models.PositiveSmallIntegerField("ancienneté minimale (années)", null=True, blank=True)
    # Solution providers (offreurs de solution) of the Région's Grand Est Transformation programmes.
    get_programme = models.CharField("programme Grand Est Transformation", max_length=200, blank=True)
    skills = ArrayField(
        models.CharField(max_length=120), verbose_name="compétences", default=list, blank=True
    )
    source = models.CharField("source", max_length=120, blank=True)
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)

    class Meta:
        verbose_name = "opérateur"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Office(TimeStampedModel):
    """A local office (antenne) of an operator and the territories it covers."""

    operator = models.ForeignKey(
        Operator, verbose_name="opérateur", on_delete=models.CASCADE, related_name="offices"
    )
    key = models.CharField("clé d'import", max_length=64, unique=True)
    name = models.CharField("nom", max_length=200)
    address = models.CharField("adresse", max_length=300, blank=True)
    email = models.EmailField("boîte fonctionnelle", blank=True)
    website = models.CharField("site internet", max_length=300, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name="organisation partenaire dans Tandem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="catalogue_offices",
    )
    subjects = models.ManyToManyField(
        Subject,
        verbose_name="sujets traités (à défaut, ceux de l'opérateur)",
        blank=True,
        related_name="offices",
    )
    regions = models.ManyToManyField(
        "territories.Region", verbose_name="régions couvertes", blank=True, related_name="+"
    )
    departements = models.ManyToManyField(
        "territories.Departement", verbose_name="départements couverts", blank=True, related_name="+"
    )
    epcis = models.ManyToManyField(
        "territories.Epci", verbose_name="EPCI couverts", blank=True, related_name="+"
    )
    communes = models.ManyToManyField(
        "territories.Commune", verbose_name="communes couvertes", blank=True, related_name="+"
    )
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)

    class Meta:
        verbose_name = "antenne"
        ordering = ["operator__name", "name"]

    def __str__(self) -> str:
        return f"{self.operator.name} — {self.name}"


class IdccOpco(models.Model):
    """Which OPCO (by SIREN) collects the training contributions of a collective agreement (IDCC)."""

    idcc = models.CharField("IDCC", max_length=4, primary_key=True)
    opco_siren = models.CharField("SIREN de l'OPCO", max_length=9)

    class Meta:
        verbose_name = "convention collective → OPCO"
        ordering = ["idcc"]

    def __str__(self) -> str:
        return f"IDCC {self.idcc}"


class Scheme(TimeStampedModel):
    """A support scheme. TEE programmes keep their record as published (`data`) and their publicodes rules."""

    class Source(models.TextChoices):
        TEE = "tee", "Mission Transition Écologique des Entreprises"
        AIDES_TERRITOIRES = "aides_territoires", "Aides-territoires"
        GRAND_EST = "grand_est", "Région Grand Est (API des aides)"
        REGION = "region", "saisi par la Région"

    class Nature(models.TextChoices):
        STUDY = "etude", "étude, accompagnement"
        FINANCING = "financement", "financement"
        LOAN = "pret", "prêt"
        TAX = "fiscal", "avantage fiscal"
        TRAINING = "formation", "formation"
        ENGINEERING = "ingenierie", "ingénierie"
        OTHER = "autre", "autre"

    slug = models.SlugField("identifiant", max_length=200, unique=True)
    source = models.CharField("source", max_length=20, choices=Source.choices)
    title = models.CharField("titre", max_length=400)
    promise = models.TextField("promesse", blank=True)
    description = models.TextField("description", blank=True)
    nature = models.CharField("nature de l'aide", max_length=12, choices=Nature.choices, default=Nature.OTHER)
    operator = models.ForeignKey(
        Operator,
        verbose_name="opérateur de contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="schemes",
    )
    other_operators = models.ManyToManyField(
        Operator, verbose_name="autres opérateurs", blank=True, related_name="+"
    )
    financers = models.CharField("financeurs", max_length=400, blank=True)
    amount = models.TextField("montant", blank=True)
    valid_from = models.DateField("début de validité", null=True, blank=True)
    valid_until = models.DateField("fin de validité", null=True, blank=True)
    national = models.BooleanField("national", default=False)
    regions = ArrayField(
        models.CharField(max_length=100), verbose_name="régions éligibles", default=list, blank=True
    )
    beneficiaries = ArrayField(
        models.CharField(max_length=120), verbose_name="bénéficiaires", default=list, blank=True
    )
    objectives = ArrayField(
        models.CharField(max_length=20), verbose_name="objectifs", default=list, blank=True
    )
    subjects = models.ManyToManyField(Subject, verbose_name="sujets", blank=True, related_name="schemes")
    url = models.URLField("page de l'aide", max_length=500, blank=True)
    data = models.JSONField("fiche publiée", default=dict, blank=True)
    rules = models.JSONField("règles d'éligibilité (publicodes)", default=dict, blank=True)
    own_rules = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    fingerprint = models.CharField("empreinte de la version", max_length=64, blank=True)
    published = models.BooleanField("publié par la source", default=True)
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)

    class Meta:
        verbose_name = "dispositif"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def has_rules(self) -> bool:
        return bool(self.own_rules)


class SchemeVersion(models.Model):
    """Each version of a scheme's record seen by an import (or written by the Région)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="versions")
    fingerprint = models.CharField("empreinte", max_length=64)
    data = models.JSONField("fiche", default=dict)
    run = models.ForeignKey(
        "imports.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("enregistrée le", auto_now_add=True)

    class Meta:
        verbose_name = "version de dispositif"
        ordering = ["scheme", "-recorded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "fingerprint"], name="scheme_version_once")]

    def __str__(self) -> str:
        return f"version {self.fingerprint} de {self.scheme_id}"


class NeedRouting(SharedObject):
    """A need sent to a partner organisation (or an office's mailbox outside Tandem), with its deadlines.

    Owned by the need's organisation; shared with the partner organisation, which sees it (and the need) and
    answers it. Reminders at D+9 and D+21, return to the sender as « sans réponse » at D+45 (periodic job)."""

    COMMUNE_FIELD = "commune"

    class Status(models.TextChoices):
        SENT = "sent", "envoyé"
        TAKEN = "taken", "pris en charge"
        REFUSED = "refused", "refusé"
        CLOSED = "closed", "clôturé"
        UNANSWERED = "unanswered", "sans réponse"

    class Outcome(models.TextChoices):
        GRANTED = "granted", "aide accordée"
        REFUSED = "refused", "aide refusée"
        NOT_RELEVANT = "not_relevant", "sans objet"
        DONE = "done", "accompagnement réalisé"

    OPEN_STATUSES = (Status.SENT, Status.TAKEN)

    need = models.ForeignKey(
        "companies.Need", verbose_name="besoin", on_delete=models.CASCADE, related_name="routings"
    )
    company = models.ForeignKey(
        "companies.Company", verbose_name="entreprise", on_delete=models.CASCADE, related_name="+"
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
    partner = models.ForeignKey(
        Organization,
        verbose_name="partenaire",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    office = models.ForeignKey(
        Office,
        verbose_name="antenne",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routings",
    )
    scheme = models.ForeignKey(
        Scheme,
        verbose_name="dispositif proposé",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField("message au partenaire", blank=True)
    status = models.CharField("état", max_length=12, choices=Status.choices, default=Status.SENT)
    sent_on = models.DateField("envoyé le")
    answered_on = models.DateField("pris en charge le", null=True, blank=True)
    closed_on = models.DateField("clôturé le", null=True, blank=True)
    outcome = models.CharField("résultat", max_length=15, choices=Outcome.choices, blank=True)
    amount_eur = models.DecimalField(
        "montant accordé (€)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    answer = models.TextField("réponse du partenaire", blank=True)
    reminded_9_at = models.DateTimeField("relance J+9 envoyée le", null=True, blank=True)
    reminded_21_at = models.DateTimeField("relance J+21 envoyée le", null=True, blank=True)
    returned_at = models.DateTimeField("retour sans réponse le", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="envoyé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="répondu par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "orientation d'un besoin"
        verbose_name_plural = "orientations des besoins"
        ordering = ["-sent_on", "-id"]
        indexes = [models.Index(fields=["status", "sent_on"])]

    def __str__(self) -> str:
        return f"orientation n° {self.pk} du besoin {self.need_id}"

    @property
    def partner_name(self) -> str:
        if self.partner_id:
            return self.partner.name
        return str(self.office) if self.office_id else ""
