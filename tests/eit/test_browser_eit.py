"""A facilitator's workshop in a real browser: import a workshop sheet, run the detection for an EPCI, open a
suggestion, create the synergy and move it to « étude »; the company's référent then sees it in the company
timeline."""

import pytest

from tandem.companies.followup import advisor_assign
from tandem.eit.models import Synergy, SynergyStageChange
from tandem.organizations.models import Organization
from tests.conftest import browser_login
from tests.eit.builders import SCHILTIGHEIM, STRASBOURG, actor_of, facilitator, located_company
from tests.factories import PASSWORD, epci_org, make_member, other_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_facilitator_detects_a_synergy_and_the_referent_sees_it(page, grand_est_geography, ref, tmp_path):
    from tandem.eit.reference import waste_codes_load

    waste_codes_load(ref=ref)
    sxb = epci_org("246700488")
    facilitator(sxb, make_member(sxb, username="animateur.sxb"))
    agency = other_org(Organization.Kind.AGENCE)
    referent = make_member(agency, username="referent.agence")
    _, steel = located_company(STRASBOURG, name="ACIERIE FICTIVE DU PORT", lat=48.58, lon=7.75)
    cement_co, cement = located_company(
        SCHILTIGHEIM, name="CIMENTERIE FICTIVE DU NORD", naf="23.51Z", lat=48.61, lon=7.72
    )
    advisor_assign(actor=actor_of(referent), company=cement_co, user=referent, organization=agency)
    sheet = tmp_path / "atelier-juin.csv"
    sheet.write_text(
        "siret;nom;commune;sens;nature;code_dechet;description;quantite;unite\n"
        f"{steel.siret};;;offre;matière;10 02 02;Laitier de haut fourneau;500;t\n"
        ";CIMENTERIE FICTIVE DU NORD;Schiltigheim;besoin;matière;1002;Laitiers pour le cru;800;t\n",
        encoding="utf-8",
    )

    browser_login(page, "animateur.sxb", PASSWORD)
    page.click("nav.main-nav >> text=Écologie industrielle")
    page.click("text=Importer une fiche atelier >> nth=0")
    page.set_input_files("#import-form input[type=file]", str(sheet))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("text=2 flux ont été créé(s)")
    assert "CIMENTERIE FICTIVE DU NORD" in page.locator("#flows").inner_text()

    page.click("text=Détection de synergies")
    page.select_option("#detection-form select[name=epci]", "246700488")
    page.click("#detection-form button[type=submit]")
    page.wait_for_selector("#map[data-ready=true]")
    # The proposed link is drawn between the two establishments.
    assert page.locator("#map").get_attribute("data-liens-count") == "1"
    assert page.locator("#map").get_attribute("data-flux-count") == "2"
    row = page.locator("#suggestions tbody tr", has_text="CIMENTERIE FICTIVE DU NORD").first
    row.locator("text=Ouvrir").click()
    page.wait_for_selector("#reasons")
    assert "10 02 02 : même sous-chapitre que le 10 02 recherché" in page.locator("#reasons").inner_text()
    page.click("#synergy-create button[type=submit]")
    page.wait_for_selector("text=Synergie créée")
    page.select_option("#stage-form select[name=stage]", label="étude")
    page.fill("#stage-form textarea[name=notes]", "Essais de laitier au four")
    page.click("#stage-form button[type=submit]")
    page.wait_for_selector("[data-stage='study']")
    synergy = Synergy.objects.unscoped().get()
    assert synergy.stage == "study"
    assert SynergyStageChange.objects.filter(
        synergy=synergy, to_stage="study", by__username="animateur.sxb"
    ).exists()

    page.click("text=Se déconnecter")
    browser_login(page, "referent.agence", PASSWORD)
    page.goto(f"/entreprises/{cement_co.siren}/")
    timeline = page.locator("#chronologie").inner_text()
    assert "Synergie EIT (receveur)" in timeline and ": étude" in timeline
    assert "Essais de laitier au four" in timeline
