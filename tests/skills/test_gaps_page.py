"""A company project's hiring need makes a flagged gap on the zone d'emploi's skills page; a Région user
records « session de formation demandée » on it and the gap shows the action."""

from datetime import date
from html import unescape

import pytest
from django.test import Client

from tandem.companies.followup import project_create
from tandem.companies.models import CompanyProject
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects.labour import bmo_import
from tandem.skills.models import SkillAction
from tandem.skills.selectors import gaps
from tandem.skills.territory import territory_get
from tandem.territories.models import Commune
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, region_org

pytestmark = pytest.mark.django_db
MULHOUSE = "200066009"


@pytest.fixture
def need():
    bmo_import(
        actor=Actor.system_actor(),
        bmo_path=shared_file("real/economy/bmo_2024/bmo_2024_grand_est.csv"),
        bassins_path=shared_file("real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"),
    )
    epci = epci_org(MULHOUSE)
    company = make_company("68224", name="USINAGE FICTIF DE DÉMONSTRATION")
    project = project_create(
        actor=Actor.for_user(make_member(epci, Role.CONTRIBUTEUR)),
        owner=epci,
        company=company,
        kind=CompanyProject.Kind.RECRUITMENT,
        title="Nouvelle ligne d'usinage",
        jobs=40,
        job_code="d0x31",
        expected_on=date(2027, 3, 1),
        visibility=Visibility.REGION,
    )
    return project


def test_company_need_makes_a_flagged_gap_and_a_region_user_records_an_action(need):
    assert need.job_code == "D0X31"
    ze = Commune.objects.get(pk="68224").zone_emploi_id
    region_user = make_member(region_org("44"), Role.CONTRIBUTEUR)
    found = gaps(actor=Actor.for_user(region_user), territory=territory_get("ze", ze))
    assert [(g["code"], g["needs"], g["flagged"]) for g in found] == [("D0X31", 40, True)]
    assert any("besoins annoncés (40)" in r for r in found[0]["reasons"])
    client = Client()
    client.force_login(region_user)
    page = unescape(client.get(f"/competences/ze/{ze}/").content.decode())
    assert "écart signalé" in page and "Nouvelle ligne d'usinage" in page
    assert "Ouvriers qualifiés en conduite d'équipement d'usinage" in page
    response = client.post(
        f"/competences/ze/{ze}/actions/",
        {
            "owner": Actor.for_user(region_user).current_org_id,
            "job_code": "D0X31",
            "kind": "training",
            "description": "Session CQPM usinage à ouvrir",
            "people": 12,
            "visibility": "region",
        },
    )
    assert response.status_code == 302
    action = SkillAction.objects.unscoped().get()
    assert (action.kind, action.job_label) == (
        "training",
        "Ouvriers qualifiés en conduite d'équipement d'usinage",
    )
    page = unescape(client.get(f"/competences/ze/{ze}/").content.decode())
    section = page[page.index('data-job="D0X31"') :]
    section = section[: section.index("</section>")]
    assert "Session de formation demandée — prévue" in section and "Session CQPM usinage à ouvrir" in section
    body = client.get(f"/api/v1/skills/ze/{ze}/").json()
    assert [(g["job_code"], g["needs"], g["flagged"], g["actions"]) for g in body["gaps"]] == [
        ("D0X31", 40, True, [action.pk])
    ]
    assert (
        body["figures"]["flagged_gaps"] == 1
        and body["actions"][0]["kind_label"] == "session de formation demandée"
    )
    # an EPCI elsewhere sees neither the need shared with the Région nor the action shared with the Région
    other = make_member(epci_org("246700488"), Role.ADMIN)
    assert gaps(actor=Actor.for_user(other), territory=territory_get("ze", ze)) == []
    client.force_login(other)
    body = client.get(f"/api/v1/skills/ze/{ze}/").json()
    assert (body["gaps"], body["actions"]) == ([], [])


def test_a_wrong_job_code_is_refused_in_french(need):
    with pytest.raises(Exception) as error:
        project_create(
            actor=Actor.system_actor(),
            owner=need.owner,
            company=need.company,
            kind=CompanyProject.Kind.RECRUITMENT,
            title="x",
            job_code="soudeur",
        )
    assert "code FAP 2021 (ex. D0X31) ou ROME (ex. H2903) attendu, reçu « SOUDEUR »" in str(error.value)


def test_a_prospect_s_jobs_add_to_the_gap_for_its_task_force_only(need):
    from tandem.prospects.services import prospect_create
    from tandem.territories.models import Epci

    region = region_org("44")
    member = make_member(region, Role.CONTRIBUTEUR)
    outsider = make_member(region, Role.CONTRIBUTEUR)
    prospect_create(
        actor=Actor.for_user(member),
        owner=region,
        code_name="Projet Héron (fictif)",
        surface_min_ha=5,
        jobs_at_three_years=9,
        skills=["D0X31", "D1X30"],
        preferred_epcis=[Epci.objects.get(pk=MULHOUSE)],
    )
    ze = territory_get("ze", Commune.objects.get(pk="68224").zone_emploi_id)
    seen = {g["code"]: g["needs"] for g in gaps(actor=Actor.for_user(member), territory=ze)}
    assert seen == {"D0X31": 40 + 5, "D1X30": 5}  # 9 jobs over two listed jobs: 5 each, rounded up
    assert {g["code"]: g["needs"] for g in gaps(actor=Actor.for_user(outsider), territory=ze)} == {
        "D0X31": 40
    }


def test_pages_without_any_bmo_survey_say_so_instead_of_empty_brackets(client):
    client.force_login(make_member(region_org(), Role.LECTEUR))
    html = unescape(client.get("/competences/dep/67/").content.decode())
    assert "enquête BMO non importée" in html
    assert "()" not in html and "BMO )" not in html
    index = unescape(client.get("/competences/").content.decode())
    epcis = index.split('id="epcis"')[1].split("</ul>")[0]
    assert "Aucune enquête BMO importée." in epcis
