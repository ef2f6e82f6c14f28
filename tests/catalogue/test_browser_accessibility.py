"""The catalogue pages this issue adds, in a real browser as the Région's administrator (demo data): axe-core finds
no serious or critical violation on the scheme search and form, the solution provider's sheet, the office form,
the indicators and the e-mail preference page."""

import pytest

from tandem.demo.services import DEMO_PASSWORD
from tests.conftest import browser_login
from tests.www.test_browser_accessibility import browser_page, serious_violations  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/catalogue/",
    "/catalogue/dispositifs/nouveau/",
    "/catalogue/dispositifs/demo-diagnostic-energie/",
    "/catalogue/dispositifs/demo-diagnostic-energie/modifier/",
    "/catalogue/operateurs/?type=offreur",
    "/catalogue/operateurs/demo-offreur-solution/",
    "/catalogue/operateurs/demo-offreur-solution/antennes/nouvelle/",
    "/catalogue/indicateurs/",
    "/compte/notifications/",
]


def test_catalogue_pages_have_no_serious_accessibility_violation(browser_page, demo):  # noqa: F811
    page = browser_page()
    browser_login(page, "region.admin", DEMO_PASSWORD)
    problems = []
    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        problems += serious_violations(page)
    assert not problems, "\n".join(problems)
    assert "robotisation" in page.goto("/catalogue/operateurs/demo-offreur-solution/").text()
