"""The main pages of each journey in a real browser: axe-core (npm) finds no serious or critical violation, and
on a 375 px phone (the EPCI journey) the menu collapses, the page never scrolls sideways and a skip link leads to the content."""

import re

import pytest

from tandem.demo.services import DEMO_PASSWORD
from tests.conftest import REPO, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser_page(_playwright_browser, live_server):
    """A page whose context bypasses the Content-Security-Policy, so that the test may inject axe-core."""

    def open_page(**options):
        context = _playwright_browser.new_context(
            base_url=live_server.url, locale="fr-FR", bypass_csp=True, **options
        )
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
            ),
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        opened.append(context)
        return page

    opened = []
    yield open_page
    for context in opened:
        context.close()


def first_links(page, prefix: str, pattern: str) -> list[str]:
    """The first link of `page` matching `pattern` (a list of one, or empty when the role sees none)."""
    hrefs = page.locator(f"main a[href^='{prefix}']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return [href for href in hrefs if re.fullmatch(pattern, href)][:1]


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_phone_layout(page, username):
    """At 375 px: no sideways scroll, tables inside the screen, a collapsed menu, a skip link first."""
    browser_login(page, username, DEMO_PASSWORD)
    for path in journey_pages(page):
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} : la page défile horizontalement ({width} px)"
        for table in page.locator("main table").all():
            box = table.bounding_box()
            assert box is None or box["x"] + box["width"] <= PHONE["width"] + 1, (
                f"{path} : tableau hors cadre"
            )
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#contenu"
    menu = page.locator("#menu-principal")
    assert not menu.is_visible()
    page.click("button.nav-toggle")
    assert menu.is_visible() and page.locator("button.nav-toggle").get_attribute("aria-expanded") == "true"
    page.click("button.nav-toggle")
    assert not menu.is_visible()


def journey_pages(page) -> list[str]:
    """Home, land (inventory, a site sheet, the map), companies (list, a company, reviews), prospects, journal."""
    page.goto("/foncier/")
    sites = first_links(page, "/foncier/sites/", r"/foncier/sites/\d+/")
    page.goto("/entreprises/")
    companies = first_links(page, "/entreprises/", r"/entreprises/\d{9}/")
    page.goto("/prospects/")
    prospects = first_links(page, "/prospects/", r"/prospects/\d+/")
    return [
        "/",
        "/foncier/",
        *sites,
        "/foncier/carte/",
        "/entreprises/",
        *companies,
        "/entreprises/revues/",
        "/prospects/",
        *prospects,
        "/journal/",
        "/competences/",
        "/competences/dep/68/",
        "/competences/correspondances/",
        "/competences/correspondances/?etat=revues",
        "/competences/metier/D0X31/",
    ]


@pytest.mark.parametrize("username", ["epci1.contributeur", "investissement.contributeur", "region.admin"])
def test_main_pages_have_no_serious_accessibility_violation(browser_page, demo, username):
    page = browser_page()
    browser_login(page, username, DEMO_PASSWORD)
    problems = []
    for path in journey_pages(page):
        response = page.goto(path)
        assert response.status == 200, path
        problems += serious_violations(page)
    assert not problems, "\n".join(problems)
    if username.startswith("epci"):
        check_phone_layout(browser_page(viewport=PHONE), username)
