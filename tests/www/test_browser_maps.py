"""Maps in a real browser with no internet (every request outside the test server is aborted): MapLibre GL JS
draws Tandem's own vector tiles — the base context with its names, the land the user may see and nothing else —,
a friche's popup opens its sheet, and a prospect's candidate map shows its candidates."""

from datetime import date, timedelta

import pytest
import shapely

from tandem.land.models import Friche
from tandem.organizations.models import Organization, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects import services
from tandem.prospects.candidates import CACHE
from tests.conftest import browser_login
from tests.factories import PASSWORD, epci_org, make_member, other_org
from tests.land.inventory_builders import make_friche, make_site, make_terrain, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STRASBOURG_EPCI, STRASBOURG = "246700488", "67482"


def rendered(page, layers: list[str], key: str = "id") -> set:
    """The values of property `key` of the features MapLibre has drawn in these layers, in the current view."""
    return set(
        page.evaluate(
            """([layers, key]) => window.tandemMap
                .queryRenderedFeatures({layers: layers.filter(id => window.tandemMap.getLayer(id))})
                .map(f => f.properties[key])""",
            [layers, key],
        )
    )


def wait_for_list(page):
    page.wait_for_selector("#map[data-ready=true]")
    page.wait_for_function("() => document.querySelectorAll('#map-list li').length > 0")


def test_land_map_without_internet_shows_context_and_visible_land_and_opens_a_friche_sheet(
    page, grand_est_geography
):
    stras, mulhouse = epci_org(STRASBOURG_EPCI), epci_org("200066009")
    make_member(stras, Role.LECTEUR, username="agent.carte")
    site = make_site(stras, STRASBOURG, site_nom="ZAE du Port du Rhin", visibility=Visibility.PRIVATE)
    terrain = make_terrain(site, 2.0)
    lon, lat = site.centroid_lon, site.centroid_lat
    friche = make_friche(stras, STRASBOURG, site_nom="Ancienne brasserie du port")
    friche.set_geometry(square(lon + 0.001, lat + 0.001, 0.002))
    friche.save()
    # Another EPCI's private site, drawn right beside: it must not be in any tile the user gets.
    hidden = make_site(mulhouse, STRASBOURG, site_nom="Site confidentiel", visibility=Visibility.PRIVATE)
    hidden.set_geometry(square(lon - 0.012, lat, 0.008))
    hidden.save()

    browser_login(page, "agent.carte", PASSWORD)
    land_tiles = []
    page.on("request", lambda r: land_tiles.append(r.url) if "/foncier/tuiles/" in r.url else None)
    page.goto("/foncier/carte/")
    wait_for_list(page)
    page.wait_for_function(
        """() => window.tandemMap.queryRenderedFeatures({layers: ['tuiles-friches-fill']}).length > 0"""
    )
    # One request per tile carries the three land layers (sites, terrains, friches), none per layer.
    assert land_tiles and all("/foncier/tuiles/sites,terrains,friches/" in url for url in land_tiles), (
        land_tiles
    )
    # The base map could not load (no internet): it is hidden, and the context tiles still draw the communes.
    assert "tiles-unavailable" in page.locator("#map").get_attribute("class")
    assert STRASBOURG in rendered(page, ["contexte-communes"], "code")
    assert rendered(page, ["tuiles-sites-fill", "tuiles-sites-point"]) == {site.pk}
    assert rendered(page, ["tuiles-terrains-fill", "tuiles-terrains-point"]) == {terrain.pk}
    assert rendered(page, ["tuiles-friches-fill", "tuiles-friches-point"]) == {friche.pk}
    assert "Site confidentiel" not in page.locator("#map-list").inner_text()
    assert page.locator(f"#map-list a[href='/foncier/friches/{friche.pk}/']").count() == 1
    assert page.locator("#map canvas").get_attribute("aria-label").startswith("Carte du foncier")
    # Terrains are drawn from zoom 10 (the server's rule, given to the style by the page): zoomed out to 9, the
    # site is still drawn and no terrain; zoomed back in, the terrain again.
    zoom = page.evaluate("() => window.tandemMap.getZoom()")
    assert zoom >= 10
    assert page.evaluate("() => window.tandemMap.getLayer('tuiles-terrains-fill').minzoom") == 10
    page.evaluate("() => window.tandemMap.jumpTo({zoom: 9})")
    page.wait_for_function("() => window.tandemMap.areTilesLoaded() && !window.tandemMap.isMoving()")
    page.wait_for_function(
        """() => window.tandemMap.queryRenderedFeatures({layers: ['tuiles-sites-fill', 'tuiles-sites-point']})
            .length > 0"""
    )
    assert rendered(page, ["tuiles-sites-fill", "tuiles-sites-point"]) == {site.pk}
    assert rendered(page, ["tuiles-terrains-fill", "tuiles-terrains-point"]) == set()
    page.evaluate("(z) => window.tandemMap.jumpTo({zoom: z})", zoom)
    page.wait_for_function(
        """() => window.tandemMap.queryRenderedFeatures({layers: ['tuiles-terrains-fill', 'tuiles-terrains-point']})
            .length > 0"""
    )

    # A click on the friche opens its popup; its link opens the friche's sheet.
    centre = shapely.from_wkb(bytes(Friche.objects.unscoped().get(pk=friche.pk).geometry.wkb)).centroid
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.tandemMap.project([lon, lat]); return [p.x, p.y]; }",
        [centre.x, centre.y],
    )
    page.locator("#map canvas").click(position={"x": x, "y": y})
    popup = page.locator(".maplibregl-popup-content")
    assert "Ancienne brasserie du port" in popup.inner_text()
    popup.locator("a", has_text="Ouvrir la fiche").click()
    page.wait_for_url(f"**/foncier/friches/{friche.pk}/")
    assert page.locator("h1").inner_text() == "Ancienne brasserie du port"


def test_the_candidate_map_of_a_prospect_shows_its_candidates(page, grand_est_geography):
    CACHE.clear()
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse = epci_org("200066009")
    lead = make_member(agency, Role.CONTRIBUTEUR, "charge.carte")
    dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dev.carte")
    from tests.prospects.builders import make_site as prospect_site
    from tests.prospects.builders import make_terrain as prospect_terrain

    zae = prospect_site(mulhouse, "68224", tdm_power_mw=30)
    terrains = [prospect_terrain(zae, 9 + k, cell=(3 * k, 0)) for k in range(3)]
    prospect = services.prospect_create(
        actor=Actor.for_user(lead),
        owner=agency,
        code_name="Projet Héron",
        surface_min_ha=8,
        power_mw=10,
        production_start_on=date.today() + timedelta(days=600),
    )
    services.prospect_share(
        actor=Actor.for_user(lead), prospect=prospect, organizations=[mulhouse], members=[dev]
    )

    browser_login(page, "dev.carte", PASSWORD)
    page.goto(f"/prospects/{prospect.pk}/")
    ranked = page.locator("#ranking tbody tr").count()
    assert ranked >= 3
    wait_for_list(page)
    # Every candidate of the page is drawn (WebGL: the rendered features, by rank).
    count = int(page.locator("#map").get_attribute("data-candidats-count"))
    assert count == ranked
    assert rendered(page, ["page-candidats-point"], "rang") == set(range(1, ranked + 1))
    # Beside the map, the candidates in their rank order, each linking to its site's sheet.
    items = page.locator("#map-list li[data-layer=candidats]")
    assert items.count() == count
    listed = page.locator("#map-list").inner_text()
    assert all(t.terr_id in listed for t in terrains)
    assert items.first.inner_text().startswith("n° 1 — ")
    assert page.locator(f"#map-list a[href='/foncier/sites/{zae.pk}/']").count() >= 3
