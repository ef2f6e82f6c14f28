"""The Région keeps operators, their offices (with the territories they cover) and the solution providers
(offreurs de solution) of Grand Est Transformation in the web; a provider's office covering a company's commune
for the need's subject is proposed in routing; other roles are refused (role × action matrix)."""

import re
from html import unescape

import pytest
from django.test import Client

from tandem.catalogue.models import Office, Operator, Subject
from tandem.companies.followup import need_create
from tandem.companies.models import Need
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import PASSWORD, epci_org, make_member, make_user, other_org, region_org

STRASBOURG_EPCI = "246700488"
pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_region_records_a_solution_provider_and_routing_proposes_it():
    energy = Subject.objects.create(slug="energie", label="Énergie")
    region = client_for(make_member(region_org("44")))
    created = region.post(
        "/catalogue/operateurs/nouveau/",
        {
            "name": "Bureau d'études fictif (démo)",
            "kind": "offreur",
            "siren": "987654321",
            "get_programme": "Grand Est Transformation — Performance",
            "skills": "efficacité énergétique, audit énergétique, efficacité énergétique",
            "subjects": [energy.pk],
        },
    )
    assert created.status_code == 302
    provider = Operator.objects.get(name="Bureau d'études fictif (démo)")
    assert provider.skills == ["efficacité énergétique", "audit énergétique"]

    refused = region.post(
        f"/catalogue/operateurs/{provider.slug}/antennes/nouvelle/",
        {"name": "Antenne de Strasbourg (démo)", "epcis": "246700488, 999999999"},
    )
    assert refused.status_code == 200 and "EPCI inconnu : « 999999999 »" in text(refused)
    assert not Office.objects.filter(operator=provider).exists()
    saved = region.post(
        f"/catalogue/operateurs/{provider.slug}/antennes/nouvelle/",
        {
            "name": "Antenne de Strasbourg (démo)",
            "email": "contact@bureau-fictif.example",
            "epcis": STRASBOURG_EPCI,
        },
    )
    assert saved.status_code == 302
    office = Office.objects.get(operator=provider)
    assert list(office.epcis.values_list("pk", flat=True)) == [STRASBOURG_EPCI]

    sheet = text(region.get(f"/catalogue/operateurs/{provider.slug}/"))
    assert "Programme Grand Est Transformation Grand Est Transformation — Performance" in sheet
    assert "audit énergétique" in sheet and "1 EPCI" in sheet
    listed = text(region.get("/catalogue/operateurs/?type=offreur&competence=audit"))
    assert "Bureau d'études fictif (démo)" in listed
    assert "Bureau d'études fictif (démo)" not in text(region.get("/catalogue/operateurs/?type=opco"))

    inside = make_company("67482", name="ATELIERS FICTIFS DU RHIN", naf="25.62B", headcount_band="11")
    outside = make_company("68224", name="ATELIERS FICTIFS DE MULHOUSE", naf="25.62B", headcount_band="11")
    pages = {}
    for company, epci in ((inside, STRASBOURG_EPCI), (outside, "200066009")):
        org = epci_org(epci)
        referent = make_member(org)
        need = need_create(
            actor=Actor.for_user(referent, org.pk),
            owner=org,
            company=company,
            topic=Need.Topic.ENVIRONMENT,
            title="Réduire la facture d'énergie",
        )
        pages[company.siren] = text(client_for(referent).get(f"/catalogue/besoins/{need.pk}/"))
    assert "Antenne de Strasbourg (démo)" in pages[inside.siren]
    assert "offreur de solution, Grand Est Transformation — Performance" in pages[inside.siren]
    assert "Antenne de Strasbourg (démo)" not in pages[outside.siren]  # Mulhouse is outside its EPCI


# GET the forms and POST them: create an operator, edit it, create an office, edit it.
EDITING_EXPECTED = {
    "region_contributor": (200, 302, 302, 302),
    "region_admin": (200, 302, 302, 302),
    "platform_admin": (200, 302, 302, 302),
    "region_reader": (403, 403, 403, 403),
    "epci_admin": (403, 403, 403, 403),
    "partner": (403, 403, 403, 403),
    "anonymous": (302, 302, 302, 302),  # to the login page
}


def test_operator_and_office_editing_by_role(db):
    region = region_org("44")
    users = {
        "region_contributor": make_member(region),
        "region_admin": make_member(region, role=Role.ADMIN),
        "platform_admin": make_user(superuser=True),
        "region_reader": make_member(region, role=Role.LECTEUR),
        "epci_admin": make_member(epci_org(STRASBOURG_EPCI), role=Role.ADMIN),
        "partner": make_member(other_org(Organization.Kind.OPERATEUR)),
    }
    operator = Operator.objects.create(name="Opérateur fictif (démo)", slug="fictif", is_demo=True)
    office = Office.objects.create(operator=operator, key="f67", name="Antenne 67 (démo)", is_demo=True)
    for role, expected in EDITING_EXPECTED.items():
        client = Client() if role == "anonymous" else client_for(users[role])
        before = (Operator.objects.count(), Office.objects.count())
        got = (
            client.get("/catalogue/operateurs/nouveau/").status_code,
            client.post(
                "/catalogue/operateurs/nouveau/", {"name": f"Agence {role} (démo)", "kind": "agence"}
            ).status_code,
            client.post(
                f"/catalogue/operateurs/{operator.slug}/antennes/nouvelle/", {"name": f"Antenne {role}"}
            ).status_code,
            client.post(
                f"/catalogue/antennes/{office.pk}/modifier/",
                {"name": f"Antenne 67 {role}", "departements": ["67"]},
            ).status_code,
        )
        assert got == expected, role
        allowed = expected[1] == 302 and role != "anonymous"
        assert (Operator.objects.count(), Office.objects.count()) == (
            (before[0] + 1, before[1] + 1) if allowed else before
        ), role
        office.refresh_from_db()
        assert (office.name == f"Antenne 67 {role}") is allowed, role
