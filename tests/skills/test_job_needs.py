"""Hiring needs typed as free job titles — on a company project (follow-up), on the Parcours de Transformation's
skills step (the 360° diagnostic) and on a prospect — are resolved to ROME through the real ROME v4.60 job
titles; unresolved titles stay as typed and are shown apart in the gaps (« métier non rattaché »). Expected
codes are read from the real file in the test."""

import csv
from datetime import date
from html import unescape

import pytest
from django.test import Client

from tandem.companies.followup import project_create
from tandem.companies.models import CompanyProject
from tandem.companies.parcours import SKILLS_STEP, parcours_hiring_need, parcours_step_move
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.skills.importers import rome_import
from tandem.skills.selectors import gaps
from tandem.skills.territory import territory_get
from tandem.territories.models import Commune, Epci
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, region_org

pytestmark = pytest.mark.django_db
MULHOUSE = "200066009"
CODES = "real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"
TITLES = "real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"


def code_of(label: str) -> str:
    with open(shared_file(TITLES), encoding="utf-8", newline="") as f:
        return next(r["code_rome"] for r in csv.DictReader(f) if r["libelle_appellation_long"] == label)


def rome_label(code: str) -> str:
    with open(shared_file(CODES), encoding="utf-8", newline="") as f:
        return next(r["libelle_rome"] for r in csv.DictReader(f) if r["code_rome"] == code)


@pytest.fixture
def setup():
    rome_import(
        actor=Actor.system_actor(),
        codes_path=shared_file(CODES),
        titles_path=shared_file(TITLES),
        version="4.60",
    )
    epci = epci_org(MULHOUSE)
    user = make_member(epci, Role.CONTRIBUTEUR)
    company = make_company("68224", name="USINAGE FICTIF DE DÉMONSTRATION")
    ze = territory_get("ze", Commune.objects.get(pk="68224").zone_emploi_id)
    return {"epci": epci, "user": user, "actor": Actor.for_user(user), "company": company, "ze": ze}


def project(setup, **fields):
    return project_create(
        actor=setup["actor"], owner=setup["epci"], company=setup["company"], kind=CompanyProject.Kind.RECRUITMENT,
        title=fields.pop("title", "Recrutements"), visibility=Visibility.REGION, **fields,
    )  # fmt: skip


def test_a_company_project_s_job_title_is_resolved_and_the_gaps_count_it(setup):
    soudeur = code_of("Soudeur / Soudeuse")
    typed = project(setup, job_title="soudeur", jobs=6, expected_on=date(2027, 1, 15))
    assert (typed.job_code, typed.job_title, typed.job_confidence) == (soudeur, "Soudeur / Soudeuse", 1.0)
    assert (
        rome_label(soudeur) == "Soudeur / Soudeuse" and typed.job_display == f"Soudeur / Soudeuse — {soudeur}"
    )
    lost = project(setup, title="Profil rare", job_title="zzkw qxyv plomp", jobs=2)
    assert (lost.job_code, lost.job_title) == ("", "zzkw qxyv plomp")
    region_user = make_member(region_org("44"), Role.CONTRIBUTEUR)
    found = {
        g["code"] or g["name"]: g for g in gaps(actor=Actor.for_user(region_user), territory=setup["ze"])
    }
    assert found[soudeur]["needs"] == 6 and not found[soudeur]["unresolved"]
    apart = found["zzkw qxyv plomp (métier non rattaché)"]
    assert (apart["needs"], apart["unresolved"], apart["flagged"]) == (2, True, False)
    client = Client()
    client.force_login(region_user)
    page = unescape(client.get(f"/competences/ze/{setup['ze'].code}/").content.decode())
    assert "zzkw qxyv plomp (métier non rattaché)" in page and 'data-job="non-rattache"' in page


def test_the_project_form_offers_suggestions_and_records_the_picked_job(setup):
    client = Client()
    client.force_login(setup["user"])
    siren = setup["company"].siren
    page = client.get(f"/entreprises/{siren}/").content.decode()
    assert 'id="project_job_title"' in page and 'list="project_job_title-suggestions"' in page
    assert '<datalist id="project_job_title-suggestions">' in page and "data-suggest=" in page
    technicien = code_of("Technicien / Technicienne de maintenance industrielle")
    body = client.get(
        "/competences/metiers/suggestions/", {"q": "technicien de maintenance industrielle"}
    ).json()
    first = body["results"][0]
    assert first["code"] == technicien and first["confiance"] == 1.0
    assert first["label"] == f"Technicien / Technicienne de maintenance industrielle — {technicien}"
    assert rome_label(technicien) == "Technicien / Technicienne de maintenance industrielle"
    response = client.post(
        f"/entreprises/{siren}/projets/",
        {"owner": setup["epci"].pk, "kind": "recruitment", "title": "Équipe de maintenance", "jobs": 3,
         "job_title": first["label"], "visibility": "region"},
    )  # fmt: skip
    assert response.status_code == 302
    saved = CompanyProject.objects.unscoped().get(title="Équipe de maintenance")
    assert (saved.job_code, saved.job_title, saved.job_confidence) == (
        technicien,
        "Technicien / Technicienne de maintenance industrielle",
        1.0,
    )
    page = unescape(client.get(f"/entreprises/{siren}/").content.decode())
    assert f"Technicien / Technicienne de maintenance industrielle — {technicien}" in page


def test_the_parcours_skills_step_feeds_the_hiring_needs_the_gaps_read(setup):
    actor, company = setup["actor"], setup["company"]
    journey = parcours_step_move(actor=actor, company=company, step="1_sensibilisation", owner=setup["epci"],
                                 on=date(2026, 1, 5))  # fmt: skip
    with pytest.raises(Exception) as refused:
        parcours_hiring_need(actor=actor, journey=journey, job="soudeur", jobs=4)
    assert "« diagnostic 360° »" in str(refused.value)
    parcours_step_move(actor=actor, company=company, step=SKILLS_STEP, on=date(2026, 2, 1))
    journey.refresh_from_db()
    need = parcours_hiring_need(
        actor=actor, journey=journey, job="soudeur", jobs=4, expected_on=date(2026, 9, 1)
    )
    again = parcours_hiring_need(
        actor=actor, journey=journey, job="Soudeuse", jobs=7, expected_on=date(2026, 10, 1)
    )
    soudeur = code_of("Soudeur / Soudeuse")
    assert again.pk == need.pk  # the same job on the step: updated, not doubled
    rows = CompanyProject.objects.unscoped().filter(company=company)
    assert [(p.job_code, p.jobs, p.expected_on, p.parcours_step.step) for p in rows] == [
        (soudeur, 7, date(2026, 10, 1), SKILLS_STEP.value)
    ]
    region_user = make_member(region_org("44"), Role.LECTEUR)
    found = {g["code"]: g["needs"] for g in gaps(actor=Actor.for_user(region_user), territory=setup["ze"])}
    assert found == {soudeur: 7}
    # Through the company page: the form of the skills step, the need shown on the company.
    client = Client()
    client.force_login(setup["user"])
    line = code_of("Technicien / Technicienne de maintenance industrielle")
    response = client.post(
        f"/entreprises/{company.siren}/parcours/competences/",
        {"job": "technicienne de maintenance industrielle", "jobs": 2, "expected_on": "2026-11-02"},
    )
    assert response.status_code == 302
    page = unescape(client.get(f"/entreprises/{company.siren}/").content.decode())
    needs = page[page.index("data-parcours-needs") :].split("</ul>")[0]
    assert f"— {line} " in needs and "2 emploi(s), le 02/11/2026" in needs and f"— {soudeur} " in needs
    found = {g["code"]: g["needs"] for g in gaps(actor=Actor.for_user(region_user), territory=setup["ze"])}
    assert found == {soudeur: 7, line: 2}


def test_a_prospect_s_job_titles_are_resolved_and_unresolved_ones_kept(setup):
    from tandem.prospects.services import prospect_create

    region = region_org("44")
    member = make_member(region, Role.CONTRIBUTEUR)
    prospect = prospect_create(
        actor=Actor.for_user(member), owner=region, code_name="Projet Grue (fictif)", surface_min_ha=5,
        jobs_at_three_years=9, skills=["soudeur", "D0X31", "zzkw qxyv plomp"],
        preferred_epcis=[Epci.objects.get(pk=MULHOUSE)],
    )  # fmt: skip
    soudeur = code_of("Soudeur / Soudeuse")
    assert prospect.skills == [soudeur, "D0X31", "zzkw qxyv plomp"]
    found = {
        g["code"] or g["name"]: g["needs"] for g in gaps(actor=Actor.for_user(member), territory=setup["ze"])
    }
    assert found == {soudeur: 3, "D0X31": 3, "zzkw qxyv plomp (métier non rattaché)": 3}


def test_the_prospect_form_takes_job_titles_separated_by_semicolons(setup, client):
    from tandem.organizations.models import Organization
    from tandem.prospects.models import Prospect
    from tests.factories import other_org

    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    client.force_login(make_member(agency, Role.CONTRIBUTEUR, "saisie.metiers"))
    page = client.get("/prospects/nouveau/").content.decode()
    assert 'data-suggest-separator=";"' in page and "<datalist" in page
    technicien = code_of("Technicien / Technicienne de maintenance industrielle")
    response = client.post(
        "/prospects/nouveau/",
        {"owner": agency.pk, "code_name": "Projet Mouette (fictif)", "surface_min_ha": "5", "premises": "terrain",
         "icpe_regime": "0", "seveso": "0", "jobs_at_start": "12", "power_mw": "0", "water_m3h": "0",
         "water_m3d": "0", "wastewater_m3d": "0", "extension_margin_ha": "0",
         "skills": f"soudeur ; Technicien / Technicienne de maintenance industrielle — {technicien}; zzkw qxyv"},
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    prospect = Prospect.objects.unscoped().get(code_name="Projet Mouette (fictif)")
    assert prospect.skills == [code_of("Soudeur / Soudeuse"), technicien, "zzkw qxyv"]
