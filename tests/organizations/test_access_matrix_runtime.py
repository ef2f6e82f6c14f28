"""The access matrix on the objects main gained with the runtime and geo platform work, through HTTP: EIT flows
and synergies (pages, `/api/v1/eit/`, the CSV export), friches and custom perimeters as OGC API items and
vector tiles, import runs (`/imports/<id>/`) and generated files (`/fichiers/<n>/`), for every role of every
organisation kind.

Visible → 200, not visible → 404 and absent from every list, export and tile; visible but not allowed → 403.
The rules are stated here plainly, independently of `tandem.organizations.perms`:

- a flow (private, owned by `epci_owner`, its establishment in Strasbourg) is seen by the owner's members, its
  delegates (write and read delegations), platform administrators, and the « animateurs EIT » of organisations
  whose perimeter holds Strasbourg (`operateur_local`'s contributor is one; its other members are not);
- a synergy (private) between that offer and a need of a company in Schiltigheim is seen by the same people,
  and by every member of the organisation of the receiver company's référent (`operateur`);
- the owner's contributors and administrators, its write delegate's and platform administrators change them;
- friches and perimeters shared « avec la Région »: the Grand Est Région, never the Île-de-France one;
- an import run: its author, the members of its organisation, platform administrators;
- a generated file: its requester only, platform administrators included in the « only ».
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from tandem.companies.followup import advisor_assign
from tandem.companies.models import Company
from tandem.core.models import GeneratedFile
from tandem.eit.models import Synergy
from tandem.eit.services import flow_create
from tandem.imports.models import ImportRun
from tandem.organizations.models import Membership, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.perimeters import perimeter_create
from tests.eit.builders import SCHILTIGHEIM, STRASBOURG, located_company
from tests.land.inventory_builders import make_friche
from tests.organizations.matrix import (
    WRITERS,
    actor_ids,
    actors,
    client_for,
    matrix_world,
    norm,
    read_status,
    sees,
)

KINDS = [
    "region",
    "region_other",
    "epci_owner",
    "epci_other",
    "agence_delegated",
    "agence_read_delegated",
    "operateur",
    "operateur_local",
]
ACTORS = actors(KINDS)
FACILITATOR = ("operateur_local", Role.CONTRIBUTEUR)
REQUESTER = ("epci_owner", Role.ADMIN)
RUN_AUTHOR = ("epci_owner", Role.CONTRIBUTEUR)


# --- the rules, stated plainly ------------------------------------------------------------------------------
def sees_flow(kind: str, role) -> bool:
    return (
        kind in ("platform_admin", "epci_owner", "agence_delegated", "agence_read_delegated")
        or (kind, role) == FACILITATOR
    )


def sees_synergy(kind: str, role) -> bool:
    return sees_flow(kind, role) or kind == "operateur"  # the receiver company's référent organisation


def writes_eit(kind: str, role) -> bool:
    return kind == "platform_admin" or (kind in ("epci_owner", "agence_delegated") and role in WRITERS)


def eit_status(kind: str, role, action: str, *, seen: bool) -> int:
    if kind == "anonymous":
        return 401
    if not seen:
        return 404
    if action == "update":
        return 200 if writes_eit(kind, role) else 403
    return 200


def expected(kind: str, role, action: str) -> int:
    target, _, verb = action.partition(":")
    if target == "flow":
        return eit_status(kind, role, verb, seen=sees_flow(kind, role))
    if target == "synergy":
        return eit_status(kind, role, verb, seen=sees_synergy(kind, role))
    if target in ("friche", "perimeter"):
        return read_status(kind, "region")
    if kind == "anonymous":
        return 401
    if target == "run":
        return 200 if kind in ("platform_admin", "epci_owner") else 404
    if target == "file":
        return 200 if (kind, role) == REQUESTER else 404
    raise AssertionError(action)


ACTIONS = [
    "flow:read",
    "flow:list",
    "flow:export",
    "flow:update",
    "synergy:read",
    "synergy:list",
    "synergy:update",
    "friche:read",
    "friche:list",
    "friche:tile",
    "perimeter:read",
    "perimeter:tile",
    "run:read",
    "run:list",
    "file:read",
]


# --- the world ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    companies: list[str] = []
    storage_names: list[str] = []

    def remove_rest():
        ImportRun.objects.filter(progress_label="matrice zqw").delete()
        GeneratedFile.objects.filter(label="Export matrice zqw").delete()
        for name in storage_names:
            default_storage.delete(name)
        Company.objects.filter(siren__in=companies).delete()

    with matrix_world(django_db_blocker, KINDS, cleanup=[remove_rest]) as world:
        with django_db_blocker.unblock():
            orgs, users = world["orgs"], world["users"]
            owner = orgs["epci_owner"]
            contributor = users[("epci_owner", Role.CONTRIBUTEUR)]
            Membership.objects.filter(organization=orgs["operateur_local"], user=users[FACILITATOR]).update(
                is_eit_facilitator=True
            )
            steel_co, steel = located_company(STRASBOURG, name="ACIERIE MATRICE ZQW", lat=48.58, lon=7.75)
            cement_co, cement = located_company(
                SCHILTIGHEIM, name="CIMENTERIE MATRICE ZQW", naf="23.51Z", lat=48.61, lon=7.72
            )
            companies += [steel_co.pk, cement_co.pk]
            advisor_assign(
                actor=Actor.for_user(users[("platform_admin", None)]),
                company=cement_co,
                user=users[("operateur", Role.LECTEUR)],
                organization=orgs["operateur"],
            )
            actor = Actor.for_user(contributor)
            offer = flow_create(
                actor=actor,
                owner=owner,
                establishment=steel,
                direction="offer",
                kind="heat",
                resource="heat",
                quantity=500,
                unit="MWh",
                temperature_c=90,
                label="Chaleur fatale matrice zqw",
            )
            need = flow_create(
                actor=actor,
                owner=owner,
                establishment=cement,
                direction="need",
                kind="heat",
                resource="heat",
                quantity=400,
                unit="MWh",
                temperature_c=60,
                label="Besoin de chaleur matrice zqw",
            )
            synergy = Synergy.objects.create(
                owner=owner,
                visibility=Visibility.PRIVATE,
                supplier_flow=offer,
                receiver_flow=need,
                commune_id=offer.commune_id,
                receiver_commune_id=need.commune_id,
                kind="heat",
                title="Synergie matrice zqw",
                stage_since=timezone.localdate(),
            )
            friche = make_friche(
                owner, STRASBOURG, site_nom="Friche matrice zqw", visibility=Visibility.REGION
            )
            perimeter = perimeter_create(
                actor=actor,
                owner=owner,
                name="Périmètre matrice zqw",
                members=[STRASBOURG],
                visibility=Visibility.REGION,
            )
            run = ImportRun.objects.create(
                kind=ImportRun.Kind.LAND_FRICHES,
                created_by=contributor,
                organization=owner,
                owner=owner,
                status=ImportRun.Status.DONE,
                progress_label="matrice zqw",
            )
            name = default_storage.save("generated/matrice-zqw/export.csv", ContentFile(b"siret\n"))
            storage_names.append(name)
            generated = GeneratedFile.objects.create(
                kind="companies.establishments",
                label="Export matrice zqw",
                created_by=users[REQUESTER],
                actor_org=owner,
                status=GeneratedFile.Status.DONE,
                file_name="export.csv",
                content_type="text/csv",
                storage_name=name,
                progress_percent=100,
                finished_at=timezone.now(),
                expires_at=timezone.now() + timedelta(hours=1),
            )
        yield {
            **world,
            "offer": offer,
            "synergy": synergy,
            "friche": friche,
            "perimeter": perimeter,
            "run": run,
            "file": generated,
        }


# --- what the server answers --------------------------------------------------------------------------------
def _tile(client, url: str, lon: float, lat: float, name: str) -> int:
    """The zoom-12 tile holding (lon, lat): 200 if `name` is one of its property values, else 404."""
    n = 2**12
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    response = client.get(url.format(z=12, x=x, y=y))
    if norm(response) != 200:
        return norm(response)
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return 200 if name.encode() in response.content else 404


def _listed(client, api_url: str, pk: int, page_url: str, text: str) -> int:
    response = client.get(api_url, {"page_size": 1000})
    if norm(response) != 200:
        return norm(response)
    in_api = any(item["id"] == pk for item in response.json()["results"])
    in_page = text in client.get(page_url).content.decode()
    assert in_api == in_page, (in_api, in_page)
    return 200 if in_api else 404


def _status(client, world, action: str) -> int:  # noqa: PLR0911 - one branch per action
    offer, synergy, friche = world["offer"], world["synergy"], world["friche"]
    perimeter, run, generated = world["perimeter"], world["run"], world["file"]
    if action == "flow:read":
        page, api = (
            norm(client.get(f"/eit/flux/{offer.pk}/")),
            norm(client.get(f"/api/v1/eit/flows/{offer.pk}/")),
        )
        assert page == api, (page, api)
        return api
    if action == "flow:list":
        return _listed(
            client, "/api/v1/eit/flows/", offer.pk, "/eit/?epci=246700488", f'href="/eit/flux/{offer.pk}/"'
        )
    if action == "flow:export":
        response = client.get("/eit/flux/export.csv")
        if norm(response) != 200:
            return norm(response)
        return 200 if offer.label in response.content.decode("utf-8-sig") else 404
    if action == "flow:update":
        return norm(
            client.patch(
                f"/api/v1/eit/flows/{offer.pk}/", {"label": offer.label}, content_type="application/json"
            )
        )
    if action == "synergy:read":
        page = norm(client.get(f"/eit/synergies/{synergy.pk}/"))
        api = norm(client.get(f"/api/v1/eit/synergies/{synergy.pk}/"))
        assert page == api, (page, api)
        return api
    if action == "synergy:list":
        link = f'href="/eit/synergies/{synergy.pk}/"'
        return _listed(client, "/api/v1/eit/synergies/", synergy.pk, "/eit/synergies/?epci=246700488", link)
    if action == "synergy:update":
        return norm(
            client.patch(
                f"/api/v1/eit/synergies/{synergy.pk}/",
                {"supplier_agreed_on": timezone.localdate().isoformat()},
                content_type="application/json",
            )
        )
    if action == "friche:read":
        page = norm(client.get(f"/foncier/friches/{friche.pk}/"))
        ogc = norm(client.get(f"/ogc/collections/friches/items/{friche.pk}"))
        assert page == ogc, (page, ogc)
        return ogc
    if action == "friche:list":
        response = client.get("/ogc/collections/friches/items", {"limit": 10_000})
        if norm(response) != 200:
            return norm(response)
        return 200 if any(f["id"] == friche.pk for f in response.json()["features"]) else 404
    if action == "friche:tile":
        lon, lat = friche.geometry.coords
        return _tile(client, "/foncier/tuiles/friches/{z}/{x}/{y}.pbf", lon, lat, friche.site_nom)
    if action == "perimeter:read":
        return norm(client.get(f"/ogc/collections/perimetres/items/{perimeter.pk}"))
    if action == "perimeter:tile":
        commune = perimeter.communes.get()
        url = "/carte/tuiles/perimetres/{z}/{x}/{y}.pbf"
        return _tile(client, url, commune.centroid_lon, commune.centroid_lat, perimeter.name)
    if action == "run:read":
        page, state = (
            norm(client.get(f"/imports/{run.pk}/")),
            norm(client.get(f"/imports/{run.pk}/etat.json")),
        )
        assert page == state, (page, state)
        return page
    if action == "run:list":
        response = client.get("/imports/")
        if norm(response) != 200:
            return norm(response)
        return 200 if f'href="/imports/{run.pk}/"' in response.content.decode() else 404
    if action == "file:read":
        page = norm(client.get(f"/fichiers/{generated.pk}/"))
        download = norm(client.get(f"/fichiers/{generated.pk}/telecharger/"))
        assert page == download, (page, download)
        return page
    raise AssertionError(action)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=actor_ids(ACTORS))
def test_matrix_on_runtime_objects(world, kind, role):
    client = client_for(world, kind, role)
    mismatches = []
    for action in ACTIONS:
        want, got = expected(kind, role, action), _status(client, world, action)
        if got != want:
            mismatches.append(f"{action}: attendu {want}, obtenu {got}")
    assert not mismatches, mismatches


def test_the_statement_is_not_trivial():
    """The matrix separates every outcome: each action has actors who get it and actors who do not."""
    for action in ACTIONS:
        outcomes = {expected(kind, role, action) for kind, role in ACTORS}
        assert {200, 401, 404} <= outcomes, (action, outcomes)
    assert any(expected(k, r, "flow:update") == 403 for k, r in ACTORS)
    assert any(expected(k, r, "synergy:update") == 403 for k, r in ACTORS)
    assert sees("region", "region") and not sees("region_other", "region")
