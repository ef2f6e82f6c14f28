"""The Content-Security-Policy seen by a real browser: pages, maps and behaviours (organisation switcher,
confirmation before a deletion, charts) work under it, and Chromium reports no violation."""

import pytest

from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.organizations.services import membership_set
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import perimeter_create
from tests.conftest import browser_login
from tests.factories import PASSWORD, communes_of, epci_org, make_member
from tests.land.inventory_builders import make_site, make_terrain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STRASBOURG = "246700488"
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_pages_work_under_the_policy_without_violation(page, grand_est_geography):
    # A second, small organisation (the Région's home map would draw 5,000 communes) for the switcher.
    stras, mulhouse = epci_org(STRASBOURG), epci_org("200066009")
    user = make_member(stras, Role.ADMIN, username="agent.csp")
    membership_set(organization=mulhouse, user=user, role=Role.LECTEUR)
    site = make_site(stras, communes_of(STRASBOURG)[0], visibility=Visibility.REGION)
    make_terrain(site, 4.0)
    perimeter = perimeter_create(
        actor=Actor.for_user(user), owner=stras, name="Zone CSP", members=communes_of(STRASBOURG)[:2]
    )
    page.add_init_script(COLLECT)
    browser_login(page, "agent.csp", PASSWORD)
    page.wait_for_selector("#map[data-ready=true]")
    violations = list(page.evaluate("window.__csp"))
    for url in ("/foncier/carte/", f"/foncier/indicateurs/epci/{STRASBOURG}/", "/foncier/tableau-de-bord/"):
        page.goto(url)
        page.wait_for_load_state("load")
        violations += page.evaluate("window.__csp")
    assert page.locator("svg.swatch rect").count() > 0

    # Confirmation before deleting (data-confirm): dismissing it keeps the perimeter.
    page.goto(f"/perimetres/{perimeter.pk}/")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.click("form[data-confirm] button[type=submit]")
    page.wait_for_timeout(300)
    assert messages == ["Supprimer ce périmètre ?"]
    assert Perimeter.objects.unscoped().filter(pk=perimeter.pk).exists()
    violations += page.evaluate("window.__csp")

    # The organisation switcher submits on change (data-autosubmit).
    page.goto("/")
    with page.expect_navigation(timeout=60_000):
        page.select_option("#org-switch", str(mulhouse.pk))
    assert page.locator("#org-switch").input_value() == str(mulhouse.pk)
    assert page.locator("h1").inner_text() == mulhouse.name
    violations += page.evaluate("window.__csp")
    assert violations == []
