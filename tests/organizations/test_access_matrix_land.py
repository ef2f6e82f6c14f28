"""The access matrix on land inventory objects (sites and terrains placed in a commune), through HTTP.

Unlike perimeters, these objects carry a commune: a delegation limited to some communes covers only the objects
placed there. Personal fields (buyer, sale price) reach nobody outside the owning organisation."""

from __future__ import annotations

import itertools
import math

import pytest
from django.test import Client

from tandem.land.models import Site, Terrain
from tandem.organizations.models import Role
from tests.land.inventory_builders import make_site, make_terrain
from tests.organizations.matrix import matrix_world

KINDS = [
    "region",
    "epci_owner",
    "epci_other",
    "agence_delegated",
    "agence_partial",
    "agence_other",
    "operateur",
]
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]
ACTORS = [(k, r) for k in KINDS for r in ROLES] + [("platform_admin", None), ("anonymous", None)]
VISIBILITIES = ["private", "shared", "region", "network"]
ACTIONS = ["read", "list", "search", "map", "tile", "land_tile", "export", "update"]
SITE_COMMUNE, OTHER_COMMUNE = (
    "67482",
    "67447",
)  # Strasbourg; Schiltigheim (the partial delegation's only commune)


def expected(kind: str, role, visibility: str, action: str) -> int:
    """The rules of the foundation, stated plainly for objects placed in a commune."""
    if kind == "anonymous":
        return 401
    if kind == "platform_admin":
        return 200
    sees = (
        kind in ("epci_owner", "agence_delegated")
        or visibility == "network"
        or (visibility == "region" and kind == "region")
        or (visibility == "shared" and kind == "epci_other")
    )
    if not sees:
        return 404
    if action != "update":
        return 200
    writer = kind in ("epci_owner", "agence_delegated") and role in (Role.CONTRIBUTEUR, Role.ADMIN)
    return 200 if writer else 403


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with matrix_world(django_db_blocker, KINDS, partial_communes=[OTHER_COMMUNE]) as world:
        with django_db_blocker.unblock():
            orgs = world["orgs"]
            objects = {}
            for visibility in VISIBILITIES:
                site = make_site(
                    orgs["epci_owner"],
                    SITE_COMMUNE,
                    site_nom=f"ZAE matrice {visibility} qzv",
                    visibility=visibility,
                )
                terrain = make_terrain(
                    site,
                    2.5,
                    terr_acquereur="Personne Physique Fictive",
                    terr_vente_montant=125000.0,
                    terr_identif_date="2024-01-15",
                    terr_actu_date="2025-06-01",
                )
                if visibility == "shared":
                    site.shared_with.add(orgs["epci_other"])
                    terrain.shared_with.add(orgs["epci_other"])
                objects[visibility] = (site, terrain)
        yield {**world, "objects": objects}


def _norm(response) -> int:
    if response.status_code == 302 and "/connexion/" in response["Location"]:
        return 401
    return response.status_code


def _status(client: Client, site: Site, terrain: Terrain, action: str) -> int:
    if action == "read":
        web = _norm(client.get(f"/foncier/sites/{site.pk}/"))
        rest = _norm(client.get(f"/api/v1/land/terrains/{terrain.pk}/"))
        site_api = _norm(client.get(f"/api/v1/land/sites/{site.pk}/"))
        # The OGC API (QGIS) answers as the pages do: 401 anonymous, 404 invisible.
        ogc_site = _norm(client.get(f"/ogc/collections/sites/items/{site.pk}"))
        ogc_terrain = _norm(client.get(f"/ogc/collections/terrains/items/{terrain.pk}"))
        assert web == rest == site_api == ogc_site == ogc_terrain, (
            web,
            rest,
            site_api,
            ogc_site,
            ogc_terrain,
        )
        return web
    if action in ("list", "search"):
        params = {"page_size": 1000} if action == "list" else {"q": "qzv", "page_size": 1000}
        rest = client.get("/api/v1/land/sites/", params)
        if _norm(rest) != 200:
            return _norm(rest)
        in_api = any(item["id"] == site.pk for item in rest.json()["results"])
        in_web = (
            site.site_nom
            in client.get("/foncier/", {"q": "qzv"} if action == "search" else {}).content.decode()
        )
        assert in_api == in_web, (in_api, in_web)
        if action == "list":
            ogc = client.get("/ogc/collections/sites/items", {"limit": 10_000}).json()["features"]
            assert in_api == any(f["id"] == site.pk for f in ogc)
        return 200 if in_api else 404
    if action == "map":
        layers = client.get("/api/v1/land/layers/")
        if _norm(layers) != 200:
            return _norm(layers)
        text = layers.content.decode()
        return 200 if site.site_nom in text else 404
    if action == "tile":
        # The vector tile holding the site (zoom 12): its name is one of the tile's property values.
        lon, lat = site.geometry.point_on_surface.coords
        n = 2**12
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        tile = client.get(f"/foncier/tuiles/sites/12/{x}/{y}.pbf")
        if _norm(tile) != 200:
            return _norm(tile)
        return 200 if site.site_nom.encode() in tile.content else 404
    if action == "land_tile":
        # The one tile of the land maps (sites, terrains and friches, one MVT layer each): the site and its
        # terrain are in it together or not at all, and never a personal field of the terrain.
        lon, lat = site.geometry.point_on_surface.coords
        n = 2**12
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        tile = client.get(f"/foncier/tuiles/sites,terrains,friches/12/{x}/{y}.pbf")
        if _norm(tile) != 200:
            return _norm(tile)
        has_site = site.site_nom.encode() in tile.content
        assert has_site == (terrain.terr_id.encode() in tile.content), (site.site_nom, terrain.terr_id)
        assert b"Personne Physique Fictive" not in tile.content
        return 200 if has_site else 404
    if action == "export":
        csv = client.get("/foncier/export/sites.csv")
        if _norm(csv) != 200:
            return _norm(csv)
        return 200 if site.site_nom in csv.content.decode() else 404
    response = client.patch(
        f"/api/v1/land/terrains/{terrain.pk}/",
        {"changes": {"terr_stade_comm": "en vente"}},
        content_type="application/json",
    )
    return _norm(response)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_matrix_on_land_objects(world, kind, role):
    client = Client()
    if kind != "anonymous":
        client.force_login(world["users"][(kind, role)])
    mismatches = []
    for visibility, action in itertools.product(VISIBILITIES, ACTIONS):
        site, terrain = world["objects"][visibility]
        want, got = expected(kind, role, visibility, action), _status(client, site, terrain, action)
        if got != want:
            mismatches.append(f"{visibility}/{action}: attendu {want}, obtenu {got}")
    assert not mismatches, mismatches


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "role"),
    [
        ("epci_owner", Role.LECTEUR),
        ("epci_other", Role.ADMIN),
        ("region", Role.ADMIN),
        ("agence_delegated", Role.CONTRIBUTEUR),
        ("platform_admin", None),
    ],
)
def test_personal_fields_stay_with_the_owner(world, kind, role):
    client = Client()
    client.force_login(world["users"][(kind, role)])
    _, terrain = world["objects"]["network"]
    body = client.get(f"/api/v1/land/terrains/{terrain.pk}/").json()
    page = client.get(f"/foncier/sites/{terrain.site_eco_id}/").content.decode()
    layers = client.get("/api/v1/land/layers/").content.decode()
    ogc = client.get(f"/ogc/collections/terrains/items/{terrain.pk}").json()["properties"]
    assert ogc["terr_acquereur"] == ("Personne Physique Fictive" if kind == "epci_owner" else None)
    assert ogc["terr_vente_montant"] == (125000 if kind == "epci_owner" else None)
    if kind == "epci_owner":
        assert body["terr_acquereur"] == "Personne Physique Fictive"
    else:
        assert body.get("terr_acquereur") in (None, "")
        assert body.get("terr_vente_montant") is None
        assert "Personne Physique Fictive" not in page
    assert "Personne Physique Fictive" not in layers
