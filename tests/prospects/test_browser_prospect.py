"""The whole path in a real browser: the agency creates a prospect and shares it, an EPCI proposes two
terrains, the task force shortlists them and downloads the answer file (PDF read back)."""

from pathlib import Path

import pytest
from pypdf import PdfReader

from tandem.organizations.models import Organization, Role
from tandem.prospects.candidates import CACHE
from tandem.prospects.models import Prospect
from tests.conftest import browser_login
from tests.factories import PASSWORD, epci_org, make_member, other_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login_as(page, username):
    page.context.clear_cookies()
    browser_login(page, username, PASSWORD)


def test_agency_shares_epci_proposes_task_force_shortlists_and_downloads_the_pdf(page, grand_est_geography):
    CACHE.clear()
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse = epci_org("200066009")
    make_member(agency, Role.CONTRIBUTEUR, "charge.agence")
    make_member(mulhouse, Role.CONTRIBUTEUR, "dev.mulhouse")
    zae = make_site(mulhouse, "68224", tdm_power_mw=20)
    first, second = make_terrain(zae, 7, cell=(0, 0)), make_terrain(zae, 11, cell=(4, 0))

    login_as(page, "charge.agence")
    page.goto("/prospects/nouveau/")
    page.select_option("#id_owner", str(agency.pk))
    page.fill("#id_code_name", "Projet Martin-pêcheur")
    page.fill("#id_surface_min_ha", "5")
    page.fill("#id_power_mw", "10")
    page.fill("#id_preferred_epcis_codes", "200066009")
    page.click("button[type=submit]:has-text('Enregistrer')")
    page.wait_for_url("**/prospects/*/")
    prospect = Prospect.objects.unscoped().get(code_name="Projet Martin-pêcheur")
    page.click("text=Partager avec des territoires")
    page.get_by_label(mulhouse.name, exact=True).check()
    page.get_by_label(f"dev.mulhouse — {mulhouse.name}").check()  # people by name and organisation
    page.click("button[type=submit]:has-text('Partager')")
    page.wait_for_url(f"**/prospects/{prospect.pk}/")
    assert "dev.mulhouse" in page.locator("body").inner_text()

    login_as(page, "dev.mulhouse")
    page.goto(f"/prospects/{prospect.pk}/")
    for terrain in (first, second):
        page.click(f"button[data-candidate='terrain:{terrain.pk}']")
        # The button gives way to « proposé » once the page is back (a `has-text` on the terr_id would also
        # match a longer one, already proposed, and read the page before it reloads).
        page.wait_for_selector(f"button[data-candidate='terrain:{terrain.pk}']", state="detached")
        page.wait_for_load_state()
    assert page.locator("#proposals tbody tr").count() == 2
    assert page.locator("#answer-pdf").count() == 0  # the EPCI proposes; the agency answers

    login_as(page, "charge.agence")
    page.goto(f"/prospects/{prospect.pk}/")
    for _ in range(2):
        page.locator("#proposals button", has_text="Retenir").first.click()
        page.wait_for_load_state()
    assert page.locator("#proposals", has_text="retenu").count() == 1
    assert page.locator("#proposals button", has_text="Retirer").count() == 2
    with page.expect_download() as download:
        page.click("#answer-pdf")
    reader = PdfReader(Path(download.value.path()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Matrice de conformité" in text
    assert "surface ≥ 5 ha d'un seul tenant" in text and "puissance électrique ≥ 10 MW" in text
    assert text.count("Fiche site") == 2
    assert f"Fiche site 1 : {first.terr_id}" in text and f"Fiche site 2 : {second.terr_id}" in text
    # The matrix of shortlisted, available terrains reads « respecté » on every line, for the agency whose own
    # inventory visibility does not matter (the proposals put them before the task force).
    assert "n'est plus disponible" not in text
    page.goto(f"/prospects/{prospect.pk}/reponse/")
    matrix = page.locator("table").first
    labels = matrix.locator("tbody th").all_inner_texts()
    assert labels[:3] == [
        "foncier commercialisable",
        "surface ≥ 5 ha d'un seul tenant",
        "puissance électrique ≥ 10 MW",
    ]
    cells = matrix.locator("tbody td").all_inner_texts()
    assert len(cells) == 2 * len(labels) and set(cells) == {"respecté"}
    statuses = list(prospect.status_changes.values_list("status", flat=True))
    assert statuses == ["received", "shared", "proposals", "shortlisted"]
