"""Jobs and skills by territory (GPECT): the ROME referential, the tension indicators by ROME × bassin d'emploi
2019, and the actions partners record on a gap.

The BMO survey (hiring needs by FAP 2021 job and bassin) has ONE model, shared with the site matching's labour
criterion: `tandem.prospects.models.BmoBasin / BmoBasinCommune / BmoJob` (imported by `prospects.labour`).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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


class SectorSeekers(models.Model):
    """Job seekers of one activity sector (NAF sections, as France Travail labels them) in one 2019 bassin
    d'emploi: the sector view of the candidates' side (the tension file gives job seekers per ROME code). The
    source does not state its date (PROVENANCE: about 2022–2023)."""

    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    basin = models.ForeignKey(TensionBasin, on_delete=models.CASCADE, related_name="sector_seekers")
    sector = models.CharField("secteur d'activité", max_length=150)
    seekers = models.PositiveIntegerField("demandeurs d'emploi")

    class Meta:
        verbose_name = "demandeurs d'emploi par secteur"
        verbose_name_plural = "demandeurs d'emploi par secteur"
        ordering = ["basin", "sector"]
        constraints = [models.UniqueConstraint(fields=["basin", "sector"], name="skills_one_sector_per_basin")]

    def __str__(self) -> str:
        return f"{self.sector} — {self.basin_id}"


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


class FapPost(models.Model):
    """A post of the FAP 2021 nomenclature (Dares), with its family (FAP228) and domain (FAP86)."""

    code = models.CharField("code FAP341", max_length=6, primary_key=True)
    label = models.CharField("intitulé", max_length=250)
    family_code = models.CharField("famille (FAP228)", max_length=5, db_index=True)
    family_label = models.CharField("intitulé de la famille", max_length=250)
    domain_code = models.CharField("domaine (FAP86)", max_length=3)
    domain_label = models.CharField("intitulé du domaine", max_length=250)
    sector_code = models.CharField("grand domaine (FAP22)", max_length=1)
    sector_label = models.CharField("intitulé du grand domaine", max_length=250)

    class Meta:
        verbose_name = "poste FAP 2021"
        verbose_name_plural = "postes FAP 2021"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"


class RomeFapPair(models.Model):
    """A ROME code ↔ FAP 2021 family pair: proposed by the engine from labels and job titles (with its
    confidence and rank among the alternatives), or official (the Dares table, loaded by `import_rome_fap`)."""

    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Source(models.TextChoices):
        PROPOSED = "proposed", "proposé (à revoir)"
        OFFICIAL = "official", "officiel (Dares)"

    rome_code = models.CharField("code ROME", max_length=5, db_index=True)
    family_code = models.CharField("famille FAP 2021 (FAP228)", max_length=5)
    post_code = models.CharField("poste FAP 2021 le plus proche", max_length=6, blank=True)
    source = models.CharField("origine", max_length=10, choices=Source.choices)
    rank = models.PositiveSmallIntegerField("rang", default=1)
    score = models.FloatField("similarité", default=0.0)
    confidence = models.FloatField("confiance", default=0.0)
    proposed_at = models.DateTimeField("calculé le", auto_now=True)

    class Meta:
        verbose_name = "correspondance ROME ↔ FAP"
        verbose_name_plural = "correspondances ROME ↔ FAP"
        ordering = ["rome_code", "source", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["rome_code", "family_code", "source"], name="skills_one_pair_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rome_code} → {self.family_code} ({self.get_source_display()})"


class RomeFapReview(models.Model):
    """A Région user's decision on the proposed family of a ROME code: accepted, changed (to another family) or
    rejected (no FAP family fits). Keyed by ROME code, so it outlives a new proposal; it records the family the
    engine proposed when the person decided, which measures the proposal's precision."""

    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "acceptée"
        CHANGED = "changed", "corrigée"
        REJECTED = "rejected", "rejetée"

    rome_code = models.CharField("code ROME", max_length=5, primary_key=True)
    decision = models.CharField("décision", max_length=10, choices=Decision.choices)
    proposed_family = models.CharField("famille proposée lors de la revue", max_length=5, blank=True)
    family_code = models.CharField("famille retenue (FAP228)", max_length=5, blank=True)
    comment = models.TextField("commentaire", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField("revu le", auto_now=True)

    class Meta:
        verbose_name = "revue d'une correspondance ROME ↔ FAP"
        verbose_name_plural = "revues des correspondances ROME ↔ FAP"
        ordering = ["rome_code"]

    def __str__(self) -> str:
        return f"{self.rome_code} : {self.get_decision_display()}"


class Certification(models.Model):
    """A certification of Certif Info (Réseau des Carif-Oref): its main Formacode and up to five ROME codes."""

    code = models.CharField("code Certif Info", max_length=10, primary_key=True)
    label = models.CharField("intitulé", max_length=400)
    kind_label = models.CharField("type de diplôme", max_length=250, blank=True)
    rncp = models.CharField("code RNCP", max_length=10, blank=True, db_index=True)
    formacode = models.CharField("Formacode principal", max_length=5, blank=True)
    formacode_label = models.CharField("intitulé du Formacode", max_length=250, blank=True)
    rome_codes = ArrayField(
        models.CharField(max_length=5), verbose_name="codes ROME", default=list, blank=True
    )

    class Meta:
        verbose_name = "certification (Certif Info)"
        verbose_name_plural = "certifications (Certif Info)"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"


class FormacodeRome(models.Model):
    """Formacode ↔ ROME DERIVED from Certif Info (a certification's main Formacode × each of its ROME codes):
    a co-occurrence, not France Travail's official table; its weight is the share of the ROME code's
    certifications that carry the Formacode."""

    formacode = models.CharField("Formacode", max_length=5)
    formacode_label = models.CharField("intitulé du Formacode", max_length=250)
    rome_code = models.CharField("code ROME", max_length=5, db_index=True)
    certifications = models.PositiveIntegerField("certifications communes")
    share_of_rome = models.FloatField("part des certifications du métier")
    source = models.CharField("origine", max_length=40, default="dérivé (Certif Info)", editable=False)

    class Meta:
        verbose_name = "correspondance Formacode ↔ ROME (dérivée)"
        verbose_name_plural = "correspondances Formacode ↔ ROME (dérivées)"
        ordering = ["rome_code", "-certifications", "formacode"]
        constraints = [
            models.UniqueConstraint(fields=["formacode", "rome_code"], name="skills_one_formacode_rome")
        ]

    def __str__(self) -> str:
        return f"{self.formacode} ↔ {self.rome_code} (dérivé)"


class TrainingSession(models.Model):
    """A vocational training session of the regional offer (Carif-Oref layout, docs/skills.md), linked to ROME
    jobs through its certification. Public offer: no owner."""

    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class Funding(models.TextChoices):
        REGION = "region", "Région"
        OPCO = "opco", "OPCO"
        CPF = "cpf", "CPF"
        APPRENTICESHIP = "apprentissage", "apprentissage"
        OTHER = "autre", "autre"

    session_id = models.CharField("identifiant de session", max_length=60, primary_key=True)
    certification_code = models.CharField("code de certification (RNCP ou Certif Info)", max_length=12)
    certification = models.ForeignKey(
        Certification, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    formacode = models.CharField("Formacode", max_length=5, blank=True)
    title = models.CharField("intitulé", max_length=300)
    provider_name = models.CharField("organisme de formation", max_length=200)
    provider_siret = models.CharField("SIRET de l'organisme", max_length=14)
    commune_code = models.CharField("code INSEE de la commune", max_length=5, db_index=True)
    start_on = models.DateField("début")
    end_on = models.DateField("fin")
    places = models.PositiveIntegerField("places")
    places_filled = models.PositiveIntegerField("places pourvues", null=True, blank=True)
    funding = models.CharField("financement", max_length=14, choices=Funding.choices)
    rome_codes = ArrayField(
        models.CharField(max_length=5), verbose_name="métiers ROME", default=list, blank=True
    )
    demo = models.BooleanField("fictive (démonstration)", default=False)

    class Meta:
        verbose_name = "session de formation"
        verbose_name_plural = "sessions de formation"
        ordering = ["start_on", "session_id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_on:%d/%m/%Y})"

    @property
    def places_open(self) -> int:
        return max(self.places - (self.places_filled or 0), 0)


__all__ = [
    "Certification",
    "FapPost",
    "FormacodeRome",
    "RomeCode",
    "RomeFapPair",
    "RomeFapReview",
    "RomeTitle",
    "SectorSeekers",
    "SkillAction",
    "Tension",
    "TensionBasin",
    "TensionBasinCommune",
    "TrainingSession",
]
