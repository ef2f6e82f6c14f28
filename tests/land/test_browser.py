"""The land observatory in a real browser: an EPCI contributor imports its inventory from the web page, follows
the progress and reads the report, changes a terrain's sale stage from the site sheet; the Région's dashboard
then shows the new available surface."""

import pytest

from tandem.imports.models import ImportRun
from tandem.land.models import Terrain
from tandem.organizations.models import Role
from tests.conftest import browser_login
from tests.factories import PASSWORD, epci_org, make_member, region_org
from tests.land.inventory_builders import write_inventory_files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STRASBOURG = "246700488"


def test_import_edit_and_regional_dashboard(page, grand_est_geography, job_worker, tmp_path):
    job_worker.start()  # the web import runs in the job worker, as in `make demo`
    strasbourg = epci_org(STRASBOURG)
    region = region_org()
    make_member(strasbourg, Role.CONTRIBUTEUR, username="agent.foncier")
    make_member(region, Role.CONTRIBUTEUR, username="agent.region")
    paths = write_inventory_files(
        tmp_path / "inventaire",
        STRASBOURG,
        [
            {"terr_surf_brute": "4"},  # for sale, serviced, free: available now
            # Serviced, held by the EPCI, not yet on sale: short term until it is put on sale.
            {"terr_surf_brute": "2.5", "terr_stade_comm": "non commercialisé"},
            {
                "terr_surf_brute": "3",
                "terr_etat_occup": "occupé",
                "terr_stade_comm": "vendu, commercialisation achevée",
            },
        ],
    )

    browser_login(page, "agent.foncier", PASSWORD)
    page.click("nav.main-nav >> text=Foncier")
    page.click("text=Importer")
    page.set_input_files("#id_files", [str(p) for p in paths])
    page.select_option("#id_epci", STRASBOURG)
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    # The progress bar is on the page while the import runs in the job worker, then the report replaces it.
    assert page.locator("#import-progress").count() == 1
    page.wait_for_selector("#import-report", timeout=60_000)
    assert page.locator("#import-progress").get_attribute("value") == "100"
    assert page.locator("#import-run").get_attribute("data-status") == "done"
    [terrains] = [
        line
        for line in page.locator("#import-facts li").all_inner_texts()
        if line.startswith("terrain-eco :")
    ]
    assert "3 ajoutée(s)" in terrains
    assert page.locator('[data-figure="errors"]').inner_text() == "0"
    run = ImportRun.objects.latest("pk")
    assert run.status == ImportRun.Status.DONE and run.details["tables"]["site-eco"]["added"] == 1

    page.click("text=Voir l'inventaire")
    assert page.locator('[data-figure="available-ha"]').inner_text() == "4"
    page.click("table >> a >> nth=0")
    assert page.locator('[data-figure="site-available-ha"]').inner_text() == "4\u00a0ha"
    page.wait_for_selector("#map[data-ready=true]")
    assert page.locator("#map").get_attribute("data-terrains-count") == "3"
    terrain = Terrain.objects.unscoped().get(terr_stade_comm="non commercialisé")
    row = page.locator(f'tr[data-terrain="{terrain.terr_id}"]')
    assert (
        row.locator('[data-field="availability"]').inner_text()
        == "mobilisable à court terme (moins de 2 ans)"
    )
    row.locator("text=Modifier").click()
    page.select_option("#id_terr_stade_comm", "en vente")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**/foncier/sites/{terrain.site_eco_id}/")
    assert row.locator('[data-field="terr_stade_comm"]').inner_text() == "en vente"
    assert page.locator('[data-figure="site-available-ha"]').inner_text() == "6,5\u00a0ha"
    page.click("text=Se déconnecter")

    browser_login(page, "agent.region", PASSWORD)
    page.goto("/foncier/tableau-de-bord/")
    assert page.locator('[data-figure="region-available-ha"]').inner_text() == "6,5\u00a0ha"
    assert (
        page.locator(f'#board-epci tr[data-code="{STRASBOURG}"] [data-field="now_ha"]').inner_text() == "6,5"
    )
    page.wait_for_selector("#map[data-ready=true]")
    assert page.locator("#map").get_attribute("data-epcis-count") == "1"
    assert page.locator("svg.chart rect").count() >= 1


def test_state_service_loads_the_ddt08_file_and_opens_a_friche_sheet_from_the_map(
    page, grand_est_geography, job_worker
):
    """A DDT agent loads the real DDT 08 friches file through the web import (as its State service, every
    friche under the EPCI of its commune), then opens a friche's sheet from the map popup."""
    import csv

    from tandem.land.models import Friche
    from tandem.organizations.models import Organization
    from tandem.territories.models import Commune
    from tests.conftest import shared_file
    from tests.factories import other_org
    from tests.land.test_import_friches import DDT08, SETS

    page.set_default_timeout(60_000)  # 164 rows imported by the worker on a shared, busy machine
    job_worker.start()
    codes = list(Commune.objects.filter(departement_id="08", is_current=True).values_list("pk", flat=True))
    ddt = other_org(Organization.Kind.ETAT, commune_codes=codes)
    make_member(ddt, Role.CONTRIBUTEUR, username="agent.ddt")
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    browser_login(page, "agent.ddt", PASSWORD)
    page.goto("/foncier/import/")
    assert page.locator("#id_producer").input_value() == str(ddt.pk)  # imports as its organisation
    page.set_input_files("#id_files", str(shared_file(DDT08)))
    page.fill("#id_sets", "\n".join(f"{k}={v}" for k, v in SETS.items()))
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    page.wait_for_selector("#import-report", timeout=90_000)
    assert page.locator("#import-run").get_attribute("data-status") == "done"
    assert page.locator('[data-figure="errors"]').inner_text() == "0"
    placed = dict(Friche.objects.unscoped().filter(owner=ddt).values_list("site_id", "commune__epci_id"))
    assert placed == {row["site_id"]: row["epci_siren"] for row in rows}

    page.click("nav.land-nav >> text=Friches")
    assert page.locator('[data-figure="friches-count"]').inner_text() == "164"
    target = rows[0]
    page.fill("#id_q", target["site_id"])
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#map[data-ready=true]")
    # The friche list's map shows the filtered friche only (its vector tiles follow the list's filters), and
    # lists it beside the map; its button opens the popup, whose link (focused) leads to the sheet.
    page.wait_for_selector("#map-list li[data-layer=friches]")
    assert page.locator("#map-list li").count() == 1
    page.locator("#map-list li button").click()
    popup = page.locator(".maplibregl-popup-content")
    assert target["site_nom"] in popup.inner_text()
    link = popup.locator("a")
    assert link.evaluate("a => a === document.activeElement")
    link.click()
    friche = Friche.objects.unscoped().get(site_id=target["site_id"])
    page.wait_for_url(f"**/foncier/friches/{friche.pk}/")
    assert page.locator("h1").inner_text() == target["site_nom"]
    parcels = [p for p in target["unite_fonciere_refcad"].split("|") if p.strip()]
    assert page.locator("#parcels tbody tr").count() == max(len(parcels), 1)
