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
    prospect = Prospect.objects.get(pk=created.json()["id"])
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
