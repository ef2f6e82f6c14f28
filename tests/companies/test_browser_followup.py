"""An advisor's day in a real browser: open a company, become its référent, log an exchange, move it to the
diagnostic 360° of the Parcours de Transformation; the Région's indicator page then counts it."""

import pytest

from tandem.companies.models import CompanyAdvisor, Exchange, ParcoursJourney
from tests.companies.followup_builders import make_company
from tests.conftest import browser_login
from tests.factories import PASSWORD, epci_org, make_member, region_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_advisor_follows_a_company_and_the_region_counts_it(page, grand_est_geography):
    strasbourg = epci_org("246700488")
    region = region_org()
    make_member(strasbourg, username="conseiller.sxb")
    make_member(region, username="charge.region")
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN")

    browser_login(page, "conseiller.sxb", PASSWORD)
    page.click("nav.main-nav >> text=Entreprises")
    page.click("text=ATELIERS FICTIFS DU RHIN")
    page.wait_for_url(f"**/entreprises/{company.siren}/")
    assert "Aucun référent nommé." in page.content()

    page.click("#become-referent")
    page.wait_for_selector("[data-referent='conseiller.sxb']")

    page.click("text=Consigner un échange")
    form = page.locator("#exchange-form")
    form.locator("select[name=kind]").select_option("visit")
    form.locator("input[name=topic]").fill("Visite du site de production")
    form.locator("textarea[name=notes]").fill("Projet de nouvelle ligne")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Échange enregistré.")
    assert "Visite avec" in page.locator("#chronologie").inner_text()

    page.click("text=Faire avancer dans le Parcours")
    form = page.locator("#parcours-form")
    form.locator("select[name=step]").select_option(label="diagnostic 360°")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-parcours-step='2_diagnostic']")

    assert CompanyAdvisor.objects.unscoped().get(ended_on=None).user.username == "conseiller.sxb"
    assert Exchange.objects.unscoped().get().topic == "Visite du site de production"
    assert ParcoursJourney.objects.unscoped().get().current_step == "2_diagnostic"

    page.click("text=Se déconnecter")
    browser_login(page, "charge.region", PASSWORD)
    page.goto("/entreprises/parcours/")
    assert page.locator("[data-figure=parcours-total]").inner_text() == "1"
    assert page.locator("tr[data-step='2_diagnostic'] [data-reached]").inner_text() == "1"
    assert page.locator("tr[data-step='2_diagnostic'] [data-in-progress]").inner_text() == "1"
