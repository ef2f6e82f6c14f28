"""The SIRENE stock file layouts (INSEE « dessins de fichier », 2024 release) and how each column is read.

Pure Python (no Django): the official column order (for the generator and for conformance tests) and, per
target field, the source column and the rule a value must follow. The importer turns these rules into SQL;
columns are matched by name, so extra or reordered columns (newer releases add some, e.g. the NAF 2025 code)
are ignored, and optional columns missing from older releases read as empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from tandem.companies.nomenclatures import HEADCOUNT_BANDS

# The 53 columns of StockEtablissement (2024), in INSEE's order.
ETABLISSEMENT_COLUMNS = (
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement", "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement", "etablissementSiege", "nombrePeriodesEtablissement",
    "complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement", "indiceRepetitionDernierNumeroVoieEtablissement", "typeVoieEtablissement",
    "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement", "distributionSpecialeEtablissement", "codeCommuneEtablissement",
    "codeCedexEtablissement", "libelleCedexEtablissement", "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement", "identifiantAdresseEtablissement", "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement", "complementAdresse2Etablissement", "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement", "typeVoie2Etablissement", "libelleVoie2Etablissement",
    "codePostal2Etablissement", "libelleCommune2Etablissement", "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement", "codeCommune2Etablissement", "codeCedex2Etablissement",
    "libelleCedex2Etablissement", "codePaysEtranger2Etablissement", "libellePaysEtranger2Etablissement",
    "dateDebut", "etatAdministratifEtablissement", "enseigne1Etablissement", "enseigne2Etablissement",
    "enseigne3Etablissement", "denominationUsuelleEtablissement", "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement", "caractereEmployeurEtablissement",
)  # fmt: skip

# The 33 columns of StockUniteLegale (2024), in INSEE's order.
UNITE_LEGALE_COLUMNS = (
    "siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale", "sigleUniteLegale",
    "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale", "prenom4UniteLegale",
    "prenomUsuelUniteLegale", "pseudonymeUniteLegale", "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale", "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale", "categorieEntreprise", "anneeCategorieEntreprise", "dateDebut",
    "etatAdministratifUniteLegale", "nomUniteLegale", "nomUsageUniteLegale", "denominationUniteLegale",
    "denominationUsuelle1UniteLegale", "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale", "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale", "economieSocialeSolidaireUniteLegale", "caractereEmployeurUniteLegale",
)  # fmt: skip

# INSEE's geolocated stock (« GeolocalisationEtablissement_Sirene_pour_etudes_statistiques », `;`-separated).
GEOLOCALISATION_COLUMNS = (
    "siret", "x", "y", "qualite_xy", "epsg", "plg_qp", "plg_iris", "plg_zus", "plg_qva", "plg_code_commune",
    "distance_precision", "qualite_qp", "qualite_iris", "qualite_zus", "qualite_qva", "y_latitude", "x_longitude",
)  # fmt: skip

NOT_DIFFUSED = "[ND]"  # INSEE's placeholder for a protected value

BANDS = tuple(HEADCOUNT_BANDS)
NUMBER_RE = r"^-?\d{1,9}(\.\d+)?$"


@dataclass(frozen=True)
class Field:
    """How one target field is read: from `source` (a column name), by `kind`, with an optional rule.

    kinds: text (max length `arg`), digits (exactly `arg` digits), choice (one of `arg`), commune (INSEE
    code), date (AAAA-MM-JJ), datetime, year, int, bool (« true » / « false »), number.
    `required`: the value may not be empty. `protected`: blanked unless diffusible.
    """

    target: str
    source: str
    kind: str
    arg: object = None
    required: bool = False
    protected: bool = False
    message: str = ""


_ON = ("O", "N")
_ON_MESSAGE = "valeur attendue : O ou N"
_DIFFUSION = ("O", "P", "N")
_DIFFUSION_MESSAGE = "statut attendu : O, P ou N"

ETABLISSEMENT_FIELDS = (
    Field("siret", "siret", "digits", 14, True, message="le SIRET doit compter 14 chiffres"),
    Field("siren", "siren", "digits", 9, True, message="le SIREN doit compter 9 chiffres"),
    Field("nic", "nic", "digits", 5, True, message="le NIC doit compter 5 chiffres"),
    Field(
        "diffusion", "statutDiffusionEtablissement", "choice", _DIFFUSION, True, message=_DIFFUSION_MESSAGE
    ),
    Field("is_head_office", "etablissementSiege", "bool", required=True),
    Field(
        "state", "etatAdministratifEtablissement", "choice", ("A", "F"), True, message="état attendu : A ou F"
    ),
    Field("state_since", "dateDebut", "date"),
    Field("created_on", "dateCreationEtablissement", "date"),
    Field("naf", "activitePrincipaleEtablissement", "text", 6),
    Field("naf_nomenclature", "nomenclatureActivitePrincipaleEtablissement", "text", 8),
    Field("crafts_naf", "activitePrincipaleRegistreMetiersEtablissement", "text", 6),
    Field(
        "headcount_band",
        "trancheEffectifsEtablissement",
        "choice",
        BANDS,
        message="tranche d'effectif inconnue",
    ),
    Field("headcount_year", "anneeEffectifsEtablissement", "year"),
    Field("employer", "caractereEmployeurEtablissement", "choice", _ON, message=_ON_MESSAGE),
    Field("signboard1", "enseigne1Etablissement", "text", 50, protected=True),
    Field("signboard2", "enseigne2Etablissement", "text", 50, protected=True),
    Field("signboard3", "enseigne3Etablissement", "text", 50, protected=True),
    Field("usual_name", "denominationUsuelleEtablissement", "text", 100, protected=True),
    Field("address_complement", "complementAdresseEtablissement", "text", 38, protected=True),
    Field("street_number", "numeroVoieEtablissement", "text", 10, protected=True),
    Field("street_number_suffix", "indiceRepetitionEtablissement", "text", 5, protected=True),
    Field("street_type", "typeVoieEtablissement", "text", 4, protected=True),
    Field("street_name", "libelleVoieEtablissement", "text", 100, protected=True),
    Field("postcode", "codePostalEtablissement", "text", 5),
    Field("commune_label", "libelleCommuneEtablissement", "text", 100),
    Field("special_distribution", "distributionSpecialeEtablissement", "text", 26, protected=True),
    Field("cedex_code", "codeCedexEtablissement", "text", 9, protected=True),
    Field("cedex_label", "libelleCedexEtablissement", "text", 100, protected=True),
    Field("foreign_country_code", "codePaysEtrangerEtablissement", "text", 5),
    Field("foreign_country_label", "libellePaysEtrangerEtablissement", "text", 100),
    Field("address_id", "identifiantAdresseEtablissement", "text", 40, protected=True),
    Field(
        "commune_code",
        "codeCommuneEtablissement",
        "commune",
        message="code commune INSEE attendu (5 caractères)",
    ),
    Field("lambert_x", "coordonneeLambertAbscisseEtablissement", "number", protected=True),
    Field("lambert_y", "coordonneeLambertOrdonneeEtablissement", "number", protected=True),
    # Present in Etalab's geolocated « géo-SIRENE » files, which append columns to the official layout.
    Field("latitude", "latitude", "number", protected=True),
    Field("longitude", "longitude", "number", protected=True),
    Field("periods_count", "nombrePeriodesEtablissement", "int"),
    Field("registry_processed_at", "dateDernierTraitementEtablissement", "datetime"),
)
ETABLISSEMENT_REQUIRED_COLUMNS = (
    "siren",
    "nic",
    "siret",
    "etatAdministratifEtablissement",
    "codeCommuneEtablissement",
)

UNITE_LEGALE_FIELDS = (
    Field("siren", "siren", "digits", 9, True, message="le SIREN doit compter 9 chiffres"),
    Field("diffusion", "statutDiffusionUniteLegale", "choice", _DIFFUSION, True, message=_DIFFUSION_MESSAGE),
    Field("purged", "unitePurgeeUniteLegale", "bool"),
    Field("created_on", "dateCreationUniteLegale", "date"),
    Field("acronym", "sigleUniteLegale", "text", 20),
    Field("sex", "sexeUniteLegale", "choice", ("M", "F"), protected=True, message="valeur attendue : M ou F"),
    Field("first_name1", "prenom1UniteLegale", "text", 20, protected=True),
    Field("first_name", "prenomUsuelUniteLegale", "text", 20, protected=True),
    Field("pseudonym", "pseudonymeUniteLegale", "text", 100, protected=True),
    Field("association_id", "identifiantAssociationUniteLegale", "text", 10),
    Field(
        "headcount_band",
        "trancheEffectifsUniteLegale",
        "choice",
        BANDS,
        message="tranche d'effectif inconnue",
    ),
    Field("headcount_year", "anneeEffectifsUniteLegale", "year"),
    Field("registry_processed_at", "dateDernierTraitementUniteLegale", "datetime"),
    Field("periods_count", "nombrePeriodesUniteLegale", "int"),
    Field(
        "company_category",
        "categorieEntreprise",
        "choice",
        ("PME", "ETI", "GE"),
        message="catégorie attendue : PME, ETI ou GE",
    ),
    Field("company_category_year", "anneeCategorieEntreprise", "year"),
    Field("state_since", "dateDebut", "date"),
    Field(
        "state", "etatAdministratifUniteLegale", "choice", ("A", "C"), True, message="état attendu : A ou C"
    ),
    Field("last_name", "nomUniteLegale", "text", 100, protected=True),
    Field("usage_name", "nomUsageUniteLegale", "text", 100, protected=True),
    Field("name", "denominationUniteLegale", "text", 120),
    Field("usual_name", "denominationUsuelle1UniteLegale", "text", 70),
    Field(
        "legal_category", "categorieJuridiqueUniteLegale", "digits", 4, message="code à 4 chiffres attendu"
    ),
    Field("naf", "activitePrincipaleUniteLegale", "text", 6),
    Field("naf_nomenclature", "nomenclatureActivitePrincipaleUniteLegale", "text", 8),
    Field("head_office_nic", "nicSiegeUniteLegale", "digits", 5, message="le NIC doit compter 5 chiffres"),
    Field("ess", "economieSocialeSolidaireUniteLegale", "choice", _ON, message=_ON_MESSAGE),
    Field("employer", "caractereEmployeurUniteLegale", "choice", _ON, message=_ON_MESSAGE),
)
UNITE_LEGALE_REQUIRED_COLUMNS = ("siren", "statutDiffusionUniteLegale", "etatAdministratifUniteLegale")

GEOLOCALISATION_FIELDS = (
    Field("siret", "siret", "digits", 14, True, message="le SIRET doit compter 14 chiffres"),
    Field("lambert_x", "x", "number"),
    Field("lambert_y", "y", "number"),
    Field("geolocation_quality", "qualite_xy", "text", 20),
    Field("epsg", "epsg", "text", 6),
    Field("latitude", "y_latitude", "number"),
    Field("longitude", "x_longitude", "number"),
)
GEOLOCALISATION_REQUIRED_COLUMNS = ("siret", "x", "y")

KINDS = {
    "etablissement": (ETABLISSEMENT_FIELDS, ETABLISSEMENT_REQUIRED_COLUMNS),
    "unite_legale": (UNITE_LEGALE_FIELDS, UNITE_LEGALE_REQUIRED_COLUMNS),
    "geolocalisation": (GEOLOCALISATION_FIELDS, GEOLOCALISATION_REQUIRED_COLUMNS),
}


def detect_kind(header: list[str]) -> str | None:
    """Which SIRENE file a header belongs to (by column names), or None."""
    names = set(header)
    if {"siret", "nic", "etatAdministratifEtablissement"} <= names:
        return "etablissement"
    if {"siren", "etatAdministratifUniteLegale"} <= names:
        return "unite_legale"
    if {"siret", "x", "y"} <= names:
        return "geolocalisation"
    return None


def departement_of(commune_code: str) -> str:
    """The département of an INSEE commune code (3 characters overseas)."""
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]
