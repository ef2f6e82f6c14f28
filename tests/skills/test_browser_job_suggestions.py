"""In a real browser under the site's Content-Security-Policy: the project form of a company suggests ROME job
titles as one types (static script, no inline code), picking one records the job, and the company page shows
« appellation — code ». The expected code is read from the real ROME file."""

import csv

import pytest

from tandem.companies.models import CompanyProject
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.skills.importers import rome_import
from tests.companies.followup_builders import make_company
from tests.conftest import browser_login, shared_file
from tests.factories import PASSWORD, epci_org, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODES = "real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"
TITLES = "real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
LABEL = "Technicien / Technicienne de maintenance industrielle"


def test_the_project_form_suggests_rome_titles_and_records_the_picked_one(page, grand_est_geography):
    rome_import(
        actor=Actor.system_actor(),
        codes_path=shared_file(CODES),
        titles_path=shared_file(TITLES),
        version="4.60",
    )
    with open(shared_file(TITLES), encoding="utf-8", newline="") as f:
        code = next(r["code_rome"] for r in csv.DictReader(f) if r["libelle_appellation_long"] == LABEL)
    epci = epci_org("200066009")
    make_member(epci, Role.CONTRIBUTEUR, "dev.metiers")
    company = make_company("68224", name="USINAGE FICTIF DE DÉMONSTRATION")

    page.set_default_timeout(30_000)
    page.add_init_script(COLLECT)
    browser_login(page, "dev.metiers", PASSWORD)
    page.goto(f"/entreprises/{company.siren}/")
    page.click("#projets summary")
    page.fill("#project_title", "Équipe de maintenance")
    page.select_option("#project_kind", "recruitment")
    page.fill("#project_jobs", "3")
    page.fill("#project_job_title", "technicienne de maintenance indus")
    page.wait_for_selector("#project_job_title-suggestions option", state="attached")
    values = page.eval_on_selector_all("#project_job_title-suggestions option", "os => os.map(o => o.value)")
    assert f"{LABEL} — {code}" in values
    page.fill("#project_job_title", f"{LABEL} — {code}")  # what picking the suggestion puts in the field
    page.click("#project-form button[type=submit]")
    page.wait_for_url(f"**/entreprises/{company.siren}/")
    row = page.locator("#projets tr", has_text="Équipe de maintenance")
    assert f"{LABEL} — {code}" in row.locator("[data-job]").inner_text()
    assert CompanyProject.objects.unscoped().get().job_code == code
    assert page.evaluate("window.__csp") == []
