"""« Proposer un autre site » suggests terrains as one types, in a real browser under the site's
Content-Security-Policy: the behaviour lives in a static script (an inline one was blocked by `script-src
'self'`, so the suggestion list stayed empty)."""

import pytest

from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.prospects import services
from tandem.prospects.candidates import CACHE
from tests.conftest import browser_login
from tests.factories import PASSWORD, epci_org, make_member, other_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_site_suggestions_fill_the_list_as_one_types(page, grand_est_geography):
    CACHE.clear()
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse = epci_org("200066009")
    lead = make_member(agency, Role.CONTRIBUTEUR, "charge.suggestions")
    dev = make_member(mulhouse, Role.CONTRIBUTEUR, "dev.suggestions")
    zae = make_site(mulhouse, "68224", site_nom="ZAE fictive du Héron")
    terrain = make_terrain(zae, 6, cell=(0, 0))
    prospect = services.prospect_create(
        actor=Actor.for_user(lead), owner=agency, code_name="Projet Suggestion", surface_min_ha=5
    )
    services.prospect_share(
        actor=Actor.for_user(lead), prospect=prospect, organizations=[mulhouse], members=[dev]
    )

    page.add_init_script(COLLECT)
    browser_login(page, "dev.suggestions", PASSWORD)
    page.goto(f"/prospects/{prospect.pk}/")
    page.fill("#site-search", "Héron")
    page.wait_for_selector("#site-suggestions option", state="attached")
    values = page.eval_on_selector_all("#site-suggestions option", "os => os.map(o => o.value)")
    assert terrain.terr_id in values
    assert page.evaluate("window.__csp") == []
    CACHE.clear()
