"""The decarbonation pages in a real browser: axe-core finds no serious or critical violation (the pattern of
tests/www/test_browser_accessibility.py), on the real EUTL accounts of the Bas-Rhin over the demo."""

import csv

import pytest

from tandem.decarbonation.importers import eutl_import
from tandem.decarbonation.models import Installation
from tandem.demo.services import DEMO_PASSWORD
from tests.conftest import browser_login
from tests.www.test_browser_accessibility import browser_page, serious_violations  # noqa: F401

from .conftest import EUTL, read_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_decarbonation_pages_have_no_serious_accessibility_violation(browser_page, demo, tmp_path):  # noqa: F811
    rows = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10" and r["ZipCode"].startswith("67")]
    path = tmp_path / "installations_67.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    eutl_import(path=path)
    site = Installation.objects.filter(in_ets=True).order_by("pk").first()
    page = browser_page()
    browser_login(page, "region.contributeur", DEMO_PASSWORD)
    problems = []
    for url in (
        "/decarbonation/",
        "/decarbonation/installations/",
        f"/decarbonation/installations/{site.pk}/",
        "/decarbonation/liens/",
        "/decarbonation/gros-emetteurs/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        problems += serious_violations(page)
    assert not problems, "\n".join(problems)
