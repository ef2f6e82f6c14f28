"""A Région user in a real browser: the dashboard shows the trajectory against the target; they open a site,
confirm an ambiguous establishment link, record a project with its expected tCO2e; the projected trajectory
moves by that amount."""

import csv

import pytest

from tandem.companies.models import Company, Establishment
from tandem.decarbonation.importers import eutl_import
from tandem.decarbonation.models import EstablishmentLink, Installation, Project
from tandem.decarbonation.services import links_refresh
from tandem.organizations.models import Role
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_member, region_org

from .conftest import EUTL, read_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GE = ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")


def projected(page, year: int) -> float:
    text = page.locator(f"#trajectoire tr[data-year='{year}'] td[data-projected]").inner_text()
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))


def test_region_user_confirms_a_link_records_a_project_and_the_trajectory_moves(
    page, grand_est_geography, tmp_path
):
    rows = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10" and r["ZipCode"][:2] in GE]
    path = tmp_path / "installations_grand_est.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    eutl_import(path=path)
    region = region_org("44")
    make_member(region, Role.CONTRIBUTEUR, username="region.climat")
    # the biggest emitter of 2022 gets two candidate establishments at its postcode: ambiguous
    biggest = max(
        (r for r in rows if r["VerifiedEmissions_2022"].isdigit()),
        key=lambda r: int(r["VerifiedEmissions_2022"]),
    )
    inst = Installation.objects.get(ets_accounts__eutl_id=biggest["InstallationOrAircraftOperatorID"])
    Company.objects.get_or_create(siren=inst.siren, defaults={"name": inst.operator_name})
    for nic in ("00011", "00022"):
        Establishment.objects.create(
            siret=inst.siren + nic, company_id=inst.siren, nic=nic, state="A", postcode=inst.postcode
        )
    links_refresh(installation_ids=[inst.pk])
    assert inst.links.filter(status="proposed").count() == 2

    browser_login(page, "region.climat", PASSWORD)
    page.click("nav.main-nav >> text=Décarbonation")
    page.wait_for_selector("#courbe-cible")
    assert "Objectif : −5" in page.locator("#objectif").inner_text()
    before = projected(page, 2027)

    page.click(f"#top >> text={inst.name}")
    page.wait_for_selector("#liens")
    page.locator("#liens tr", has_text=inst.siren + "00022").locator("text=Confirmer ce lien").click()
    page.wait_for_selector("text=Lien confirmé")
    assert (
        EstablishmentLink.objects.get(installation=inst, status="confirmed").establishment_id
        == inst.siren + "00022"
    )

    page.fill("#form-projet input[name=title]", "Captage du CO2 du four")
    page.select_option("#form-projet select[name=lever]", label="captage et stockage du carbone")
    page.select_option("#form-projet select[name=status]", label="étude")
    page.fill("#form-projet input[name=expected_t_per_year]", "120000")
    page.fill("#form-projet input[name=start_year]", "2027")
    page.click("#form-projet button[type=submit]")
    page.wait_for_selector("text=Projet de décarbonation enregistré")
    assert "Captage du CO2 du four" in page.locator("#projets").inner_text()
    assert Project.objects.unscoped().get().company_id == inst.siren

    page.click("text=Tableau de bord")
    page.wait_for_selector("#courbe-projetee")
    assert projected(page, 2027) == pytest.approx(before - 120_000)
