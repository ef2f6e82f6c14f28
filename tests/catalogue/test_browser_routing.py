"""The routing journey in a real browser: a référent records a need, sees eligible schemes and the one partner
covering the company's commune, sends it; the partner takes it and closes it with an aid amount; the référent
reads the outcome in the company timeline; the Région's routing indicators count it."""

import re

import pytest

from tandem.catalogue.importers import tee_import
from tandem.catalogue.models import NeedRouting, Office, Operator, Subject
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.conftest import browser_login, shared_file
from tests.factories import PASSWORD, epci_org, make_member, other_org, region_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def spaces(text: str) -> str:
    return " ".join(text.split())


def login_as(page, user):
    page.set_default_timeout(30_000)
    page.context.clear_cookies()
    browser_login(page, user.username, PASSWORD)


def test_need_routed_taken_closed_and_counted(page, grand_est_geography):
    tee_import(folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor())
    recruit = Subject.objects.create(slug="recruter", label="Recruter")
    operator = Operator.objects.create(
        name="Opérateur fictif de l'emploi (démo)", slug="fictif", is_demo=True
    )
    operator.subjects.add(recruit)
    partner_org = other_org(Organization.Kind.OPERATEUR)
    for dep in ("67", "68"):
        office = Office.objects.create(
            operator=operator, key=f"f{dep}", name=f"Antenne fictive {dep} (démo)", organization=partner_org
        )
        office.departements.add(dep)
    strasbourg = epci_org("246700488")
    referent, partner = make_member(strasbourg), make_member(partner_org)
    region = make_member(region_org("44"))
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN", naf="25.62B", headcount_band="11")

    login_as(page, referent)
    page.goto(f"/entreprises/{company.siren}/")
    page.click("summary:has-text('Ajouter un besoin')")
    page.select_option("#need_topic", "recruitment")
    page.fill("#need_title", "Recruter deux soudeurs")
    page.click("#need-form button[type=submit]")
    page.wait_for_url(f"**/entreprises/{company.siren}/")
    page.click("main a:has-text('Dispositifs et partenaires')")
    page.wait_for_url(re.compile(r".*/catalogue/besoins/\d+/$"))
    eligible = page.locator(
        "section.scheme-fit", has=page.locator("p > strong", has_text=re.compile(r"^Éligible$"))
    )
    assert eligible.count() >= 2
    titles = eligible.locator("h3").all_inner_texts()
    assert any("Concilier" in t for t in titles)  # a Grand Est-only programme, eligible for this company
    radios = page.locator("input[name=antenne]")
    assert radios.count() == 1  # the Bas-Rhin office, not the Haut-Rhin's
    assert "Antenne fictive 67" in page.locator("label[for^=antenne]").inner_text()
    page.click("#routing-form button[type=submit]")
    page.wait_for_selector("text=Besoin adressé à")
    routing = NeedRouting.objects.unscoped().get()

    login_as(page, partner)
    page.goto("/catalogue/orientations/")
    page.click("main a:has-text('Recruter deux soudeurs')")
    page.wait_for_url(f"**/catalogue/orientations/{routing.pk}/")
    page.click("button:has-text('Prendre en charge')")
    page.wait_for_selector("#routing-status:has-text('pris en charge')")
    page.select_option("#resultat", "granted")
    page.fill("#montant", "8000")
    page.fill("#reponse", "Aide à l'embauche accordée")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#routing-status:has-text('aide accordée')")

    login_as(page, referent)
    page.goto(f"/entreprises/{company.siren}/")
    timeline = spaces(page.locator("ul.timeline").inner_text())
    assert "clôture « Recruter deux soudeurs » : aide accordée, 8 000 €" in timeline

    login_as(page, region)
    page.goto("/catalogue/indicateurs/?region=44")
    figures = spaces(page.locator("#routing-figures").inner_text())
    assert "Orientations envoyées 1" in figures and "Aides accordées 1" in figures
    assert "Montant des aides accordées 8 000 €" in figures
