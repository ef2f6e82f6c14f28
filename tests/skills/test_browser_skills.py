"""In a real browser: a Région user opens the skills page of a zone d'emploi, sees the flagged gap made by a
company project's hiring need, records « session de formation demandée », and the gap shows it."""

import pytest

from tandem.companies.followup import project_create
from tandem.companies.models import CompanyProject
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects.labour import bmo_import
from tandem.skills.models import SkillAction
from tandem.territories.services import geography_load
from tandem.territories.sources import read_boundaries_file, read_cog_csv, read_zones_emploi
from tests.companies.followup_builders import make_company
from tests.conftest import browser_login, shared_file
from tests.factories import PASSWORD, epci_org, make_member, region_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    geography = read_cog_csv(shared_file("real/admin/communes_grand_est_cog2026.csv"))
    geography.outlines, _ = read_boundaries_file(shared_file("real/geo/communes_grand_est.geojson"))
    geography.zones_emploi, geography.commune_zone_emploi = read_zones_emploi(
        shared_file("real/economy/zones_emploi/zones_emploi_2020_communes_grand_est_cog2024.csv"),
        shared_file("real/economy/zones_emploi/zones_emploi_2020_grand_est.csv"),
    )
    geography_load(geography=geography)
    bmo_import(
        actor=Actor.system_actor(),
        bmo_path=shared_file("real/economy/bmo_2024/bmo_2024_grand_est.csv"),
        bassins_path=shared_file("real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"),
    )
    epci = epci_org("200066009")
    project_create(
        actor=Actor.system_actor(),
        owner=epci,
        company=make_company("68224", name="USINAGE FICTIF DE DÉMONSTRATION"),
        kind=CompanyProject.Kind.RECRUITMENT,
        title="Nouvelle ligne d'usinage",
        jobs=40,
        job_code="D0X31",
        visibility=Visibility.REGION,
    )
    return make_member(region_org("44"), Role.CONTRIBUTEUR, username="region.gpect")


def test_region_user_records_a_training_session_on_a_flagged_gap(page, world):
    page.set_default_timeout(30_000)
    browser_login(page, "region.gpect", PASSWORD)
    page.click("#menu-principal >> text=Emplois et compétences")
    page.wait_for_url("**/competences/")
    page.click("#zones >> text=Mulhouse")
    page.wait_for_url("**/competences/ze/*/")
    gap = page.locator("section.gap[data-job=D0X31]")
    assert "écart signalé" in gap.locator("h3").inner_text()
    assert gap.locator("[data-needs]").inner_text() == "40"
    gap.locator("summary", has_text="Enregistrer une action").click()
    gap.locator("select[name=kind]").select_option(label="session de formation demandée")
    gap.locator("textarea[name=description]").fill("Session CQPM usinage à ouvrir à la rentrée")
    gap.locator("input[name=people]").fill("12")
    gap.locator("button", has_text="Enregistrer l'action").click()
    page.wait_for_url("**/competences/ze/*/")
    page.wait_for_load_state()
    gap = page.locator("section.gap[data-job=D0X31]")
    actions = gap.locator("ul.actions").inner_text()
    assert "Session de formation demandée — prévue" in actions
    assert "Session CQPM usinage à ouvrir à la rentrée" in actions
    action = SkillAction.objects.unscoped().get()
    assert (action.kind, action.people, action.owner.kind) == ("training", 12, "region")
