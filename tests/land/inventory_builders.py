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


def _polygon_text(lon: float, lat: float, side: float) -> str:
    import json

    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]})


def write_inventory_files(directory, epci_siren: str, terrains: list[dict], *, sites: int = 1) -> list:
    """Write a small, fictitious CNIG Sites économiques inventory (pole-eco, site-eco, terrain-eco CSV) of an
    EPCI: `sites` zones in its first communes; `terrains` are the planted TERRAIN-ECO values (surface in ha,
    stages…), spread over the sites in turn. Returns the three paths."""
    import csv
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    communes = list(
        Commune.objects.filter(epci_id=epci_siren, is_current=True, centroid_lat__isnull=False)
        .select_related("epci")
        .order_by("code")[:sites]
    )
    pole = {
        "pole_id": f"{epci_siren}_P1",
        "pole_nom": "Pôle fictif de test",
        "pole_vocadomi": "industrielle",
        "pole_identif_date": "2024-01-15",
        "pole_surface": "60",
        "pole_geompoint": f"{communes[0].centroid_lon:.6f}, {communes[0].centroid_lat:.6f}",
    }
    site_rows, terrain_rows = [], []
    for i, commune in enumerate(communes, start=1):
        lon, lat = commune.centroid_lon - 0.002, commune.centroid_lat - 0.002
        site_rows.append(
            {
                "site_id": f"{commune.code}_ZAE{i}",
                "pole_id": pole["pole_id"],
                "site_nom": f"ZAE fictive {commune.name}",
                "site_type": "zone d'activité économique",
                "site_vocadomi": "industrielle",
                "site_etat": "existant et actif",
                "site_surf_brute": "30",
                "site_surf_utile": "25",
                "site_identif_date": "2024-01-15",
                "site_actu_date": "2025-06-30",
                "site_evol_urba": "extension urbaine",
                "site_epci_nom": commune.epci.name,
                "site_epci_siren": epci_siren,
                "site_comm_nom": commune.name,
                "site_comm_insee": commune.code,
                "site_moa_type": "epci",
                "site_geomsurf": _polygon_text(lon, lat, 0.004),
            }
        )
    for j, planted in enumerate(terrains, start=1):
        site = site_rows[(j - 1) % len(site_rows)]
        commune = communes[(j - 1) % len(communes)]
        lon, lat = (
            commune.centroid_lon - 0.0015 + 0.0006 * (j // len(site_rows) % 4),
            commune.centroid_lat - 0.0015,
        )
        row = {
            "terr_id": f"{site['site_id']}_T{j}",
            "site_id": site["site_id"],
            "terr_surf_brute": "1",
            "terr_utile": "oui",
            "terr_identif_date": "2024-01-15",
            "terr_actu_date": "2025-06-30",
            "terr_maitrise_fonc": "structure intercommunale",
            "terr_stade_amngt": "viabilisé et aménagé",
            "terr_stade_comm": "en vente",
            "terr_etat_occup": "inoccupé",
            "terr_usage": "bâti productif",
            "terr_geomsurf": _polygon_text(lon, lat, 0.0005),
        }
        row.update(planted)
        terrain_rows.append(row)
    paths = []
    for name, rows in (("pole-eco", [pole]), ("site-eco", site_rows), ("terrain-eco", terrain_rows)):
        path = directory / f"{name}.csv"
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, delimiter=";", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths
