"""Journeys of issue 12 walked in a real browser on the demo data, each as the role that owns it: the regional
investment agency reads the regional inventory it answers investors with; a contributor opens the journal from
the menu; the home page's dashboard leads each role to what waits for it."""

import re

import pytest

from tandem.demo.services import DEMO_PASSWORD
from tandem.land.models import Site
from tandem.prospects.models import Proposal, Prospect
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login_as(page, username):
    page.set_default_timeout(30_000)  # a shared, busy machine: the demo's pages are heavier than the tests'
    page.context.clear_cookies()
    browser_login(page, username, DEMO_PASSWORD)


def test_the_investment_agency_reads_the_regional_inventory(page, demo):
    """The agency sees every site the EPCIs share with the Région, opens the STAR'EST site and the site of the
    terrain it shortlisted (404 before the regional inventory was opened to it)."""
    shared = Site.objects.unscoped().filter(visibility="region")
    assert shared.count() > 0
    login_as(page, "investissement.contributeur")
    page.click("#menu-principal >> text=Foncier")
    page.wait_for_url("**/foncier/")
    assert page.locator("main table").first.locator("tbody tr").count() == min(shared.count(), 50)
    assert page.locator("main", has_text=f"{shared.count()} site(s)").count() == 1

    page.select_option("#id_label", label="STAR'EST")
    page.click("form.filters button[type=submit]")
    labelled = Site.objects.unscoped().get(tdm_labels__contains=["STAR'EST"])
    page.click(f"main table >> text={labelled.site_nom}")
    page.wait_for_url(f"**/foncier/sites/{labelled.pk}/")
    assert page.locator("h1").inner_text() == labelled.site_nom

    shortlisted = Proposal.objects.select_related("terrain__site_eco", "prospect").get(shortlisted=True)
    page.goto(f"/prospects/{shortlisted.prospect_id}/")
    page.click(f"#proposals a:has-text('{shortlisted.terrain.terr_id}')")
    page.wait_for_url(f"**/foncier/sites/{shortlisted.terrain.site_eco_id}/")
    assert page.locator("h1").inner_text() == shortlisted.terrain.site_eco.site_nom
    assert page.locator("#terrains", has_text=shortlisted.terrain.terr_id).count() == 1


def test_a_contributor_opens_the_journal_from_the_menu(page, demo):
    login_as(page, "epci1.lecteur")
    assert page.locator("#menu-principal a", has_text="Journal").count() == 0  # readers have no journal

    login_as(page, "epci1.contributeur")
    page.click("#menu-principal >> text=Journal")
    page.wait_for_url("**/journal/")
    assert page.locator("h1").inner_text() == "Journal d'audit"
    rows = page.locator("main table tbody tr")
    assert rows.count() > 10
    objects = page.locator("main table tbody td:nth-child(5)").all_inner_texts()
    assert any(text.startswith("Terrain économique") for text in objects)  # the demo's proposals
    body = page.locator("main").inner_text()
    assert not re.search(r"\b(companies|land|prospects|organizations)\.[a-z_]+\b", body), "code de modèle"
    page.fill("#q", "TERRAIN-ECO")
    page.click("main form.search button[type=submit]")
    objects = page.locator("main table tbody td:nth-child(5)").all_inner_texts()
    assert objects and all("TERRAIN-ECO" in text for text in objects)


def test_the_home_dashboard_leads_each_role_to_what_waits_for_it(page, demo):
    # The agency shares a prospect with Metz, picking the person by name and organisation.
    prospect = Prospect.objects.unscoped().get(code_name__contains="Grive")
    login_as(page, "investissement.contributeur")
    page.goto(f"/prospects/{prospect.pk}/partager/")
    metz = "Metz Métropole (démo)"
    page.get_by_label(metz, exact=True).check()
    page.get_by_label(re.compile(rf" — {re.escape(metz)}$")).first.check()
    member = page.get_by_label(re.compile(rf" — {re.escape(metz)}$")).first.evaluate(
        "e => e.closest('label').textContent.trim()"
    )
    page.click("button[type=submit]:has-text('Partager')")
    page.wait_for_url(f"**/prospects/{prospect.pk}/")
    username = prospect.members.exclude(username="investissement.contributeur").get().username
    assert member.startswith(prospect.members.get(username=username).get_full_name())

    # Metz's contributor finds it on the home page, proposes a site, and the block empties.
    login_as(page, username)
    waiting = page.locator("#block-prospects")
    assert waiting.locator("a", has_text=prospect.code_name).count() == 1
    waiting.locator("a", has_text=prospect.code_name).click()
    page.wait_for_url(f"**/prospects/{prospect.pk}/")
    page.locator("#ranking button", has_text="Proposer").first.click()
    page.wait_for_load_state()
    assert page.locator("#proposals tbody tr").count() == 1
    page.click("#menu-principal >> text=Accueil")
    assert page.locator("#block-prospects a", has_text=prospect.code_name).count() == 0
    assert (
        "Aucun prospect partagé avec vous n'attend de proposition."
        in page.locator("#block-prospects").inner_text()
    )

    # My companies lead to the company's file; needs overdue to the filtered list.
    company = page.locator("#block-companies li a").first
    name = company.inner_text()
    company.click()
    assert page.locator("h1").inner_text() == name
    page.click("#menu-principal >> text=Accueil")
    overdue = page.locator("#block-needs li").count()
    page.click("#block-needs >> text=Tous les besoins en retard")
    page.wait_for_url("**/entreprises/besoins/?statut=en-retard")
    assert page.locator("main table tbody tr").count() >= overdue > 0

    # The Région's contributor has the label proposal to decide; an EPCI has no such block.
    assert page.locator("#block-labels").count() == 0
    login_as(page, "region.contributeur")
    labels = page.locator("#block-labels")
    assert "STAR'EST" in labels.inner_text() and "CA Ardenne Métropole (démo)" in labels.inner_text()
    labels.locator("text=Toutes les propositions de label").click()
    page.wait_for_url("**/foncier/labels/")
