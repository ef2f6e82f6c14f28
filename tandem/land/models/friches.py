"""CNIG Friches (v1.0.6): brownfields, placed by their commune and linked to the ZAE they lie in."""

from django.db import models

from tandem.land.models.inventory import InventoryObject
from tandem.land.standard import enum_choices


class Friche(InventoryObject):
    """A brownfield site. Geometry: `geomsurf` when given, else the point `geompoint` (always kept in
    `geompoint_lon`/`geompoint_lat`).

    The owner's name is personal data when the owner is a natural person: it stays in the owning organisation
    unless it sets `personal_shared`.
    """

    TABLE = "friches"
    PERSONAL_FIELDS = ("proprio_nom",)

    site_id = models.CharField("identifiant du site", max_length=50)
    site_nom = models.TextField("nom du site")
    site_type = models.CharField("type de site", max_length=40, choices=enum_choices("friches", "site_type"))
    site_adresse = models.TextField("adresse du site", blank=True)
    site_identif_date = models.DateField("date d'identification du site", null=True, blank=True)
    site_actu_date = models.DateField("date de dernière actualisation", null=True, blank=True)
    site_url = models.TextField("URL du site", blank=True)
    site_ademe_url = models.TextField("URL de la fiche de l’ADEME", blank=True)
    site_securite = models.CharField(
        "type de sécurisation", max_length=70, choices=enum_choices("friches", "site_securite"), blank=True
    )
    site_occupation = models.CharField(
        "occupation du site", max_length=40, choices=enum_choices("friches", "site_occupation"), blank=True
    )
    site_statut = models.CharField(
        "statut du site", max_length=20, choices=enum_choices("friches", "site_statut"), blank=True
    )
    site_projet_url = models.TextField("site web d'un éventuel projet sur le site", blank=True)
    site_reconv_annee = models.PositiveSmallIntegerField(
        "année d'achèvement de reconversion (année)", null=True, blank=True
    )
    site_reconv_type = models.CharField(
        "type de reconversion", max_length=30, choices=enum_choices("friches", "site_reconv_type"), blank=True
    )
    activite_libelle = models.TextField("libellé des activités", blank=True)
    activite_code = models.TextField("code BASIAS des activités", blank=True)
    activite_fin_annee = models.PositiveSmallIntegerField(
        "année de fin d'activité (année)", null=True, blank=True
    )
    comm_nom = models.TextField("nom de la commune")
    comm_insee = models.CharField("code INSEE de la commune", max_length=5)
    bati_type = models.TextField("type de bâtiments", blank=True)
    bati_nombre = models.BigIntegerField("nombre de bâtiments", null=True, blank=True)
    bati_surface = models.BigIntegerField("surface des bâtiments", null=True, blank=True)
    bati_pollution = models.CharField(
        "pollution connue", max_length=10, choices=enum_choices("friches", "bati_pollution"), blank=True
    )
    bati_vacance = models.CharField(
        "état de vacance", max_length=20, choices=enum_choices("friches", "bati_vacance"), blank=True
    )
    bati_patrimoine = models.CharField(
        "présence de bâti patrimonial",
        max_length=40,
        choices=enum_choices("friches", "bati_patrimoine"),
        blank=True,
    )
    bati_etat = models.CharField(
        "dégradation des bâtiment", max_length=40, choices=enum_choices("friches", "bati_etat"), blank=True
    )
    local_ancien_annee = models.PositiveSmallIntegerField(
        "première année de construction (année)", null=True, blank=True
    )
    local_recent_annee = models.PositiveSmallIntegerField(
        "dernière année de construction (année)", null=True, blank=True
    )
    proprio_type = models.TextField("type de propriétaire", blank=True)
    proprio_personne = models.TextField("type de personne", blank=True)
    proprio_nom = models.TextField("nom du propriétaire", blank=True)
    sol_pollution_annee = models.PositiveSmallIntegerField(
        "année de la pollution du sol (année)", null=True, blank=True
    )
    sol_pollution_existe = models.CharField(
        "existence de pollution du sol",
        max_length=30,
        choices=enum_choices("friches", "sol_pollution_existe"),
        blank=True,
    )
    sol_pollution_origine = models.CharField(
        "origine de la pollution du sol",
        max_length=70,
        choices=enum_choices("friches", "sol_pollution_origine"),
        blank=True,
    )
    sol_pollution_commentaire = models.TextField("commentaire sur la pollution du sol", blank=True)
    sol_depollution_fiche = models.TextField("fiche de dépollution", blank=True)
    unite_fonciere_surface = models.BigIntegerField("surface de l'unité foncière", null=True, blank=True)
    unite_fonciere_refcad = models.TextField("liste des parcelles cadastrale", blank=True)
    urba_zone_type = models.CharField(
        "type de zone d'urbanisme",
        max_length=10,
        choices=enum_choices("friches", "urba_zone_type"),
        blank=True,
    )
    urba_zone_lib = models.TextField("libellé de la zone d'urbanisme", blank=True)
    urba_zone_formdomi = models.TextField("forme dominante de la zone", blank=True)
    urba_zaer = models.CharField(
        "situation en zone d'accélération des énergies renouvelables",
        max_length=10,
        choices=enum_choices("friches", "urba_zaer"),
    )
    urba_doc_type = models.CharField(
        "type de document d'urbanisme",
        max_length=10,
        choices=enum_choices("friches", "urba_doc_type"),
        blank=True,
    )
    desserte_distance = models.TextField("distances d'accès aux réseaux", blank=True)
    desserte_commentaire = models.TextField("desserte du site", blank=True)
    source_nom = models.TextField("nom de la source")
    source_url = models.TextField("URL de la source", blank=True)
    source_producteur = models.TextField("identification du producteur", blank=True)
    source_contact = models.TextField("adresse mail", blank=True)
    geompoint_lon = models.FloatField("point (longitude)", null=True, blank=True)
    geompoint_lat = models.FloatField("point (latitude)", null=True, blank=True)
    site_eco = models.ForeignKey(
        "land.Site",
        verbose_name="site économique",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="friches",
    )
    terrain_eco = models.ForeignKey(
        "land.Terrain",
        verbose_name="terrain",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="friches",
    )
    personal_shared = models.BooleanField("données personnelles partagées par le propriétaire", default=False)

    class Meta:
        verbose_name = "friche"
        verbose_name_plural = "friches"
        ordering = ["site_nom"]
        constraints = [models.UniqueConstraint(fields=["owner", "site_id"], name="land_friche_unique_id")]

    def __str__(self) -> str:
        return self.site_nom
