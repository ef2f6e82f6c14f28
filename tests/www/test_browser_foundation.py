"""The foundation seen through a real browser (headless Chromium driven by Playwright)."""

import pytest

from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.perimeters import perimeter_create
from tests.conftest import browser_login
from tests.factories import PASSWORD, communes_of, epci_org, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_epci_user_sees_the_map_with_its_boundary(page, grand_est_geography):
    org = epci_org("246700488")
    make_member(org, username="agent.strasbourg")
    browser_login(page, "agent.strasbourg", PASSWORD)
    assert page.locator("h1").inner_text() == org.name
    page.wait_for_selector("#map[data-ready=true]")
    assert page.locator("#map").get_attribute("data-epcis-count") == "1"
    assert page.locator("#map").get_attribute("data-communes-count") == "33"
    # The EPCI outline and the 33 communes are drawn (WebGL), even though no internet tile could load, and
    # the base context from Tandem's own tiles shows the names of the places.
    drawn = page.evaluate(
        """() => {
        const features = window.tandemMap.queryRenderedFeatures({layers: ["page-epcis-line", "page-communes-line"]});
        return [...new Set(features.map(f => f.layer.id + ":" + (f.properties.siren || f.properties.code)))].length;
    }"""
    )
    assert drawn == 34
    assert page.evaluate(
        "() => window.tandemMap.queryRenderedFeatures({layers: ['contexte-communes']}).length"
    ) > 0
    assert "Eurométropole de Strasbourg" in page.locator("#map .map-label").all_inner_texts()
    # Beside the map, the list names the same objects, each with a link to its sheet.
    assert page.locator("#map-list li").count() == 34
    assert page.locator("#map-list li a[href='/territoires/epci/246700488/']").count() == 1
    assert page.locator("[data-figure=communes]").inner_text() == "33"


def test_user_of_another_epci_gets_404_on_a_private_object(page, grand_est_geography):
    strasbourg = epci_org("246700488")
    mulhouse = epci_org("200066009")
    owner = make_member(strasbourg, username="agent.strasbourg")
    make_member(mulhouse, username="agent.mulhouse")
    perimeter = perimeter_create(
        actor=Actor.for_user(owner),
        owner=strasbourg,
        name="Zone privée de Strasbourg",
        members=communes_of("246700488")[:3],
        visibility=Visibility.PRIVATE,
    )
    browser_login(page, "agent.mulhouse", PASSWORD)
    response = page.goto(f"/perimetres/{perimeter.pk}/")
    assert response.status == 404
    assert "Zone privée" not in page.content()
    page.goto("/perimetres/")
    assert "Zone privée" not in page.content()
    assert Organization.objects.count() == 2
