"""The access matrix, through HTTP: every role of every organisation kind against every object type and action.

The expected answer comes from `expected()`, a plain statement of the rules written independently of
`tandem.organizations.perms`, so a mistake in the permission layer shows up as a difference.
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import perimeter_create
from tests.factories import communes_of
from tests.organizations.matrix import client_for, matrix_world

ORG_KINDS = [
    "region",
    "region_other",
    "epci_owner",
    "epci_other",
    "agence_delegated",
    "agence_read_delegated",
    "agence_partial",
    "agence_other",
    "maison_region",
    "agence_investissement",
    "operateur",
]
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]
ACTORS = [(kind, role) for kind in ORG_KINDS for role in ROLES] + [
    ("platform_admin", None),
    ("anonymous", None),
]
VISIBILITIES = ["private", "shared", "region", "network"]
ACTIONS = ["read", "list", "search", "export", "update", "share", "delete"]


def expected(kind: str, role: str | None, visibility: str, action: str) -> int:
    """The rules of issue 2, stated plainly: returns the HTTP status expected."""
    if kind == "anonymous":
        return 401
    if kind == "platform_admin":
        return 200
    sees = (
        kind in ("epci_owner", "agence_delegated", "agence_read_delegated")
        or visibility == "network"
        or (visibility == "region" and kind == "region")
        or (visibility == "shared" and kind == "epci_other")
    )
    if not sees:
        return 404
    if action in ("read", "list", "search", "export"):
        return 200
    if action == "share":
        # Only the owner decides who sees its objects; a delegate may change them, not share them.
        return 200 if kind == "epci_owner" and role in (Role.CONTRIBUTEUR, Role.ADMIN) else 403
    # A delegation limited to some communes cannot place a perimeter in them: it covers none
    # (agence_partial is absent from `sees` and from the writers).
    writes = (kind == "epci_owner" and role in (Role.CONTRIBUTEUR, Role.ADMIN)) or (
        kind == "agence_delegated" and role in (Role.CONTRIBUTEUR, Role.ADMIN)
    )
    return 200 if writes else 403


def expected_create(kind: str, role: str | None) -> int:
    if kind == "anonymous":
        return 401
    if kind == "platform_admin":
        return 201
    if kind in ("epci_owner", "agence_delegated") and role in (Role.CONTRIBUTEUR, Role.ADMIN):
        return 201
    return 403


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Organisations of every kind with a member of every role, and one perimeter per visibility, owned by
    the first EPCI. Created once for the module (committed) and removed at the end."""
    with matrix_world(
        django_db_blocker, ORG_KINDS, partial_communes=lambda: communes_of("246700488")[:2]
    ) as world:
        with django_db_blocker.unblock():
            orgs = world["orgs"]
            actor = Actor.for_user(world["users"][("epci_owner", Role.ADMIN)])
            members = communes_of("246700488")[:5]  # including the partial delegation's two communes
            perimeters = {}
            for visibility in VISIBILITIES:
                perimeters[visibility] = perimeter_create(
                    actor=actor,
                    owner=orgs["epci_owner"],
                    name=f"Périmètre {visibility} zqx",
                    members=members,
                    visibility=visibility if visibility != "shared" else Visibility.SHARED,
                )
            perimeters["shared"].shared_with.add(orgs["epci_other"])
        yield {**world, "perimeters": perimeters}


_client = client_for


def _norm(response) -> int:
    """Anonymous requests: the web redirects to the login page, the API answers 401."""
    if response.status_code == 302 and "/connexion/" in response["Location"]:
        return 401
    return 200 if response.status_code == 204 else response.status_code


def _listed(response, perimeter) -> bool:
    return any(item["id"] == perimeter.pk for item in response.json()["results"])


def _status(client: Client, perimeter: Perimeter, action: str) -> int:
    """Observed status for one action; the web pages and the API must agree."""
    api = f"/api/v1/perimeters/{perimeter.pk}/"
    if action == "read":
        web, rest = _norm(client.get(f"/perimetres/{perimeter.pk}/")), _norm(client.get(api))
        ogc = _norm(client.get(f"/ogc/collections/perimetres/items/{perimeter.pk}"))  # QGIS's view
        assert web == rest == ogc, (web, rest, ogc)
        return web
    if action == "list":
        rest, web = client.get("/api/v1/perimeters/", {"page_size": 1000}), client.get("/perimetres/")
        if _norm(rest) != 200:
            return _norm(rest)
        assert _listed(rest, perimeter) == (perimeter.name in web.content.decode())
        ogc = client.get("/ogc/collections/perimetres/items", {"limit": 10_000}).json()["features"]
        assert _listed(rest, perimeter) == any(f["id"] == perimeter.pk for f in ogc)
        return 200 if _listed(rest, perimeter) else 404
    if action == "search":
        rest, web = client.get("/api/v1/perimeters/", {"q": "zqx"}), client.get("/perimetres/", {"q": "zqx"})
        if _norm(rest) != 200:
            return _norm(rest)
        assert _listed(rest, perimeter) == (perimeter.name in web.content.decode())
        return 200 if _listed(rest, perimeter) else 404
    if action == "export":
        csv, geojson = (
            client.get("/perimetres/export.csv"),
            client.get(f"/api/v1/perimeters/{perimeter.pk}/geojson/"),
        )
        if _norm(csv) != 200:
            return _norm(csv)
        assert (perimeter.name in csv.content.decode()) == (geojson.status_code == 200)
        return _norm(geojson)
    if action == "update":
        return _norm(client.patch(api, {"description": "modifié"}, content_type="application/json"))
    if action == "share":
        before = perimeter.visibility
        wanted = "network" if before != "network" else "region"
        response = client.patch(api, {"visibility": wanted}, content_type="application/json")
        Perimeter.objects.unscoped().filter(pk=perimeter.pk).update(
            visibility=before
        )  # the world stays as it was
        return _norm(response)
    return _norm(client.delete(api))


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_matrix_on_perimeters(world, kind, role):
    client = _client(world, kind, role)
    mismatches = []
    for visibility, action in itertools.product(VISIBILITIES, ACTIONS):
        perimeter = world["perimeters"][visibility]
        want = expected(kind, role, visibility, action)
        got = _status(client, perimeter, action)
        if got != want:
            mismatches.append(f"{visibility}/{action}: attendu {want}, obtenu {got}")
    assert not mismatches, mismatches


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_matrix_create(world, kind, role):
    client = _client(world, kind, role)
    payload = {
        "name": "Nouveau périmètre",
        "owner": world["orgs"]["epci_owner"].pk,
        "members": communes_of("246700488")[:2],
        "kind": "autre",
    }
    response = client.post("/api/v1/perimeters/", payload, content_type="application/json")
    assert _norm(response) == expected_create(kind, role), response.content


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_matrix_delegations_and_audit(world, kind, role):
    """Delegations are seen by the two parties; the audit log by administrators of the organisation."""
    client = _client(world, kind, role)
    delegations = client.get("/api/v1/delegations/")
    audit = client.get("/api/v1/audit/")
    if kind == "anonymous":
        assert delegations.status_code in (401, 403) and audit.status_code in (401, 403)
        return
    seen = {(d["delegator"], d["delegate"]) for d in delegations.json()["results"]}
    orgs = world["orgs"]
    parties = {"epci_owner", "agence_delegated", "agence_read_delegated", "agence_partial", "agence_other"}
    if kind == "platform_admin" or kind == "epci_owner":
        assert len(seen) == 4
    elif kind in parties:
        assert seen == {(orgs["epci_owner"].pk, orgs[kind].pk)}
    else:
        assert seen == set()
    events = audit.json()["results"]
    if kind == "platform_admin" or (kind == "epci_owner" and role != Role.LECTEUR):
        assert any(e["object_repr"].endswith("zqx") for e in events)
    else:
        assert not any(e["object_repr"].endswith("zqx") for e in events)
    web = client.get("/journal/")
    assert web.status_code == (200 if kind == "platform_admin" or role != Role.LECTEUR else 404)


@pytest.mark.django_db
def test_writes_are_audited_with_user_and_organisation(world):
    client = _client(world, "agence_delegated", Role.CONTRIBUTEUR)
    perimeter = world["perimeters"]["private"]
    response = client.patch(
        f"/api/v1/perimeters/{perimeter.pk}/", {"description": "x"}, content_type="application/json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(object_id=str(perimeter.pk), action="update").latest("at")
    assert event.user == world["users"][("agence_delegated", Role.CONTRIBUTEUR)]
    assert event.organization == world["orgs"]["agence_delegated"]


@pytest.mark.django_db
def test_a_delegate_change_is_in_the_owner_journal(world):
    """Events are filed under the owner's organisation too: the EPCI reads what its agency did to its objects."""
    agent = world["users"][("agence_delegated", Role.CONTRIBUTEUR)]
    perimeter = world["perimeters"]["private"]
    response = _client(world, "agence_delegated", Role.CONTRIBUTEUR).patch(
        f"/api/v1/perimeters/{perimeter.pk}/",
        {"description": "par l'agence"},
        content_type="application/json",
    )
    assert response.status_code == 200
    owner_admin = _client(world, "epci_owner", Role.ADMIN)
    events = owner_admin.get("/api/v1/audit/", {"page_size": 1000}).json()["results"]
    assert any(
        e["username"] == agent.username and e["object_id"] == str(perimeter.pk) and e["action"] == "update"
        for e in events
    )
    assert agent.username in owner_admin.get("/journal/").content.decode()
    # An unrelated organisation's administrator still reads nothing of it.
    other = _client(world, "epci_other", Role.ADMIN).get("/api/v1/audit/", {"page_size": 1000}).json()
    assert not any(e["username"] == agent.username for e in other["results"])


@pytest.mark.django_db
def test_commune_limited_delegation_creates_no_perimeter_for_the_epci(world):
    client = _client(world, "agence_partial", Role.ADMIN)
    payload = {
        "name": "Périmètre de l'agence",
        "owner": world["orgs"]["epci_owner"].pk,
        "members": communes_of("246700488")[:1],  # even inside the delegated communes
        "kind": "autre",
    }
    assert client.post("/api/v1/perimeters/", payload, content_type="application/json").status_code == 403
    assert not Perimeter.objects.unscoped().filter(name="Périmètre de l'agence").exists()


@pytest.mark.django_db
def test_revoked_delegation_grants_nothing(world):
    delegation = Delegation.objects.get(delegate=world["orgs"]["agence_delegated"])
    client = _client(world, "agence_delegated", Role.CONTRIBUTEUR)
    url = f"/api/v1/perimeters/{world['perimeters']['private'].pk}/"
    assert client.get(url).status_code == 200
    admin = _client(world, "epci_owner", Role.ADMIN)
    assert admin.post(f"/api/v1/delegations/{delegation.pk}/revoke/").status_code == 200
    assert client.get(url).status_code == 404
    # An agency cannot revoke, nor create, a delegation.
    assert client.post(f"/api/v1/delegations/{delegation.pk}/revoke/").status_code == 400


@pytest.mark.django_db
def test_admin_site_is_for_platform_administrators_only(world):
    for kind, role in [("epci_owner", Role.ADMIN), ("region", Role.ADMIN)]:
        response = _client(world, kind, role).get("/admin/territories/perimeter/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = _client(world, "platform_admin", None).get("/admin/territories/perimeter/")
    assert response.status_code == 200
