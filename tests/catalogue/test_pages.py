"""Catalogue pages as users read them (Django test client, real data): search and filters, a scheme sheet with
its eligibility in words, a need's schemes and partners, routing, the partner's answer, the timeline and the
indicators; and the role × object access matrix of routings."""

import re
from html import unescape

import pytest
from django.test import Client

from tandem.catalogue.importers import tee_import
from tandem.catalogue.models import NeedRouting, Office, Operator, Subject
from tandem.companies.followup import need_create
from tandem.companies.models import Need
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import PASSWORD, epci_org, make_member, other_org, region_org

STRASBOURG = "246700488"
MULHOUSE = "200066009"


def text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def world(db):
    tee_import(folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor())
    recruit = Subject.objects.create(slug="recruter", label="Recruter")
    operator = Operator.objects.create(name="Opérateur fictif (démo)", slug="fictif", is_demo=True)
    operator.subjects.add(recruit)
    partner_org, other_partner_org = (
        other_org(Organization.Kind.OPERATEUR),
        other_org(Organization.Kind.OPERATEUR),
    )
    office = Office.objects.create(
        operator=operator, key="f67", name="Antenne 67 (démo)", organization=partner_org
    )
    office.departements.add("67")
    strasbourg, mulhouse, region = epci_org(STRASBOURG), epci_org(MULHOUSE), region_org("44")
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN", headcount_band="11")
    users = {
        "referent": make_member(strasbourg),
        "reader": make_member(strasbourg, role=Role.LECTEUR),
        "partner": make_member(partner_org),
        "other_partner": make_member(other_partner_org),
        "other_epci": make_member(mulhouse),
        "region": make_member(region),
    }
    need = need_create(
        actor=Actor.for_user(users["referent"], strasbourg.pk),
        owner=strasbourg,
        company=company,
        topic=Need.Topic.RECRUITMENT,
        title="Recruter deux soudeurs",
    )
    return {"company": company, "need": need, "office": office, "users": users}


def test_catalogue_search_sheet_need_routing_answer_timeline_and_indicators(world):
    users, need, company = world["users"], world["need"], world["company"]
    referent = client_for(users["referent"])

    page = text(referent.get("/catalogue/?region=44&nature=financement&q=cheque vert"))
    assert "Chèque Vert Grand Est" in page or "Chèque vert" in page
    sheet = text(referent.get("/catalogue/dispositifs/cheque-vert-grand-est/"))
    assert "Éligibilité" in sheet and "Effectif salarié" in sheet and "non vérifiable" in sheet
    sheet = text(referent.get(f"/catalogue/dispositifs/cheque-vert-grand-est/?entreprise={company.siren}"))
    assert "Effectif salarié" in sheet and "rempli" in sheet

    panel = text(referent.get(f"/catalogue/besoins/{need.pk}/"))
    assert "Antenne 67 (démo)" in panel and "Dispositifs possibles" in panel
    assert "L'entreprise relève-t-elle du régime de la micro-entreprise ?" in panel
    response = referent.post(
        f"/catalogue/besoins/{need.pk}/", {"antenne": world["office"].pk, "message": "Urgent"}
    )
    assert response.status_code == 302
    routing = NeedRouting.objects.unscoped().get()

    partner = client_for(users["partner"])
    assert "Recruter deux soudeurs" in text(partner.get("/catalogue/orientations/"))
    partner.post(f"/catalogue/orientations/{routing.pk}/prendre/")
    partner.post(
        f"/catalogue/orientations/{routing.pk}/cloturer/",
        {"resultat": "granted", "montant": "12 500", "reponse": "Aide à l'embauche accordée"},
    )
    routing.refresh_from_db()
    assert routing.status == NeedRouting.Status.CLOSED and routing.amount_eur == 12500
    company_page = text(referent.get(f"/entreprises/{company.siren}/"))
    assert "aide accordée, 12 500 €" in company_page  # text() folds the narrow spaces

    figures = text(client_for(users["region"]).get("/catalogue/indicateurs/?region=44"))
    assert "Orientations envoyées 1" in figures and "Aides accordées 1" in figures


ROLES = ["referent", "reader", "other_partner", "other_epci", "region", "anonymous", "partner"]
# What each role gets: the routing sheet, the need's panel, answering (taking) the routing. Visible but not
# allowed is 403; not visible is 404; anonymous users go to the login page.
EXPECTED = {
    "referent": (200, 200, 403),  # the sender does not answer for the partner
    "reader": (200, 200, 403),
    "other_partner": (404, 404, 404),
    "other_epci": (404, 404, 404),
    "region": (200, 404, 403),  # the Région reads routings (shared with it), not the EPCI's private need
    "anonymous": (302, 302, 302),
    "partner": (200, 200, 302),
}


def test_routing_access_by_role(world):
    from tandem.catalogue.services import routing_send

    users = world["users"]
    routing = routing_send(
        actor=Actor.for_user(users["referent"], world["need"].owner_id),
        need=world["need"],
        office=world["office"],
    )
    for role in ROLES:
        client = Client() if role == "anonymous" else client_for(users[role])
        got = (
            client.get(f"/catalogue/orientations/{routing.pk}/").status_code,
            client.get(f"/catalogue/besoins/{world['need'].pk}/").status_code,
            client.post(f"/catalogue/orientations/{routing.pk}/prendre/").status_code,
        )
        assert got == EXPECTED[role], role
        routing.refresh_from_db()
        assert routing.status == (
            NeedRouting.Status.TAKEN if role == "partner" else NeedRouting.Status.SENT
        ), role
    assert routing.answered_by == users["partner"]


def test_the_region_edits_operators_and_offices_others_may_not(world):
    users, office = world["users"], world["office"]
    region = client_for(users["region"])
    epci = client_for(users["referent"])
    assert epci.get("/catalogue/operateurs/fictif/modifier/").status_code == 403
    assert (
        epci.post(f"/catalogue/antennes/{office.pk}/modifier/", {"name": "x", "email": "x@example.fr"}).status_code == 403
    )
    assert "Modifier l'opérateur" not in text(epci.get("/catalogue/operateurs/fictif/"))

    refused = region.post(
        "/catalogue/operateurs/nouveau/",
        {"name": "Agence fictive (démo)", "kind": "agence", "siren": "12345"},
    )
    assert refused.status_code == 200 and "SIREN invalide : « 12345 »" in text(refused)
    created = region.post(
        "/catalogue/operateurs/nouveau/",
        {
            "name": "Agence fictive (démo)",
            "kind": "agence",
            "siren": "123456789",
            "max_employees": "249",
            "naf_sections": "c, f",
            "subjects": [Subject.objects.get(slug="recruter").pk],
        },
    )
    assert created.status_code == 302
    agency = Operator.objects.get(name="Agence fictive (démo)")
    assert (agency.siren, agency.max_employees, agency.naf_sections) == ("123456789", 249, ["C", "F"])
    assert list(agency.subjects.values_list("slug", flat=True)) == ["recruter"]

    response = region.post(
        f"/catalogue/antennes/{office.pk}/modifier/", {"name": office.name, "email": "antenne67@example.fr"}
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.email == "antenne67@example.fr" and office.organization is None


def test_api_schemes_routings_and_answers(world):
    from rest_framework.test import APIClient

    users, need, office = world["users"], world["need"], world["office"]
    referent, partner, other = APIClient(), APIClient(), APIClient()
    referent.force_authenticate(users["referent"])
    partner.force_authenticate(users["partner"])
    other.force_authenticate(users["other_epci"])

    schemes = referent.get("/api/v1/catalogue/schemes/?region=44&q=cheque vert").json()
    assert "cheque-vert-grand-est" in [s["slug"] for s in schemes["results"]]
    proposals = referent.get(f"/api/v1/needs/{need.pk}/proposals/").json()
    assert [o["id"] for o in proposals["offices"]] == [office.pk] and proposals["schemes"]
    assert other.get(f"/api/v1/needs/{need.pk}/proposals/").status_code == 404

    created = referent.post("/api/v1/needs/routings/", {"need": need.pk, "office": office.pk}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert referent.post(f"/api/v1/needs/routings/{pk}/take/").status_code == 403
    assert other.get(f"/api/v1/needs/routings/{pk}/").status_code == 404
    assert partner.post(f"/api/v1/needs/routings/{pk}/take/").json()["status"] == "taken"
    missing = partner.post(f"/api/v1/needs/routings/{pk}/close/", {"outcome": "granted"}, format="json")
    assert missing.status_code == 400 and "montant" in missing.json()["detail"]
    closed = partner.post(
        f"/api/v1/needs/routings/{pk}/close/", {"outcome": "granted", "amount_eur": "3000"}, format="json"
    ).json()
    assert closed["status"] == "closed" and closed["amount_eur"] == "3000.00"
    assert [r["id"] for r in partner.get("/api/v1/needs/routings/").json()["results"]] == [pk]
    assert other.get("/api/v1/needs/routings/").json()["results"] == []
