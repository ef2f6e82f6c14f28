"""The audit log never reveals a confidential object to an organisation administrator outside its task force."""

import pytest

from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor, audit_events_visible_q
from tandem.prospects.models import Prospect
from tests.factories import make_member, other_org
from tests.prospects.test_prospects_api import client_for

pytestmark = pytest.mark.django_db


def test_admin_outside_the_task_force_sees_no_event_of_the_prospect():
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    chargee = make_member(agency, Role.ADMIN, "chargee-admin")
    colleague = make_member(agency, Role.ADMIN, "admin-hors-task-force")
    created = client_for(chargee).post(
        "/api/v1/prospects/",
        {
            "owner": agency.pk,
            "code_name": "Projet Héron",
            "naf": "24.10Z",
            "surface_min_ha": 5,
            "power_mw": 2,
            "production_start_on": "2028-09-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    prospect = Prospect.objects.unscoped().get(pk=created.json()["id"])
    client_for(chargee).get(f"/api/v1/prospects/{prospect.pk}/")
    client_for(chargee).get("/api/v1/prospects/")
    events = AuditEvent.objects.filter(object_type="prospects.prospect")
    assert events.filter(object_id=str(prospect.pk)).count() >= 2 and events.filter(object_id="").exists()

    member_log = client_for(chargee).get("/api/v1/audit/", {"page_size": 1000}).json()["results"]
    assert any(
        e["object_type"] == "prospects.prospect" and e["object_id"] == str(prospect.pk) for e in member_log
    )
    outsider_log = client_for(colleague).get("/api/v1/audit/", {"page_size": 1000}).json()["results"]
    assert not any(e["object_type"].startswith("prospects.") for e in outsider_log)
    assert (
        AuditEvent.objects.filter(
            audit_events_visible_q(Actor.for_user(colleague)), object_type="prospects.prospect"
        ).count()
        == 0
    )
    # Events of the organisation about ordinary objects are still there for its administrator.
    from tandem.organizations.services import membership_set
    from tests.factories import make_user

    membership_set(
        organization=agency, user=make_user("recrue"), role=Role.LECTEUR, actor=Actor.for_user(chargee)
    )
    outsider_log = client_for(colleague).get("/api/v1/audit/", {"page_size": 1000}).json()["results"]
    assert any(e["object_type"] == "organizations.membership" for e in outsider_log)


def _proposal_world():
    from tandem.prospects.services import (
        proposal_create,
        prospect_create,
        prospect_set_status,
        prospect_share,
    )
    from tests.factories import epci_org
    from tests.prospects.builders import make_site, make_terrain

    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    epci = epci_org("200066009")
    chargee = make_member(agency, Role.CONTRIBUTEUR, "chargee-audit")
    epci_dev = make_member(epci, Role.CONTRIBUTEUR, "dev-audit")
    epci_admin = make_member(epci, Role.ADMIN, "admin-epci-hors-task-force")
    lead = Actor.for_user(chargee)
    prospect = prospect_create(actor=lead, owner=agency, code_name="Projet Martin-pêcheur", surface_min_ha=2)
    prospect_share(actor=lead, prospect=prospect, organizations=[epci], members=[epci_dev])
    prospect_set_status(actor=lead, prospect=prospect, status="visit", comment="visite secrète du 12")
    terrain = make_terrain(make_site(epci, "68224"), 4)
    proposal_create(
        actor=Actor.for_user(epci_dev),
        prospect=prospect,
        organization=epci,
        kind="terrain",
        object_id=terrain.pk,
    )
    return {
        "agency": agency,
        "chargee": chargee,
        "epci_admin": epci_admin,
        "prospect": prospect,
        "terrain": terrain,
    }


def test_sharing_a_proposed_candidate_does_not_reveal_the_prospect():
    """The EPCI's administrator, outside the task force, reads the land event of the terrain shared with the
    agency, without any word of a prospect."""
    world = _proposal_world()
    client = client_for(world["epci_admin"])
    events = client.get("/api/v1/audit/", {"page_size": 1000}).json()["results"]
    land = [
        e for e in events if e["object_type"] == "land.terrain" and e["object_id"] == str(world["terrain"].pk)
    ]
    assert land, "le partage du terrain reste journalisé pour son propriétaire"
    text = str(events).lower()
    assert "prospect" not in text and "proposition" not in text
    from django.test import Client

    web = Client()
    web.force_login(world["epci_admin"])
    journal = web.get("/journal/").content.decode().lower()
    assert str(world["terrain"].pk) in journal or "terrain" in journal
    assert "proposition" not in journal and "confidentiel" not in journal and "prospects." not in journal


def test_the_django_admin_shows_no_confidential_event_outside_the_task_force():
    from django.test import Client

    from tests.factories import make_user

    world = _proposal_world()
    outsider = Client()
    outsider.force_login(make_user("plateforme-hors-task-force", superuser=True))
    page = outsider.get("/admin/core/auditevent/", {"q": ""}).content.decode()
    assert "(confidentiel)" not in page and "prospects.proposal" not in page
    detail_ids = AuditEvent.objects.filter(object_type="prospects.prospect").values_list("pk", flat=True)
    for pk in detail_ids:
        body = outsider.get(f"/admin/core/auditevent/{pk}/change/", follow=True)
        assert "visite secrète" not in body.content.decode() and "chargee-audit" not in body.content.decode()
    # A platform administrator named in the task force reads them.
    insider_user = make_user("plateforme-task-force", superuser=True)
    from tandem.organizations.models import Membership

    Membership.objects.create(user=insider_user, organization=world["agency"], role=Role.LECTEUR)
    world["prospect"].members.add(insider_user)
    insider = Client()
    insider.force_login(insider_user)
    assert "(confidentiel)" in insider.get("/admin/core/auditevent/").content.decode()


def test_user_and_token_admins_write_audit_events():
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from tests.factories import make_user

    admin_user = make_user("plateforme-audit", superuser=True)
    target = make_user("compte-cible")
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": "Un-nouveau-mot-de-passe-42", "password2": "Un-nouveau-mot-de-passe-42"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(target.pk)).latest("id")
    assert event.username == "plateforme-audit" and event.action == AuditEvent.Action.UPDATE
    assert "Un-nouveau-mot-de-passe-42" not in str(event.details)

    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": target.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    key = Token.objects.get(user=target).key
    event = AuditEvent.objects.filter(object_type="authtoken.tokenproxy").latest("id")
    assert event.action == AuditEvent.Action.CREATE and event.object_repr == "jeton d'API de compte-cible"
    assert not AuditEvent.objects.filter(object_id=key).exists()
    assert not any(key in (e.object_repr + str(e.details)) for e in AuditEvent.objects.all())
    client.post(f"/admin/authtoken/tokenproxy/{target.pk}/delete/", {"post": "yes"})
    assert not Token.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(
        object_type="authtoken.tokenproxy", action=AuditEvent.Action.DELETE, object_id=str(target.pk)
    ).exists()
