"""The access matrix on confidential prospects, through HTTP: the prospect, its proposals, its decisions, the
matching, the answer file and its events in the audit log, for every role of every organisation kind.

A prospect is seen by the named members of its task force only — platform administrators, the Région and the
other members of the organisations concerned included — while they belong to the owner or to an organisation
it is shared with; among them, the owner's contributors change it. Stated here independently of the permission
layer.
"""

from __future__ import annotations

import pytest

from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.prospects.services import proposal_create, prospect_create, prospect_share
from tandem.prospects.value import decision_record
from tests.organizations.matrix import WRITERS, actor_ids, actors, client_for, matrix_world, norm
from tests.prospects.builders import make_site, make_terrain

KINDS = ["region", "epci_owner", "epci_other", "agence_delegated", "agence_investissement"]
ACTORS = actors(KINDS)
# The task force: two members of the owner (the agency) and one of the EPCI it is shared with.
NAMED = {
    ("agence_investissement", Role.CONTRIBUTEUR),
    ("agence_investissement", Role.LECTEUR),
    ("epci_owner", Role.CONTRIBUTEUR),
}
READS = ["read", "list", "proposals", "decisions", "matching", "answer", "audit"]


def expected(kind: str, role, action: str) -> int:
    if kind == "anonymous":
        return 401
    if (kind, role) not in NAMED:
        return 404
    if action == "update":
        return 200 if kind == "agence_investissement" and role in WRITERS else 403
    return 200


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with matrix_world(django_db_blocker, KINDS) as world:
        with django_db_blocker.unblock():
            orgs, users = world["orgs"], world["users"]
            lead = Actor.for_user(users[("agence_investissement", Role.CONTRIBUTEUR)])
            prospect = prospect_create(
                actor=lead,
                owner=orgs["agence_investissement"],
                code_name="Projet Matrice ZQP",
                surface_min_ha=2,
                members=[users[("agence_investissement", Role.LECTEUR)]],
            )
            prospect_share(
                actor=lead,
                prospect=prospect,
                organizations=[orgs["epci_owner"]],
                members=[users[("epci_owner", Role.CONTRIBUTEUR)]],
            )
            terrain = make_terrain(make_site(orgs["epci_owner"], "67482"), 4)
            proposal = proposal_create(
                actor=Actor.for_user(users[("epci_owner", Role.CONTRIBUTEUR)]),
                prospect=prospect,
                organization=orgs["epci_owner"],
                kind="terrain",
                object_id=terrain.pk,
            )
            decision_record(actor=lead, prospect=prospect, outcome="support", reason="Projet structurant zqp")
        yield {**world, "prospect": prospect, "proposal": proposal}


def _status(client, prospect, action: str) -> int:
    api, web = f"/api/v1/prospects/{prospect.pk}/", f"/prospects/{prospect.pk}/"
    if action == "read":
        page, rest = norm(client.get(web)), norm(client.get(api))
        assert page == rest, (page, rest)
        return rest
    if action == "list":
        response = client.get("/api/v1/prospects/", {"page_size": 1000})
        if norm(response) != 200:
            return norm(response)
        in_api = any(p["id"] == prospect.pk for p in response.json()["results"])
        assert in_api == (prospect.code_name in client.get("/prospects/").content.decode())
        return 200 if in_api else 404
    if action in ("proposals", "decisions", "matching"):
        return norm(client.get(f"{api}{action}/"))
    if action == "answer":
        # A member who may not generate the answer file is sent back to the prospect, never told it is absent.
        return norm(client.get(f"{web}reponse/"))
    if action == "audit":
        response = client.get("/api/v1/audit/", {"page_size": 1000})
        if norm(response) != 200:
            return norm(response)
        events = response.json()["results"]
        # Events about the prospect are for its task force; readers of no journal see none either.
        about = [e for e in events if e["object_type"] == "prospects.prospect"]
        return 200 if any(e["object_id"] == str(prospect.pk) for e in about) else 404
    return norm(client.patch(api, {"surface_min_ha": 3}, content_type="application/json"))


def _expected_audit(kind, role) -> int:
    """The journal is read by contributors and administrators; the prospect's events by its task force."""
    if kind == "anonymous":
        return 401
    return 200 if (kind, role) in NAMED and role in WRITERS else 404


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=actor_ids(ACTORS))
def test_matrix_on_prospects(world, kind, role):
    client = client_for(world, kind, role)
    mismatches = []
    for action in [*READS, "update"]:
        want = _expected_audit(kind, role) if action == "audit" else expected(kind, role, action)
        got = _status(client, world["prospect"], action)
        if got != want:
            mismatches.append(f"{action}: attendu {want}, obtenu {got}")
    assert not mismatches, mismatches
