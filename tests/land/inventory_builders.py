"""Builders of small, explicit land inventories for the indicator, readiness, label, web and API tests.

Each object is written with the fields a test plants; everything else gets a plausible standard value."""

from __future__ import annotations

import itertools

import shapely

from tandem.land.models import Etablissement, Friche, Site, Terrain
from tandem.organizations.models import Visibility
from tandem.territories.models import Commune

_ids = itertools.count(1)


def square(lon: float, lat: float, side_deg: float = 0.004):
    return shapely.box(lon, lat, lon + side_deg, lat + side_deg)


def make_site(owner, commune_code: str, **fields) -> Site:
    commune = Commune.objects.select_related("epci").get(pk=commune_code)
    n = next(_ids)
    values = {
        "site_id": f"{commune_code}_S{n:04d}",
        "site_nom": f"ZAE de test {n}",
        "site_type": "zone d'activité économique",
        "site_vocadomi": "industrielle",
        "site_etat": "existant et actif",
        "site_surf_brute": 20.0,
        "site_surf_utile": 15.0,
        "site_epci_nom": commune.epci.name if commune.epci else "",
        "site_epci_siren": commune.epci_id or "",
        "site_comm_nom": commune.name,
        "site_comm_insee": commune_code,
        "site_moa_type": "epci",
        "visibility": Visibility.PRIVATE,
    }
    values.update(fields)
    site = Site(owner=owner, commune=commune, **values)
    lon = commune.centroid_lon or 7.0
    lat = commune.centroid_lat or 48.0
    site.set_geometry(square(lon, lat, 0.01))
    site.save()
    return site


def make_terrain(site: Site, surface_ha: float, **fields) -> Terrain:
    n = next(_ids)
    values = {
        "terr_id": f"{site.site_id}_T{n:04d}",
        "terr_surf_brute": surface_ha,
        "terr_utile": True,
        "terr_maitrise_fonc": "structure intercommunale",
        "terr_stade_amngt": "viabilisé et aménagé",
        "terr_stade_comm": "en vente",
        "terr_etat_occup": "inoccupé",
        "terr_usage": "bâti productif",
        "visibility": site.visibility,
    }
    values.update(fields)
    terrain = Terrain(owner=site.owner, commune_id=site.commune_id, site_eco=site, **values)
    terrain.set_geometry(square(site.centroid_lon, site.centroid_lat, 0.002))
    terrain.save()
    return terrain


def make_etablissement(terrain: Terrain, effectif_code: str, **fields) -> Etablissement:
    n = next(_ids)
    site = terrain.site_eco
    values = {
        "siret": f"{90000000000000 + n}",
        "siren": f"{900000000 + n}",
        "terr_id": terrain.terr_id,
        "etab_raison_sociale": f"Entreprise fictive {n}",
        "etab_nat_juridique": "5710",
        "etab_nom": f"Établissement fictif {n}",
        "epci_nom": site.site_epci_nom,
        "epci_siren": site.site_epci_siren,
        "comm_nom": site.site_comm_nom,
        "comm_insee": site.site_comm_insee,
        "etab_actif": True,
        "etab_activite_code": "25.62A",
        "etab_activite_libelle": "Décolletage",
        "etab_effectif_code": effectif_code,
        "etab_effectif_libelle": "",
        "etab_source_info": "test",
        "geocodage_qualite": "inconnu",
        "visibility": terrain.visibility,
    }
    values.update(fields)
    etab = Etablissement(owner=terrain.owner, commune_id=terrain.commune_id, terrain_eco=terrain, **values)
    etab.set_geometry(shapely.Point(terrain.centroid_lon, terrain.centroid_lat))
    etab.save()
    return etab


def make_friche(owner, commune_code: str, **fields) -> Friche:
    commune = Commune.objects.get(pk=commune_code)
    n = next(_ids)
    values = {
        "site_id": f"{commune_code}_{n}",
        "site_nom": f"Friche fictive {n}",
        "site_type": "friche industrielle",
        "site_statut": "friche sans projet",
        "comm_nom": commune.name,
        "comm_insee": commune_code,
        "urba_zaer": "non",
        "source_nom": "test",
        "unite_fonciere_surface": 10_000,
        "visibility": Visibility.PRIVATE,
    }
    values.update(fields)
    friche = Friche(owner=owner, commune=commune, **values)
    friche.set_geometry(shapely.Point(commune.centroid_lon or 7.0, commune.centroid_lat or 48.0))
    friche.save()
    return friche
