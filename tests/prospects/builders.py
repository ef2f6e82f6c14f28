"""Small builders of land objects for the prospects tests (the ORM directly: clearly fictitious values)."""

import itertools

from shapely.geometry import box

from tandem.land.models import Site, Terrain
from tandem.territories.models import Commune

_ids = itertools.count(1)

# A 3 ha square near Mulhouse is about 0.00233° of longitude by 0.00156° of latitude.
DLON, DLAT = 0.00233, 0.00156


def make_site(owner, commune_code: str, **fields) -> Site:
    commune = Commune.objects.select_related("epci").get(pk=commune_code)
    n = next(_ids)
    values = {
        "site_id": f"TEST-SITE-{n}",
        "site_nom": f"ZAE fictive {n}",
        "site_type": "zone d'activité économique",
        "site_vocadomi": "industrielle",
        "site_etat": "existant et actif",
        "site_epci_nom": commune.epci.name,
        "site_epci_siren": commune.epci_id,
        "site_comm_nom": commune.name,
        "site_comm_insee": commune.code,
        "site_moa_type": "epci",
    }
    values.update(fields)
    return Site.objects.create(owner=owner, commune=commune, **values)


def make_terrain(site: Site, surface_ha: float, *, cell: tuple[int, int] | None = None, **fields) -> Terrain:
    """A terrain of `site`; `cell` = (column, row) places a 3 ha square on a grid, so neighbours touch."""
    n = next(_ids)
    values = {
        "terr_id": f"TEST-T-{n}",
        "terr_surf_brute": surface_ha,
        "terr_maitrise_fonc": "structure intercommunale",
        "terr_stade_amngt": "viabilisé non aménagé",
        "terr_stade_comm": "en vente",
        "terr_etat_occup": "inoccupé",
        "terr_usage": "autre",
    }
    values.update(fields)
    terrain = Terrain(owner=site.owner, commune=site.commune, site_eco=site, **values)
    if cell is not None:
        lon0, lat0 = 7.30, 47.74
        x, y = cell
        terrain.set_geometry(
            box(lon0 + x * DLON, lat0 + y * DLAT, lon0 + (x + 1) * DLON, lat0 + (y + 1) * DLAT)
        )
    terrain.save()
    return terrain
