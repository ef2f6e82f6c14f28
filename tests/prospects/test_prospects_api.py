"""Prospects through HTTP: confidential to the task force (404 elsewhere, absent from every list), every read
audited, and the workflow: share with an EPCI, proposals, shortlist, status history, pipeline counts."""

import pytest
from rest_framework.test import APIClient

from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Role
from tandem.prospects.models import Prospect
from tests.factories import epci_org, make_member, make_user, other_org, region_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db
CODE_NAME = "Projet Héron-7"
MULHOUSE, STRASBOURG = "200066009", "246700488"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world():
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse, strasbourg = epci_org(MULHOUSE), epci_org(STRASBOURG)
    chargee = make_member(agency, Role.CONTRIBUTEUR, "chargee")
    colleague = make_member(agency, Role.ADMIN, "collegue-hors-task-force")
    epci_dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dev-mulhouse")
    epci_other = make_member(mulhouse, Role.ADMIN, "admin-mulhouse")
    zae = make_site(mulhouse, "68224", tdm_power_mw=30)
    t1, t2 = make_terrain(zae, 6), make_terrain(zae, 9)
    foreign = make_terrain(make_site(strasbourg, "67482"), 20)
    response = client_for(chargee).post(
        "/api/v1/prospects/",
        {
            "owner": agency.pk,
            "code_name": CODE_NAME,
            "naf": "24.10Z",
            "surface_min_ha": 5,
            "surface_ideal_ha": 8,
            "power_mw": 20,
            "jobs_at_start": 120,
            "jobs_at_three_years": 250,
            "investment_eur": "85000000",
            "production_start_on": "2028-09-01",
            "preferred_epcis": [MULHOUSE],
            "plan_500": True,
            "is_relocation": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return {
        "agency": agency,
        "mulhouse": mulhouse,
        "chargee": chargee,
        "colleague": colleague,
        "epci_dev": epci_dev,
        "epci_other": epci_other,
        "t1": t1,
        "t2": t2,
        "foreign": foreign,
        "prospect": Prospect.objects.unscoped().get(pk=response.json()["id"]),
    }


def test_the_creator_is_in_the_task_force_and_every_read_is_audited(world):
    prospect, chargee = world["prospect"], world["chargee"]
    assert list(prospect.members.values_list("username", flat=True)) == ["chargee"]
    before = AuditEvent.objects.filter(action=AuditEvent.Action.READ, object_id=str(prospect.pk)).count()
    response = client_for(chargee).get(f"/api/v1/prospects/{prospect.pk}/")
    assert response.status_code == 200
    assert response.json()["code_name"] == CODE_NAME
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, object_id=str(prospect.pk))
    assert reads.count() == before + 1
    assert reads.first().username == "chargee"
    assert reads.first().object_repr == f"prospect n°{prospect.pk} (confidentiel)"  # never the code name
    client_for(chargee).get("/api/v1/prospects/")
    listed = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, object_type="prospects.prospect", object_id=""
    )
    assert listed.latest("id").details == {"list": [prospect.pk]}


def outsiders(world):
    return [
        world["colleague"],  # same agency, administrator, not in the task force
        world["epci_dev"],  # not yet shared
        make_member(region_org(), Role.ADMIN),
        make_user("superviseur", superuser=True),  # platform administrators are no exception
    ]


OUTSIDER_URLS = [
    "/api/v1/prospects/",
    "/api/v1/prospects/pipeline/",
    "/api/v1/audit/",
    "/api/v1/organizations/",
    "/api/v1/me/",
    "/",
]


def test_outside_the_task_force_the_prospect_does_not_exist(world):
    prospect = world["prospect"]
    detail = f"/api/v1/prospects/{prospect.pk}/"
    for user in outsiders(world):
        client = client_for(user)
        for url in (detail, f"{detail}matching/", f"{detail}proposals/", f"{detail}status/"):
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert response.json() == {"detail": "Introuvable."}
        assert client.patch(detail, {"code_name": "x"}, format="json").status_code == 404
        assert client.post(f"{detail}share/", {}, format="json").status_code == 404
        assert client.get("/api/v1/prospects/").json()["count"] == 0
        web = APIClient()
        web.force_login(user)
        for url in OUTSIDER_URLS:
            response = (web if url == "/" else client).get(url, follow=True)
            assert CODE_NAME not in response.content.decode(), (user, url)
    # A missing id answers exactly the same as a hidden one.
    assert client_for(world["colleague"]).get("/api/v1/prospects/999999/").json() == {
        "detail": "Introuvable."
    }


def test_pipeline_counts_without_revealing_a_prospect(world):
    # One prospect: every cell would single it out (the total, its status, Plan 500, its département).
    body = client_for(world["colleague"]).get("/api/v1/prospects/pipeline/").json()
    assert body == {"total": None, "by_status": {}, "plan_500": None, "by_departement": {}}
    page = APIClient()
    page.force_login(world["colleague"])
    html = page.get("/prospects/").content.decode()
    assert "Moins de trois prospects au total" in html
    epci_view = client_for(world["epci_dev"]).get("/api/v1/prospects/pipeline/").json()
    assert epci_view["total"] is None

    # Six prospects: 3 received, 2 shared, 1 won; one Plan 500; all wanted in the Haut-Rhin.
    from tandem.organizations.perms import Actor
    from tandem.prospects.services import prospect_create, prospect_set_status

    lead = Actor.for_user(world["chargee"])
    statuses = ["received", "received", "shared", "shared", "won"]
    for n, status in enumerate(statuses):
        prospect = prospect_create(
            actor=lead,
            owner=world["agency"],
            code_name=f"Projet {n}",
            surface_min_ha=2,
            preferred_epcis=[MULHOUSE],
        )
        if status != "received":
            prospect_set_status(actor=lead, prospect=prospect, status=status)
    body = client_for(world["colleague"]).get("/api/v1/prospects/pipeline/").json()
    assert body["total"] == 6
    # « shared » (2) and « won » (1) are merged; no cell shows 1 or 2.
    assert body["by_status"]["received"] == 3 and body["by_status"]["autres"] == 3
    assert "shared" not in body["by_status"] and "won" not in body["by_status"]
    assert all(n == 0 or n >= 3 for n in body["by_status"].values())
    assert body["plan_500"] is None  # one Plan 500 prospect out of six: not shown
    assert body["by_departement"] == {"68": 6}


def test_workflow_share_propose_shortlist(world):
    prospect, chargee, epci_dev = world["prospect"], world["chargee"], world["epci_dev"]
    base = f"/api/v1/prospects/{prospect.pk}/"
    lead = client_for(chargee)
    # Only named people of the chosen organisations join the task force.
    refused = lead.post(
        f"{base}share/", {"organizations": [world["mulhouse"].pk], "members": ["collegue-hors-task-force"]}
    )
    assert refused.status_code == 400 and "hors des organisations" in refused.json()["detail"]
    shared = lead.post(
        f"{base}share/", {"organizations": [world["mulhouse"].pk], "members": ["dev-mulhouse"]}, format="json"
    )
    assert shared.status_code == 200, shared.content
    assert sorted(shared.json()["members"]) == ["chargee", "dev-mulhouse"]

    epci = client_for(epci_dev)
    assert epci.get(base).status_code == 200
    assert client_for(world["epci_other"]).get(base).status_code == 404  # same EPCI, not named
    ranked = epci.get(f"{base}matching/").json()
    assert {r["id"] for r in ranked["results"]} == {f"terrain:{world['t1'].pk}", f"terrain:{world['t2'].pk}"}
    for terrain in (world["t1"], world["t2"]):
        response = epci.post(
            f"{base}proposals/",
            {
                "organization": world["mulhouse"].pk,
                "kind": "terrain",
                "object_id": terrain.pk,
                "comment": "libre",
            },
            format="json",
        )
        assert response.status_code == 200, response.content
    invisible = epci.post(
        f"{base}proposals/",
        {"organization": world["mulhouse"].pk, "kind": "terrain", "object_id": world["foreign"].pk},
        format="json",
    )
    assert invisible.status_code == 400 and "introuvable" in invisible.json()["detail"]
    # The EPCI proposes; shortlisting belongs to the owner's contributors.
    proposals = epci.get(f"{base}proposals/").json()
    assert len(proposals) == 2
    first = proposals[0]["id"]
    assert epci.post(f"{base}proposals/{first}/shortlist/", {}, format="json").status_code == 403
    for proposal in proposals:
        response = lead.post(
            f"{base}proposals/{proposal['id']}/shortlist/", {"shortlisted": True}, format="json"
        )
        assert response.status_code == 200 and response.json()["shortlisted"] is True
    history = lead.get(f"{base}status/").json()
    assert [h["status"] for h in history] == ["received", "shared", "proposals", "shortlisted"]
    assert history[1]["by"] == "chargee" and history[2]["by"] == "dev-mulhouse"
    done = lead.post(f"{base}status/", {"status": "visit", "comment": "visite le 12"}, format="json").json()
    assert done[-1] == done[-1] | {"status": "visit", "comment": "visite le 12", "by": "chargee"}


def test_only_agencies_and_the_region_record_prospects(world):
    response = client_for(world["epci_dev"]).post(
        "/api/v1/prospects/",
        {"owner": world["mulhouse"].pk, "code_name": "X", "surface_min_ha": 1},
        format="json",
    )
    assert response.status_code == 403
    bad = client_for(world["chargee"]).post(
        "/api/v1/prospects/",
        {"owner": world["agency"].pk, "code_name": "Y", "surface_min_ha": 4, "surface_ideal_ha": 2},
        format="json",
    )
    assert bad.status_code == 400 and "surface idéale" in bad.json()["detail"]
