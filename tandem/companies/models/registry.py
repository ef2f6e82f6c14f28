"""The SIRENE registry (INSEE): companies (unités légales, SIREN) and establishments (SIRET), the import runs
that loaded them, and the changes seen between two vintages of the stock files.

Registry data is public reference data (Licence Ouverte), shown to every signed-in user, except what INSEE
protects: see `PROTECTED_ESTABLISHMENT_FIELDS` / `PROTECTED_COMPANY_FIELDS` and docs/companies-registry.md.
Follow-up data about a company (référents, exchanges, signals…) lives in other models, governed by the
permission layer.
"""

from django.contrib.gis.db import models as gis_models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db import models

from tandem.core.geo import LAMBERT93, WGS84, lambert93_point
from tandem.core.models import TimeStampedModel


class Diffusion(models.TextChoices):
    # INSEE `statutDiffusion…`: O = diffusible; P = partially diffusible (a natural person who asked that
    # their address and identity not be published); N = not diffusible (absent from the public stock files).
    DIFFUSIBLE = "O", "diffusible"
    PARTIAL = "P", "diffusion partielle"
    NOT_DIFFUSIBLE = "N", "non diffusible"


# Fields never shown for a `P` (or `N`) establishment: INSEE publishes only the commune and postcode of the
# address of a natural person who opposed diffusion, and no coordinates; the signboards often carry the
# person's name, so they are hidden as well.
PROTECTED_ESTABLISHMENT_FIELDS = (
    "address_complement",
    "street_number",
    "street_number_suffix",
    "street_type",
    "street_name",
    "special_distribution",
    "cedex_code",
    "cedex_label",
    "address_id",
    "lambert_x",
    "lambert_y",
    "latitude",
    "longitude",
    "signboard",
    "usual_name",
)
# A `P` legal unit of a natural person: identity fields are protected.
PROTECTED_COMPANY_FIELDS = ("last_name", "usage_name", "first_name", "pseudonym", "sex")


class CodeField(models.CharField):
    """A code (SIREN, SIRET, NAF…) compared byte by byte: `db_collation="C"`, cheaper to index than the
    database's libc collation, lets a plain btree index serve `LIKE 'prefix%'` (no varchar_pattern_ops "_like"
    twin needed). Foreign keys to such a primary key inherit the collation (ForeignKey.db_parameters asks the
    target field)."""

    def __init__(self, *args, db_collation="C", **kwargs):
        super().__init__(*args, db_collation=db_collation, **kwargs)


class RegistryImport(TimeStampedModel):
    """The registry side of one import run (`tandem.imports.models.ImportRun`: kind, file with its SHA-256,
    counts, problems, duration): vintage, territory and what the registry gained."""

    run = models.OneToOneField(
        "imports.ImportRun", verbose_name="import", on_delete=models.CASCADE, related_name="registry"
    )
    vintage = models.DateField("millésime", null=True, blank=True)
    departements = models.JSONField("départements retenus", default=list, blank=True)
    source = models.CharField("source", max_length=255, blank=True)
    licence = models.CharField("licence", max_length=100, blank=True)
    rows_read = models.PositiveBigIntegerField("lignes lues", default=0)
    rows_in_territory = models.PositiveBigIntegerField("lignes du territoire", default=0)
    changes_recorded = models.PositiveBigIntegerField("changements enregistrés", default=0)
    signals_created = models.PositiveIntegerField("signaux créés", default=0)

    class Meta:
        verbose_name = "import du répertoire"
        verbose_name_plural = "imports du répertoire"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.run} ({self.created_at:%Y-%m-%d})"


class Company(models.Model):
    """A legal unit (unité légale) of the SIRENE registry, keyed by SIREN.

    A row may exist with only its SIREN when its establishments were imported before its legal unit
    (`legal_unit_loaded` is then false). Database defaults (`db_default`) let the SIRENE import create such
    rows by giving the SIREN alone.
    """
    VISIBILITY_VERSIONED = True  # steering's live dashboard values are cached on its version

    class State(models.TextChoices):
        ACTIVE = "A", "active"
        CEASED = "C", "cessée"

    siren = CodeField("SIREN", max_length=9, primary_key=True)
    legal_unit_loaded = models.BooleanField("unité légale importée", default=False, db_default=False)
    diffusion = models.CharField(
        "statut de diffusion", max_length=1, choices=Diffusion.choices, default="O", db_default="O"
    )
    purged = models.BooleanField("unité purgée", default=False, db_default=False)
    name = models.CharField("dénomination", max_length=120, blank=True, default="", db_default="")
    acronym = models.CharField("sigle", max_length=20, blank=True, default="", db_default="")
    usual_name = models.CharField(
        "dénomination usuelle", max_length=70, blank=True, default="", db_default=""
    )
    last_name = models.CharField(
        "nom (personne physique)", max_length=100, blank=True, default="", db_default=""
    )
    usage_name = models.CharField("nom d'usage", max_length=100, blank=True, default="", db_default="")
    first_name = models.CharField("prénom usuel", max_length=20, blank=True, default="", db_default="")
    pseudonym = models.CharField("pseudonyme", max_length=100, blank=True, default="", db_default="")
    sex = models.CharField("sexe", max_length=1, blank=True, default="", db_default="")
    legal_category = models.CharField(
        "catégorie juridique", max_length=4, blank=True, default="", db_default=""
    )
    naf = CodeField("activité principale (APE)", max_length=6, blank=True, default="", db_default="")
    naf_nomenclature = models.CharField(
        "nomenclature de l'activité", max_length=8, blank=True, default="", db_default=""
    )
    headcount_band = models.CharField(
        "tranche d'effectif salarié", max_length=2, blank=True, default="", db_default=""
    )
    headcount_year = models.PositiveSmallIntegerField("année de la tranche d'effectif", null=True, blank=True)
    company_category = models.CharField(
        "catégorie d'entreprise (PME, ETI, GE)", max_length=3, blank=True, default="", db_default=""
    )
    company_category_year = models.PositiveSmallIntegerField("année de la catégorie", null=True, blank=True)
    state = models.CharField(
        "état administratif", max_length=1, choices=State.choices, blank=True, default="", db_default=""
    )
    state_since = models.DateField("état depuis le", null=True, blank=True)
    created_on = models.DateField("date de création", null=True, blank=True)
    ceased_on = models.DateField("date de cessation", null=True, blank=True)
    head_office_nic = models.CharField("NIC du siège", max_length=5, blank=True, default="", db_default="")
    ess = models.CharField(
        "économie sociale et solidaire (O/N)", max_length=1, blank=True, default="", db_default=""
    )
    employer = models.CharField(
        "caractère employeur (O/N)", max_length=1, blank=True, default="", db_default=""
    )
    association_id = models.CharField("numéro RNA", max_length=10, blank=True, default="", db_default="")
    periods_count = models.PositiveSmallIntegerField("nombre de périodes", null=True, blank=True)
    registry_processed_at = models.DateTimeField("dernier traitement SIRENE", null=True, blank=True)
    last_import = models.ForeignKey(
        RegistryImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "entreprise"
        ordering = ["siren"]
        # A Meta index rather than db_index=True, which would add a useless "_like" twin on PostgreSQL.
        indexes = [models.Index(fields=["naf"], name="companies_company_naf_idx")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.siren})"

    @property
    def is_natural_person(self) -> bool:
        return self.legal_category.startswith("1")

    @property
    def is_protected(self) -> bool:
        return self.diffusion != Diffusion.DIFFUSIBLE

    @property
    def display_name(self) -> str:
        """The public name: for a protected natural person, nothing identifying."""
        if self.name:
            return self.name
        if self.is_protected and self.is_natural_person:
            return "[non diffusible]"
        person = " ".join(p for p in (self.first_name, self.usage_name or self.last_name) if p)
        return person or self.usual_name or self.siren


class Establishment(models.Model):
    """An establishment (SIRET) of the SIRENE registry, with its current state and location."""

    # Every write moves the table's version on (database trigger, `organizations.versions`): the matching's
    # sector-ecosystem counts, cached in each process, are keyed on it.
    VISIBILITY_VERSIONED = True

    class State(models.TextChoices):
        ACTIVE = "A", "actif"
        CLOSED = "F", "fermé"

    siret = CodeField("SIRET", max_length=14, primary_key=True)
    # No database constraint: the importer creates the company of every establishment in the same
    # transaction, and a per-row foreign-key check would slow bulk loads of millions of rows.
    company = models.ForeignKey(
        Company,
        verbose_name="entreprise",
        on_delete=models.CASCADE,
        related_name="establishments",
        db_column="siren",
        db_constraint=False,
        db_index=False,  # the Meta index serves, without a "_like" twin
    )
    nic = models.CharField("NIC", max_length=5)
    diffusion = models.CharField("statut de diffusion", max_length=1, choices=Diffusion.choices, default="O")
    is_head_office = models.BooleanField("siège", default=False)
    state = models.CharField("état administratif", max_length=1, choices=State.choices)
    state_since = models.DateField("état depuis le (début de période)", null=True, blank=True)
    closed_on = models.DateField("fermé le", null=True, blank=True)
    created_on = models.DateField("date de création", null=True, blank=True)
    naf = CodeField("activité principale (APE)", max_length=6, blank=True)
    naf_nomenclature = models.CharField("nomenclature de l'activité", max_length=8, blank=True)
    crafts_naf = models.CharField("activité au répertoire des métiers", max_length=6, blank=True)
    headcount_band = models.CharField("tranche d'effectif salarié", max_length=2, blank=True)
    headcount_year = models.PositiveSmallIntegerField("année de la tranche d'effectif", null=True, blank=True)
    employer = models.CharField("caractère employeur (O/N)", max_length=1, blank=True)
    # INSEE's three signboards (50 characters each) joined by spaces.
    signboard = models.CharField("enseigne", max_length=152, blank=True)
    usual_name = models.CharField("dénomination usuelle", max_length=100, blank=True)
    # Address (first address only; INSEE's secondary address lines are not kept).
    address_complement = models.CharField("complément d'adresse", max_length=38, blank=True)
    street_number = models.CharField("numéro de voie", max_length=10, blank=True)
    street_number_suffix = models.CharField("indice de répétition", max_length=5, blank=True)
    street_type = models.CharField("type de voie", max_length=4, blank=True)
    street_name = models.CharField("libellé de voie", max_length=100, blank=True)
    postcode = models.CharField("code postal", max_length=5, blank=True)
    commune_label = models.CharField("libellé de la commune", max_length=100, blank=True)
    special_distribution = models.CharField("distribution spéciale", max_length=26, blank=True)
    cedex_code = models.CharField("code cedex", max_length=9, blank=True)
    cedex_label = models.CharField("libellé cedex", max_length=100, blank=True)
    foreign_country_code = models.CharField("code pays (étranger)", max_length=5, blank=True)
    foreign_country_label = models.CharField("pays (étranger)", max_length=100, blank=True)
    address_id = models.CharField("identifiant d'adresse (BAN)", max_length=40, blank=True)
    # The establishment's commune as in the file: perimeters filter on it (byte-ordered, see CodeField).
    commune_code = CodeField("code commune INSEE", max_length=5, blank=True)
    departement_code = models.CharField("code département", max_length=3, blank=True)
    # Set when the code is a commune of the loaded geography (a foreign or unknown code leaves it empty).
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="establishments",
        db_constraint=False,
        db_index=False,  # queries by commune use the commune_code index
    )
    # Lambert-93 (EPSG:2154) as in the stock file / geolocated stock, and WGS84.
    lambert_x = models.FloatField("abscisse Lambert-93", null=True, blank=True)
    lambert_y = models.FloatField("ordonnée Lambert-93", null=True, blank=True)
    latitude = models.FloatField("latitude", null=True, blank=True)
    longitude = models.FloatField("longitude", null=True, blank=True)
    # The establishment's point, generated by PostgreSQL from its Lambert-93 coordinates on every write (the
    # binary COPY of the SIRENE import included): in Lambert-93 for distances and spatial joins (GiST-indexed),
    # in WGS84 for maps (not indexed: each index rebuilt costs the first SIRENE load seconds).
    point_l93 = models.GeneratedField(
        expression=lambert93_point("lambert_x", "lambert_y"),
        output_field=gis_models.PointField(srid=LAMBERT93, null=True, blank=True, spatial_index=False),
        db_persist=True,
        verbose_name="point (Lambert-93)",
    )
    point = models.GeneratedField(
        expression=Transform(lambert93_point("lambert_x", "lambert_y"), WGS84),
        output_field=gis_models.PointField(srid=WGS84, null=True, blank=True, spatial_index=False),
        db_persist=True,
        verbose_name="point (WGS84)",
    )
    geolocation_quality = models.CharField("qualité de la géolocalisation", max_length=20, blank=True)
    periods_count = models.PositiveSmallIntegerField("nombre de périodes", null=True, blank=True)
    registry_processed_at = models.DateTimeField("dernier traitement SIRENE", null=True, blank=True)
    last_import = models.ForeignKey(
        RegistryImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "établissement"
        ordering = ["siret"]
        indexes = [
            models.Index(fields=["company"], name="companies_estab_siren_idx"),
            models.Index(fields=["commune_code"], name="companies_estab_commune_idx"),
            # "C" collation: serves `naf = …` and `naf LIKE '25.1%'`.
            models.Index(fields=["naf"], name="companies_estab_naf_idx"),
            GistIndex(fields=["point_l93"], name="companies_estab_point_l93_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.siret} — {self.commune_label}"

    @property
    def is_protected(self) -> bool:
        return self.diffusion != Diffusion.DIFFUSIBLE


class RegistryChange(models.Model):
    """A change of a company or an establishment seen when a newer SIRENE vintage was imported.

    Closures and headcount-band drops become fragility signals; creations and other changes feed the
    project reviews (« établissements créés ou fermés depuis la dernière revue »).
    """

    class Kind(models.TextChoices):
        CREATION = "creation", "apparition dans le répertoire"
        CLOSURE = "closure", "fermeture"
        REOPENING = "reopening", "réouverture"
        HEADCOUNT = "headcount", "changement de tranche d'effectif"
        NAF = "naf", "changement d'activité principale"
        COMMUNE = "commune", "transfert (changement de commune)"
        CESSATION = "cessation", "cessation de l'entreprise"

    run = models.ForeignKey(RegistryImport, on_delete=models.CASCADE, related_name="changes")
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="registry_changes", db_column="siren"
    )
    establishment = models.ForeignKey(
        Establishment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="registry_changes",
        db_column="siret",
    )
    kind = models.CharField("nature", max_length=20, choices=Kind.choices, db_index=True)
    old_value = models.CharField("ancienne valeur", max_length=20, blank=True)
    new_value = models.CharField("nouvelle valeur", max_length=20, blank=True)
    effective_on = models.DateField("date d'effet", null=True, blank=True)
    detected_at = models.DateTimeField("détecté le", auto_now_add=True)

    class Meta:
        verbose_name = "changement au répertoire"
        verbose_name_plural = "changements au répertoire"
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["kind", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.establishment_id or self.company_id}"
