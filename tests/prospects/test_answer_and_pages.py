"""Web pages of prospects and the answer file (HTML and PDF read back with pypdf)."""

import io
import re
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
    # The candidate map holds the ranked candidates of the page, by rank, each linking to its site's sheet.
    response = client.get(f"/prospects/{prospect.pk}/")
    features = response.context["map"]["layers"]["candidats"]["features"]
    ranked = [r for r in response.context["results"] if r["object_id"] is not None]
    assert len(features) == len(ranked) >= 1
    assert [f["properties"]["nom"] for f in features] == [r["name"] for r in ranked]
    site_sheet = f"/foncier/sites/{shortlisted['ready'].site_eco_id}/"
    assert {f["properties"]["lien"] for f in features} == {site_sheet}


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


def test_a_large_answer_pdf_is_prepared_as_a_job_and_refused_if_the_right_is_lost(
    client, shortlisted, settings, tmp_path
):
    from django.urls import reverse

    from tandem.core.files import generated_file_build
    from tandem.core.models import GeneratedFile
    from tandem.organizations.models import Membership

    settings.MEDIA_ROOT = tmp_path
    settings.TANDEM_PDF_SYNC_MAX_SITES = 1  # two shortlisted sites: over the threshold
    client.force_login(shortlisted["lead"])
    url = f"/prospects/{shortlisted['prospect'].pk}/reponse.pdf"
    first = client.get(url)
    generated = GeneratedFile.objects.get(created_by=shortlisted["lead"])
    assert first.status_code == 302 and first.url == reverse("www:generated_file_detail", args=[generated.pk])
    generated_file_build(file_id=generated.pk)  # what the job's child process runs
    download = client.get(reverse("www:generated_file_download", args=[generated.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Matrice de conformité" in text and "Fiche site 2" in text

    # A second request; the lead becomes a reader of the agency before the worker gets to it.
    client.get(url)
    second = GeneratedFile.objects.filter(created_by=shortlisted["lead"]).latest("pk")
    Membership.objects.filter(user=shortlisted["lead"]).update(role=Role.LECTEUR)
    generated_file_build(file_id=second.pk)
    second.refresh_from_db()
    assert second.status == GeneratedFile.Status.FAILED and not second.storage_name
    assert (
        second.progress_label == "refusé : Vous ne pouvez pas générer le dossier de réponse de ce prospect."
    )


def test_the_task_force_reads_as_names_and_organisations(client, shortlisted):
    lead, dev = shortlisted["lead"], shortlisted["dev"]
    dev.first_name, dev.last_name = "Camille", "Exemple"
    dev.save()
    client.force_login(lead)
    html = client.get(f"/prospects/{shortlisted['prospect'].pk}/").content.decode()
    team = html[html.index('<ul id="task-force">') : html.index("</ul>", html.index('<ul id="task-force">'))]
    mulhouse = shortlisted["prospect"].shared_with.get().name
    assert f'Camille Exemple <small class="hint">({mulhouse})</small>' in team
    assert dev.username not in team  # a login only for an account with no name
    assert lead.username in team  # … like the lead's here


def test_the_page_says_why_a_visible_site_is_set_aside(client, shortlisted):
    """A sold terrain and one too small are not candidates; the page lists them with their reasons."""
    from tandem.prospects.candidates import CACHE

    zae = shortlisted["ready"].site_eco
    sold = make_terrain(zae, 10, cell=(6, 0), terr_stade_comm="vendu, commercialisation achevée")
    small = make_terrain(zae, 1, cell=(8, 0))
    CACHE.clear()
    client.force_login(shortlisted["dev"])
    html = client.get(f"/prospects/{shortlisted['prospect'].pk}/").content.decode()
    section = html[html.index('<details id="excluded">') : html.index("</details>")]
    rows = dict(re.findall(r'<tr data-excluded="terrain:(\d+)">(.*?)</tr>', section, re.S))
    assert "occupé ou vendu" in rows[str(sold.pk)]
    assert "surface" in rows[str(small.pk)]
    later = shortlisted["later"]
    ranking = html[
        html.index('<table id="ranking">') : html.index("</table>", html.index('<table id="ranking">'))
    ]
    assert later.terr_id in ranking and str(later.pk) not in rows  # a candidate is not set aside
    CACHE.clear()
