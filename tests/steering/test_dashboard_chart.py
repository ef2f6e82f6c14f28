"""The dashboard's land chart as a reader sees it: a stacked bar whose segments follow one another (each starts
where the previous one ends), not three bars drawn over each other from the left edge."""

import re

import pytest
from django.urls import reverse

from tandem.organizations.models import Role
from tests.factories import make_member, region_org
from tests.steering import builders as b

pytestmark = pytest.mark.django_db


def test_land_segments_are_stacked_one_after_the_other(client, land):
    client.force_login(make_member(region_org(), Role.LECTEUR))
    html = client.get(reverse("www:steering:dashboard", args=["epci", b.STRASBOURG])).content.decode()
    chart = html.split('id="land-chart"')[1].split("</svg>")[0]
    rects = re.findall(r'<rect class="avail-(\w+)" x="([^"]*)" y="0" height="10" width="([^"]*)"', chart)
    assert [key for key, _, _ in rects] == ["now", "short", "medium"]
    xs, widths = [float(x) for _, x, _ in rects], [float(w) for _, _, w in rects]
    # The fixture's Strasbourg terrains: 7 ha now (5 + 2), 3 ha in the short term, 6 ha in the medium term.
    assert widths == pytest.approx([100 * 7 / 16, 100 * 3 / 16, 100 * 6 / 16], abs=0.1)
    assert xs == pytest.approx([0, widths[0], widths[0] + widths[1]], abs=0.1)
