"""Deterministic, clearly fictitious, standard-conforming Sites économiques inventories (and friches), placed
inside real communes of real EPCI. Used by the benchmark (national scale: 30,000 sites, 150,000 terrains,
60,000 établissements) and by the demo generator. Pure: no Django; the caller gives the communes.

Everything generated says it is fictitious: names start with « [fictif] », SIRET numbers start with 000.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from tandem.land.io import format_number, write_csv
from tandem.land.standard import SITES_ECONOMIQUES, TABLES
from tandem.land.validation import standard_columns

FICTITIOUS = "[fictif]"
STREETS = [
    "des Tilleuls",
    "du Moulin",
    "de la Gare",
    "des Forges",
    "du Canal",
    "des Vignes",
    "de l'Industrie",
]
SECTORS = ["chimie", "métallurgie", "agroalimentaire", "logistique", "énergie", "bois", "automobile", "santé"]
NAF = [
    ("2511Z", "Fabrication de structures métalliques"),
    ("1013A", "Préparation industrielle de produits à base de viande"),
    ("5210B", "Entreposage et stockage non frigorifique"),
    ("2229A", "Fabrication de pièces techniques en matières plastiques"),
    ("3312Z", "Réparation de machines et équipements mécaniques"),
    ("4941A", "Transports routiers de fret interurbains"),
]
EFFECTIFS = [
    ("11", "10 à 19 salariés"),
    ("12", "20 à 49 salariés"),
    ("21", "50 à 99 salariés"),
    ("22", "100 à 199 salariés"),
]
# Sale stages with their weights: a realistic mix, mostly sold and occupied.
STAGES = [
    ("vendu, commercialisation achevée", "occupé", "viabilisé et aménagé", 60),
    ("en vente", "inoccupé", "viabilisé non aménagé", 15),
    ("en vente avec contraintes", "inoccupé", "non aménagé, non viabilisé", 5),
    ("réservé par option de réservation", "inoccupé", "viabilisé et aménagé", 5),
    ("non commercialisé", "inoccupé", "non aménagé, non viabilisé", 10),
    ("non commercialisable", "vacant", "non aménageable", 5),
]


@dataclass(frozen=True)
class CommunePlace:
    code: str
    name: str
    epci_siren: str
    epci_name: str
    lon: float  # a point inside the commune
    lat: float


def _square(lon: float, lat: float, half_w: float, half_h: float) -> list:
    return [
        [round(lon - half_w, 6), round(lat - half_h, 6)],
        [round(lon + half_w, 6), round(lat - half_h, 6)],
        [round(lon + half_w, 6), round(lat + half_h, 6)],
        [round(lon - half_w, 6), round(lat + half_h, 6)],
        [round(lon - half_w, 6), round(lat - half_h, 6)],
    ]


def generate_inventory(
    *,
    communes: list[CommunePlace],
    n_sites: int,
    terrains_per_site: int = 5,
    etablissements_per_site: int = 2,
    sites_per_pole: int = 5,
    seed: int = 2026,
    extensions: bool = True,
) -> dict[str, list[dict]]:
    """Rows (standard column -> text) of the four tables. Sites are spread over `communes` in order, several
    per commune when there are fewer communes than sites; terrains split their site in strips."""
    rng = random.Random(seed)
    # EPCI by EPCI, so that the sites of a pole (consecutive sites) belong to one EPCI.
    communes = sorted(communes, key=lambda p: (p.epci_siren, p.code))
    tables: dict[str, list[dict]] = {t: [] for t in SITES_ECONOMIQUES}
    per_commune: dict[str, int] = {}
    pole_rows: dict[str, dict] = {}
    for n in range(n_sites):
        place = communes[n % len(communes)]
        k = per_commune[place.code] = per_commune.get(place.code, 0) + 1
        # Several sites of one commune sit side by side, about 400 m apart.
        lon = place.lon + 0.005 * ((k - 1) % 3 - 1) * (k > 1)
        lat = place.lat + 0.004 * ((k - 1) // 3) * (k > 1)
        pole_key = f"{place.epci_siren}-{n // sites_per_pole}"
        if pole_key not in pole_rows:
            pole_rows[pole_key] = {
                "pole_id": f"{place.code}_POLE-ECO_{len(pole_rows) + 1:05d}",
                "pole_nom": f"{FICTITIOUS} Pôle d'activités {place.name}",
                "pole_vocadomi": rng.choice(
                    ["industrielle", "mixte, sans dominante", "entrepôts, logistique"]
                ),
                "pole_identif_date": "2024-03-01",
                "pole_actu_date": "2025-09-30",
                "pole_nb_site": "0",
                "pole_surface": "0",
                "pole_geompoint": f"{lon:.6f}, {lat:.6f}",
                "pole_rayonnement": rng.choice(["local", "régional", "national"]),
            }
        pole = pole_rows[pole_key]
        pole["pole_nb_site"] = str(int(pole["pole_nb_site"]) + 1)
        half_w, half_h = 0.0015 + rng.random() * 0.001, 0.001 + rng.random() * 0.0008
        site_area_ha = round((2 * half_w * 73_000) * (2 * half_h * 111_000) / 10_000, 2)
        pole["pole_surface"] = format_number(round(float(pole["pole_surface"]) + site_area_ha, 2))
        site_id = f"{place.code}_SITE-ECO_{k:05d}"
        site = {
            "site_id": site_id,
            "pole_id": pole["pole_id"],
            "site_nom": f"{FICTITIOUS} ZA {rng.choice(STREETS)} n°{k}",
            "site_type": "zone d'activité économique",
            "site_vocadomi": rng.choice(["industrielle", "artisanale", "mixte", "entrepôts, logistique"]),
            "site_etat": "existant et actif",
            "site_surf_brute": format_number(site_area_ha),
            "site_surf_utile": format_number(round(site_area_ha * 0.85, 2)),
            "site_creation_date": str(rng.randint(1965, 2020)),
            "site_identif_date": "2024-03-01",
            "site_actu_date": "2025-09-30",
            "source_producteur": f"{FICTITIOUS} {place.epci_name}",
            "site_evol_urba": rng.choice(["extension urbaine", "renouvellement urbain", "mixte"]),
            "site_epci_nom": place.epci_name,
            "site_epci_siren": place.epci_siren,
            "site_comm_nom": place.name,
            "site_comm_insee": place.code,
            "site_moa_type": rng.choice(["epci", "commune", "société d'économie mixte"]),
            "site_uf_nbre": str(terrains_per_site),
            "site_geomsurf": json.dumps(
                {"type": "Polygon", "coordinates": [_square(lon, lat, half_w, half_h)]}
            ),
            "site_geompoint": f"{lon:.6f}, {lat:.6f}",
            "reseau_electrique": "oui",
            "reseau_eau_potable": "oui",
            "reseau_gaz": rng.choice(["oui", "non"]),
            "reseau_fibre_optique": rng.choice(["oui", "non"]),
            "autoroute_echang_dist": format_number(round(rng.uniform(0.5, 40), 1)),
        }
        if extensions:
            site.update(
                {
                    "tdm_power_mw": format_number(rng.choice([2, 5, 12, 20, 36])),
                    "tdm_power_available_on": rng.choice(["", "2027-06-30", "2028-12-31"]),
                    "tdm_water_m3h": format_number(rng.choice([20, 50, 120])),
                    "tdm_icpe_max_regime": rng.choice(["déclaration", "enregistrement", "autorisation"]),
                    "tdm_seveso_max": rng.choice(["non Seveso", "Seveso seuil bas"]),
                    "tdm_plu_zone_type": "U",
                    "tdm_plu_zone": "UX",
                    "tdm_permit_months": str(rng.choice([6, 9, 12, 18])),
                    "tdm_sector_priorities": "|".join(rng.sample(SECTORS, 2)),
                }
            )
        tables["site-eco"].append(site)
        vacant = 0
        for t in range(terrains_per_site):
            stage, occupation, amenagement, _w = rng.choices(STAGES, weights=[s[3] for s in STAGES])[0]
            vacant += occupation != "occupé"
            strip = 2 * half_w / terrains_per_site
            t_lon = lon - half_w + strip * (t + 0.5)
            terr_id = f"{place.code}_TERRAIN-ECO_{k:03d}{t + 1:02d}"
            sold = stage.startswith("vendu")
            surface = round(site_area_ha / terrains_per_site, 2)
            terrain = {
                "terr_id": terr_id,
                "site_id": site_id,
                "terr_surf_brute": format_number(surface),
                "terr_utile": "oui",
                "terr_identif_date": "2024-03-01",
                "terr_actu_date": "2025-09-30",
                "terr_maitrise_fonc": "investisseur professionnel" if sold else "structure intercommunale",
                "terr_stade_amngt": amenagement,
                "terr_stade_comm": stage,
                "terr_etat_occup": occupation,
                "terr_usage": "bâti productif"
                if occupation == "occupé"
                else ("espace agricole" if amenagement.startswith("non") else "espace vert"),
                "terr_geomsurf": json.dumps(
                    {"type": "Polygon", "coordinates": [_square(t_lon, lat, strip / 2 * 0.98, half_h * 0.98)]}
                ),
                "terr_cle_en_main": rng.choice(["oui", "non"]) if not sold else "non",
                "terr_acquereur": f"{FICTITIOUS} Société {rng.randint(1, 999)}" if sold else "",
                "terr_cession_date": f"{rng.randint(2005, 2024)}-0{rng.randint(1, 9)}-15" if sold else "",
                "terr_vente_montant": format_number(rng.randint(20, 400) * 1000) if sold else "",
                "terr_m2_prix": format_number(rng.choice([12, 18, 25, 35])) if sold else "",
            }
            if extensions and not sold:
                terrain["tdm_available_on"] = rng.choice(["2026-01-01", "2027-01-01", ""])
                terrain["tdm_study_fauna_flora_on"] = rng.choice(["2024-10-01", ""])
            tables["terrain-eco"].append(terrain)
            if len(tables["etablissement"]) < (n + 1) * etablissements_per_site and occupation == "occupé":
                for _ in range(etablissements_per_site):
                    tables["etablissement"].append(
                        _etablissement(rng, place, terr_id, t_lon, lat, len(tables["etablissement"]))
                    )
        site["site_uf_vacant_nbre"] = str(vacant)
        site["site_taux_vacance"] = format_number(round(100 * vacant / terrains_per_site, 1))
        # Top up so that every site has its share of établissements, on its first terrain.
        while len(tables["etablissement"]) < (n + 1) * etablissements_per_site:
            first = tables["terrain-eco"][-terrains_per_site]
            tables["etablissement"].append(
                _etablissement(
                    rng,
                    place,
                    first["terr_id"],
                    lon - half_w + half_w / terrains_per_site,
                    lat,
                    len(tables["etablissement"]),
                )
            )
    tables["pole-eco"] = list(pole_rows.values())
    return tables


def _etablissement(rng, place: CommunePlace, terr_id: str, lon: float, lat: float, n: int) -> dict:
    naf, naf_label = rng.choice(NAF)
    code, label = rng.choice(EFFECTIFS)
    siren = f"000{n:06d}"
    return {
        "SIRET": f"{siren}{1 + n % 99:05d}",
        "SIREN": siren,
        "terr_id": terr_id,
        "etab_raison_sociale": f"{FICTITIOUS} Entreprise {n}",
        "etab_nat_juridique": "5710",
        "etab_nom": f"{FICTITIOUS} Établissement {n}",
        "epci_nom": place.epci_name,
        "epci_siren": place.epci_siren,
        "comm_nom": place.name,
        "comm_insee": place.code,
        "etab_siege": rng.choice(["oui", "non"]),
        "etab_creation_date": f"{rng.randint(1970, 2023)}-0{rng.randint(1, 9)}-01",
        "etab_identif_date": "2024-03-01",
        "etab_actu_date": "2025-09-30",
        "etab_actif": "oui",
        "etab_activite_code": naf,
        "etab_activite_libelle": naf_label,
        "etab_effectif_code": code,
        "etab_effectif_libelle": label,
        "etab_effectif_annee": "2023",
        "etab_source_info": f"{FICTITIOUS} inventaire généré",
        "geocodage_qualite": "localisation à la parcelle",
        "etab_geompoint": json.dumps({"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}),
    }


def write_inventory_csv(
    tables: dict[str, list[dict]], directory: Path, *, extensions: bool = True
) -> dict[str, Path]:
    """One CNIG CSV per table, named after it (`site-eco.csv`…); `tdm_*` columns only if `extensions`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table, rows in tables.items():
        columns = [c["name"] for c in (standard_columns(table) if extensions else TABLES[table]["columns"])]
        paths[table] = directory / f"{table}.csv"
        write_csv(paths[table], columns, rows)
    return paths
