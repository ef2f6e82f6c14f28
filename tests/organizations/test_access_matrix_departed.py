"""The access matrix for a departed member, through HTTP: a named task-force member who leaves the organisation
(removed at /organisation/membres/) loses the prospect at once — detail, list, proposals, decisions, answer
file, matching, audit — exactly as if they had never been named (404)."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.core.models import AuditEvent
from tandem.organizations.models import Membership, Organization, Role
from tandem.organizations.perms import Actor, audit_events_visible_q
from tandem.prospects.models import Prospect
from tandem.prospects.services import proposal_create, prospect_create, prospect_share
from tandem.prospects.value import decision_record
from tests.factories import epci_org, make_member, other_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db
MULHOUSE = "200066009"


def _urls(prospect: Prospect) -> list[str]:
    api = f"/api/v1/prospects/{prospect.pk}/"
    web = f"/prospects/{prospect.pk}/"
    return [
        api,
        f"{api}proposals/",
        f"{api}decisions/",
        f"{api}status/",
        f"{api}matching/",
        web,
        f"{web}reponse/",
    ]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    epci = epci_org(MULHOUSE)
    chargee = make_member(agency, Role.CONTRIBUTEUR, "chargee-depart")
    collegue = make_member(agency, Role.CONTRIBUTEUR, "collegue-depart")
    epci_admin = make_member(epci, Role.ADMIN, "admin-epci-depart")
    epci_dev = make_member(epci, Role.CONTRIBUTEUR, "dev-epci-depart")
    # The departing developer also administers another organisation: they keep an account and a journal.
    Membership.objects.create(
        user=epci_dev, organization=other_org(Organization.Kind.OPERATEUR), role=Role.ADMIN
    )
    lead = Actor.for_user(chargee)
    prospect = prospect_create(
        actor=lead, owner=agency, code_name="Projet Départ", surface_min_ha=2, members=[collegue]
    )
    prospect_share(actor=lead, prospect=prospect, organizations=[epci], members=[epci_dev])
    terrain = make_terrain(make_site(epci, "68224"), 4)
    proposal_create(
        actor=Actor.for_user(epci_dev),
        prospect=prospect,
        organization=epci,
        kind="terrain",
        object_id=terrain.pk,
    )
    decision_record(actor=lead, prospect=prospect, outcome="support", reason="Projet structurant")
    return {
        "agency": agency,
        "epci": epci,
        "chargee": chargee,
        "collegue": collegue,
        "epci_admin": epci_admin,
        "epci_dev": epci_dev,
        "prospect": prospect,
    }


def _statuses(user, prospect) -> dict[str, int]:
    client = _client(user)
    return {url: client.get(url).status_code for url in _urls(prospect)}


def test_a_member_removed_from_the_epci_loses_the_prospect(world):
    prospect, dev = world["prospect"], world["epci_dev"]
    # Before: every page answers (the answer file redirects a member who may not generate it, not 404).
    assert 404 not in _statuses(dev, prospect).values()
    membership = Membership.objects.get(user=dev, organization=world["epci"])
    response = _client(world["epci_admin"]).post("/organisation/membres/", {"remove": membership.pk})
    assert response.status_code == 302 and not Membership.objects.filter(pk=membership.pk).exists()
    # Still a named member of the task force, no longer in an organisation the prospect is shared with.
    assert prospect.members.filter(pk=dev.pk).exists()
    assert _statuses(dev, prospect) == {url: 404 for url in _urls(prospect)}
    client = _client(dev)
    assert client.get("/api/v1/prospects/").json()["count"] == 0
    assert "Projet Départ" not in client.get("/prospects/").content.decode()
    assert client.get(f"/prospects/{prospect.pk}/reponse.pdf").status_code == 404
    # Their journal (they administer another organisation) shows no event of the prospect.
    events = client.get("/api/v1/audit/", {"page_size": 1000}).json()["results"]
    assert not any(e["object_type"].startswith("prospects.") and e["object_id"] for e in events)
    assert not AuditEvent.objects.filter(
        audit_events_visible_q(Actor.for_user(dev)),
        object_id=str(prospect.pk),
        object_type="prospects.prospect",
    ).exists()
    # Their colleague still in the EPCI's partner, the agency, is unaffected.
    assert set(_statuses(world["collegue"], prospect).values()) == {200}


def test_a_member_who_leaves_the_owner_agency_loses_the_prospect(world):
    prospect, collegue = world["prospect"], world["collegue"]
    Membership.objects.filter(user=collegue, organization=world["agency"]).delete()
    # Joining an unrelated organisation changes nothing.
    Membership.objects.create(
        user=collegue, organization=other_org(Organization.Kind.AGENCE), role=Role.ADMIN
    )
    assert _statuses(collegue, prospect) == {url: 404 for url in _urls(prospect)}
    # Back in the agency, the named member sees it again: membership is checked on every request.
    Membership.objects.create(user=collegue, organization=world["agency"], role=Role.CONTRIBUTEUR)
    assert set(_statuses(collegue, prospect).values()) == {200}
