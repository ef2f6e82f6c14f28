"""The CNIG Sites économiques inventory: POLE-ECO → SITE-ECO → TERRAIN-ECO → ETABLISSEMENT.

One Django field per standard column, named after it (`SIRET` → `siret`, `ban-id` → `ban_id`); the links are
foreign keys (`pole_eco`, `site_eco`, `terrain_eco`) and the geometry columns are `GeometryFields` (WGS84
GeoJSON with derived columns). `oui`/`non` columns are nullable booleans, `%Y` dates are years. Each object is
owned by the producing EPCI's organisation and placed in a commune for the permission layer.
"""

from django.db import models

from tandem.core.geo import GeometryFields
from tandem.land.models.extensions import SiteSelectionExtensions
from tandem.land.models.layers import ComputedDistances
from tandem.land.standard import enum_choices
from tandem.organizations.models import SharedObject


class InventoryObject(SharedObject, GeometryFields):
    """Common columns of the inventory's objects: owner, commune, geometry, the vintage that last wrote it."""

    COMMUNE_FIELD = "commune"
    REGION_INVENTORY = True  # shared « avec la Région »: the Région's bodies read it too (permissions.md)
    TABLE = ""
    PERSONAL_FIELDS: tuple[str, ...] = ()

    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_vintage = models.ForeignKey(
        "land.Vintage",
        verbose_name="dernier millésime",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class Pole(InventoryObject):
    """POLE-ECO: a cluster of economic sites (geometry: the standard's point `pole_geompoint`)."""

    TABLE = "pole-eco"

    pole_id = models.CharField("identifiant", max_length=50)
    pole_nom = models.TextField("nom")
    pole_vocadomi = models.CharField(
        "vocation dominante", max_length=30, choices=enum_choices("pole-eco", "pole_vocadomi")
    )
    pole_identif_date = models.DateField("date d'identification", null=True, blank=True)
    pole_actu_date = models.DateField("date de dernière actualisation", null=True, blank=True)
    pole_nb_site = models.FloatField("nombre de sites", null=True, blank=True)
    pole_nb_etab = models.FloatField("nombre d'établissements", null=True, blank=True)
    pole_nb_emploi = models.FloatField("nombre d'emploi", null=True, blank=True)
    pole_surface = models.FloatField("surface", null=True, blank=True)
    pole_rayonnement = models.CharField(
        "rayonnement", max_length=20, choices=enum_choices("pole-eco", "pole_rayonnement"), blank=True
    )

    class Meta:
        verbose_name = "pôle économique"
        verbose_name_plural = "pôles économiques"
        ordering = ["pole_nom"]
        constraints = [models.UniqueConstraint(fields=["owner", "pole_id"], name="land_pole_unique_id")]

    def __str__(self) -> str:
        return self.pole_nom


class Site(InventoryObject, SiteSelectionExtensions, ComputedDistances):
    """SITE-ECO: a business zone (ZAE) or another economic site (geometry: `site_geomsurf`)."""

    TABLE = "site-eco"

    site_id = models.CharField("identifiant du site", max_length=50)
    site_nom = models.TextField("nom du site")
    site_type = models.CharField("type de site", max_length=40, choices=enum_choices("site-eco", "site_type"))
    site_vocadomi = models.CharField(
        "vocation dominante", max_length=30, choices=enum_choices("site-eco", "site_vocadomi")
    )
    site_etat = models.CharField("état du site", max_length=30, choices=enum_choices("site-eco", "site_etat"))
    site_surf_brute = models.FloatField("superficie totale", null=True, blank=True)
    site_surf_utile = models.FloatField("superficie utile", null=True, blank=True)
    site_creation_date = models.PositiveSmallIntegerField("année de création (année)", null=True, blank=True)
    site_identif_date = models.DateField("date d'identification", null=True, blank=True)
    site_actu_date = models.DateField("date d’actualisation", null=True, blank=True)
    source_producteur = models.TextField("producteur de la donnée", blank=True)
    site_description = models.TextField("commentaire libre", blank=True)
    site_quali_territoire = models.TextField("labellisation territoriale", blank=True)
    site_evol_urba = models.CharField(
        "type d’urbanisation", max_length=30, choices=enum_choices("site-eco", "site_evol_urba"), blank=True
    )
    site_url = models.TextField("page web", blank=True)
    site_epci_nom = models.TextField("nom de l’EPCI compétent")
    site_epci_siren = models.CharField("code SIREN de l’EPCI compétent", max_length=9)
    site_comm_nom = models.TextField("nom de la commune")
    site_comm_insee = models.CharField("code INSEE de la commune", max_length=5)
    site_moa_type = models.CharField(
        "type de maîtrise d'ouvrage", max_length=40, choices=enum_choices("site-eco", "site_moa_type")
    )
    site_moa_nom = models.TextField("nom du gestionnaire", blank=True)
    site_moa_amngt = models.TextField("nom de l’aménageur", blank=True)
    site_moa_comm = models.TextField("nom du vendeur", blank=True)
    site_uf_nbre = models.FloatField("nombre d'unités foncières", null=True, blank=True)
    site_uf_vacant_nbre = models.FloatField("nombre d'unités foncières vacantes", null=True, blank=True)
    site_taux_vacance = models.FloatField("taux de vacance", null=True, blank=True)
    site_uf_bati_nbre = models.FloatField("nombre d'unités foncières bâties", null=True, blank=True)
    site_nb_etab = models.FloatField("nombre d’établissements", null=True, blank=True)
    site_nb_emploi = models.FloatField("nombre d'emplois", null=True, blank=True)
    site_media = models.TextField("médias", blank=True)
    site_surf_comm_dispo = models.FloatField("surface commercialisable", null=True, blank=True)
    site_surf_projet = models.FloatField("surface réservée", null=True, blank=True)
    site_voca_industrielle = models.BooleanField("présence activité industrielle", null=True, blank=True)
    site_voca_commerciale = models.BooleanField("présence activité commerciale", null=True, blank=True)
    site_voca_tertiaire = models.BooleanField("présence activité tertiaire", null=True, blank=True)
    site_voca_artisanale = models.BooleanField("présence activité artisanale", null=True, blank=True)
    site_voca_touristique = models.BooleanField("présence activité touristique", null=True, blank=True)
    site_voca_portuaire = models.BooleanField("présence activité portuaire", null=True, blank=True)
    site_voca_aeroportuaire = models.BooleanField("présence activité aéroportuaire", null=True, blank=True)
    reseau_eau_pluviale = models.BooleanField("présence réseau d'eau pluviale", null=True, blank=True)
    reseau_eau_potable = models.BooleanField("présence réseau d'eau potable", null=True, blank=True)
    reseau_assainissement = models.BooleanField("présence réseau d'assainissement", null=True, blank=True)
    reseau_gaz = models.BooleanField("présence réseau de gaz", null=True, blank=True)
    reseau_electrique = models.BooleanField("présence réseau électrique", null=True, blank=True)
    reseau_fibre_optique = models.BooleanField("présence réseau de fibre optique", null=True, blank=True)
    reseau_fret_ferroviaire = models.BooleanField("présence d’une ITE", null=True, blank=True)
    reseau_fluvial = models.BooleanField("présence d’un réseau fluvial", null=True, blank=True)
    desserte_tc = models.BooleanField("présence de transport en commun", null=True, blank=True)
    desserte_route_nom = models.TextField("desserte routière principale", blank=True)
    autoroute_nom = models.TextField("autoroute la plus proche", blank=True)
    autoroute_echang_dist = models.FloatField("échangeur le plus proche", null=True, blank=True)
    gare_nom = models.TextField("gare de voyageurs", blank=True)
    gare_dist = models.FloatField("distance à la gare de voyageurs", null=True, blank=True)
    gare_fret_nom = models.TextField("gare de fret", blank=True)
    gare_fret_dist = models.FloatField("distance à la gare de fret", null=True, blank=True)
    aeroport_nom = models.TextField("aéroport", blank=True)
    aeroport_dist = models.FloatField("distance à l’aéroport", null=True, blank=True)
    port_nom = models.TextField("port", blank=True)
    port_dist = models.FloatField("distance au port", null=True, blank=True)
    pole_eco = models.ForeignKey(
        Pole,
        verbose_name="pôle économique",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites",
    )
    site_geompoint_lon = models.FloatField("point représentatif (longitude)", null=True, blank=True)
    site_geompoint_lat = models.FloatField("point représentatif (latitude)", null=True, blank=True)

    class Meta:
        verbose_name = "site économique"
        verbose_name_plural = "sites économiques"
        ordering = ["site_nom"]
        constraints = [models.UniqueConstraint(fields=["owner", "site_id"], name="land_site_unique_id")]

    def __str__(self) -> str:
        return self.site_nom


class Terrain(InventoryObject, SiteSelectionExtensions, ComputedDistances):
    """TERRAIN-ECO: a plot inside a site (geometry: `terr_geomsurf`).

    The buyer and the sale figures are personal data: they stay in the owning organisation unless it sets
    `personal_shared`.
    """

    TABLE = "terrain-eco"
    PERSONAL_FIELDS = ("terr_acquereur", "terr_vente_montant", "terr_m2_prix")

    terr_id = models.CharField("identifiant du terrain", max_length=50)
    terr_refcad = models.TextField("liste des parcelles", blank=True)
    terr_surf_brute = models.FloatField("superficie brute", null=True, blank=True)
    terr_utile = models.BooleanField("superficie à prendre en compte", null=True, blank=True)
    terr_identif_date = models.DateField("date d’identification", null=True, blank=True)
    terr_actu_date = models.DateField("date d’actualisation", null=True, blank=True)
    terr_maitrise_fonc = models.CharField(
        "maîtrise foncière", max_length=70, choices=enum_choices("terrain-eco", "terr_maitrise_fonc")
    )
    terr_stade_amngt = models.CharField(
        "stade d’aménagement", max_length=30, choices=enum_choices("terrain-eco", "terr_stade_amngt")
    )
    terr_stade_comm = models.CharField(
        "stade de commercialisation", max_length=40, choices=enum_choices("terrain-eco", "terr_stade_comm")
    )
    terr_etat_occup = models.CharField(
        "état d'occupation", max_length=30, choices=enum_choices("terrain-eco", "terr_etat_occup")
    )
    terr_usage = models.CharField(
        "usage du terrain", max_length=50, choices=enum_choices("terrain-eco", "terr_usage")
    )
    terr_url_cartofriches = models.TextField("URL de la friche dans cartofriches", blank=True)
    terr_cle_en_main = models.BooleanField("terrain clé en main", null=True, blank=True)
    terr_acquereur = models.TextField("nom de l'acquéreur", blank=True)
    terr_cession_date = models.DateField("date de la cession", null=True, blank=True)
    terr_vente_montant = models.FloatField("montant de la vente", null=True, blank=True)
    terr_m2_prix = models.FloatField("prix au m²", null=True, blank=True)
    site_eco = models.ForeignKey(
        Site, verbose_name="site économique", on_delete=models.CASCADE, related_name="terrains"
    )
    personal_shared = models.BooleanField("données personnelles partagées par le propriétaire", default=False)

    class Meta:
        verbose_name = "terrain économique"
        verbose_name_plural = "terrains économiques"
        ordering = ["terr_id"]
        constraints = [models.UniqueConstraint(fields=["owner", "terr_id"], name="land_terrain_unique_id")]

    def __str__(self) -> str:
        return self.terr_id


class Etablissement(InventoryObject):
    """ETABLISSEMENT: a SIRET occupying a terrain (geometry: `etab_geompoint`).

    `terr_id` keeps the standard's text (it may list several terrains, `|`-separated); `terrain_eco` is the
    first of them.
    """

    TABLE = "etablissement"

    siret = models.CharField("code SIRET", max_length=14)
    siren = models.CharField("code SIREN", max_length=9)
    terr_id = models.TextField("liste des terrains (identifiants, séparés par |)")
    ban_id = models.CharField("référence à la base adresse", max_length=50, blank=True)
    bat_id = models.CharField("référence au RNB", max_length=50, blank=True)
    etab_adresse = models.TextField("adresse", blank=True)
    etab_raison_sociale = models.TextField("raison sociale")
    etab_nat_juridique = models.TextField("nature juridique")
    etab_nom = models.TextField("nom")
    epci_nom = models.TextField("nom de l’EPCI")
    epci_siren = models.CharField("code SIREN de l’EPCI", max_length=9)
    comm_nom = models.TextField("nom de la commune")
    comm_insee = models.CharField("code INSEE de la commune", max_length=5)
    etab_siege = models.BooleanField("qualité de siège", null=True, blank=True)
    etab_creation_date = models.DateField("date de création", null=True, blank=True)
    etab_identif_date = models.DateField("date d’identification", null=True, blank=True)
    etab_actu_date = models.DateField("date d’actualisation", null=True, blank=True)
    etab_actif = models.BooleanField("qualité d’activité", null=True, blank=True)
    etab_fermeture_date = models.DateField("date de fermeture", null=True, blank=True)
    etab_description = models.TextField("description", blank=True)
    etab_activite_code = models.TextField("code activité principale")
    etab_activite_libelle = models.TextField("libelle activité principale")
    etab_effectif_code = models.TextField("code tranche effectif")
    etab_effectif_libelle = models.TextField("libellé tranche effectif")
    etab_effectif_annee = models.PositiveSmallIntegerField(
        "millésime tranche effectif (année)", null=True, blank=True
    )
    etab_source_info = models.TextField("source information")
    geocodage_qualite = models.CharField(
        "qualité de localisation", max_length=40, choices=enum_choices("etablissement", "geocodage_qualite")
    )
    etab_contact_mail = models.TextField("adresse mail", blank=True)
    etab_contact_tel = models.TextField("contact téléphonique", blank=True)
    terrain_eco = models.ForeignKey(
        Terrain, verbose_name="terrain", on_delete=models.CASCADE, related_name="etablissements"
    )

    class Meta:
        verbose_name = "établissement"
        verbose_name_plural = "établissements"
        ordering = ["etab_nom"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "siret"], name="land_etablissement_unique_siret")
        ]

    def __str__(self) -> str:
        return f"{self.etab_nom} ({self.siret})"
