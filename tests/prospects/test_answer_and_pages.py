"""Web pages of prospects and the answer file (HTML and PDF read back with pypdf)."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.prospects import services
from tandem.prospects.models import Prospect
from tests.factories import epci_org, make_member, other_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db


@pytest.fixture
def shortlisted(client):
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse = epci_org("200066009")
    lead = make_member(agency, Role.CONTRIBUTEUR, "lead")
    dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dev")
    zae = make_site(
        mulhouse,
        "68224",
        tdm_power_mw=8,
        autoroute_nom="A36",
        tdm_motorway_junction_km=2.5,
        site_moa_nom="m2A",
    )
    ready = make_terrain(zae, 12, cell=(0, 0), tdm_study_wetlands_on=date(2025, 5, 1), tdm_permit_months=5)
    later = make_terrain(
        zae,
        9,
        cell=(3, 0),
        tdm_power_mw=25,
        tdm_power_available_on=date.today() + timedelta(days=300),
        terr_m2_prix=22,
    )
    lead_actor, dev_actor = Actor.for_user(lead), Actor.for_user(dev)
    prospect = services.prospect_create(
        actor=lead_actor,
        owner=agency,
        code_name="Projet Cormoran",
        naf="24.10Z",
        surface_min_ha=8,
        power_mw=20,
        production_start_on=date.today() + timedelta(days=600),
    )
    services.prospect_share(actor=lead_actor, prospect=prospect, organizations=[mulhouse], members=[dev])
    for terrain in (ready, later):
        proposal = services.proposal_create(
            actor=dev_actor, prospect=prospect, organization=mulhouse, kind="terrain", object_id=terrain.pk
        )
        services.proposal_shortlist(actor=lead_actor, proposal=proposal)
    return {"prospect": prospect, "lead": lead, "dev": dev, "ready": ready, "later": later}


def test_answer_pdf_has_the_compliance_matrix_and_one_sheet_per_site(client, shortlisted):
    client.force_login(shortlisted["lead"])
    response = client.get(f"/prospects/{shortlisted['prospect'].pk}/reponse.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Matrice de conformité" in text
    assert "puissance électrique ≥ 20 MW" in text
    assert text.count("Fiche site") == 2
    ready, later = shortlisted["ready"], shortlisted["later"]
    assert f"Fiche site 1 : {ready.terr_id}" in text and f"Fiche site 2 : {later.terr_id}" in text
    # The terrain with 8 MW today fails; the other one gets 25 MW in time: conditional, with its date.
    when = (date.today() + timedelta(days=300)).strftime("%d/%m/%Y")
    assert "non respecté" in text and f"sous condition ({when})" in text
    # The price is the owner's personal data: the agency does not see it.
    assert "22\u00a0€/m²" not in text and "22 €/m²" not in text and "non communiqué" in text
    studies = " ".join(text.split())  # table cells wrap lines in the PDF text
    # French figures: « 8 ha » asked, « 12 ha » offered (no « 8.0 », no « 12,0 »).
    html = client.get(f"/prospects/{shortlisted['prospect'].pk}/reponse/").content.decode()
    assert "besoin de 8\u00a0ha" in html and "12\u00a0ha" in html and "12,0 ha" not in html
    assert "délimitation des zones humides : 01/05/2025" in studies


def test_answer_is_for_the_task_force_managers_only(client, shortlisted):
    client.force_login(shortlisted["dev"])  # in the task force, but on the EPCI side
    response = client.get(f"/prospects/{shortlisted['prospect'].pk}/reponse.pdf")
    assert response.status_code == 302
    client.force_login(make_member(Organization.objects.get(pk=shortlisted["prospect"].owner_id), Role.ADMIN))
    assert client.get(f"/prospects/{shortlisted['prospect'].pk}/reponse/").status_code == 404


def test_pages_show_the_ranking_and_the_workflow(client, shortlisted):
    prospect = shortlisted["prospect"]
    client.force_login(shortlisted["lead"])
    page = client.get(f"/prospects/{prospect.pk}/").content.decode()
    assert "Projet Cormoran" in page and "Sites classés" in page
    assert "liste restreinte" in page and page.count("retenu") >= 2
    assert client.get("/prospects/").content.decode().count("Projet Cormoran") == 1


def test_create_through_the_form(client):
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    client.force_login(make_member(agency, Role.CONTRIBUTEUR, "createur"))
    response = client.post(
        "/prospects/nouveau/",
        {
            "owner": agency.pk,
            "code_name": "Projet Grue",
            "surface_min_ha": "4",
            "premises": "terrain",
            "icpe_regime": "2",
            "seveso": "0",
            "power_mw": "3",
            "water_m3h": "0",
            "water_m3d": "0",
            "wastewater_m3d": "0",
            "extension_margin_ha": "0",
            "preferred_epcis_codes": "200066009",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    prospect = Prospect.objects.unscoped().get(code_name="Projet Grue")
    assert list(prospect.preferred_epcis.values_list("pk", flat=True)) == ["200066009"]
    assert list(prospect.members.values_list("username", flat=True)) == ["createur"]


def test_status_and_decision_through_the_pages(client, shortlisted):
    prospect = shortlisted["prospect"]
    client.force_login(shortlisted["lead"])
    client.post(
        f"/prospects/{prospect.pk}/statut/", {"statut-status": "visit", "statut-comment": "visite le 3"}
    )
    prospect.refresh_from_db()
    assert prospect.status == "visit"
    assert prospect.status_changes.last().comment == "visite le 3"
    client.post(
        f"/prospects/{prospect.pk}/decisions/", {"outcome": "conditional", "reason": "sous réserve du PLU"}
    )
    decision = prospect.decisions.get()
    assert (decision.by, decision.reason) == (shortlisted["lead"], "sous réserve du PLU")
    page = client.get(f"/prospects/{prospect.pk}/").content.decode()
    assert "soutenir sous conditions" in page and "emplois par hectare consommé" in page
    # The EPCI member of the task force may not decide.
    client.force_login(shortlisted["dev"])
    client.post(f"/prospects/{prospect.pk}/decisions/", {"outcome": "decline", "reason": "non"})
    assert prospect.decisions.count() == 1


def test_answer_page_runs_no_script_under_its_own_policy(client, shortlisted):
    from tandem.core.middleware import DOCUMENT_CSP

    client.force_login(shortlisted["lead"])
    response = client.get(f"/prospects/{shortlisted['prospect'].pk}/reponse/")
    assert response.status_code == 200 and "Matrice de conformité" in response.content.decode()
    assert response["Content-Security-Policy"] == DOCUMENT_CSP
    assert "script-src" not in DOCUMENT_CSP and "default-src 'none'" in DOCUMENT_CSP
