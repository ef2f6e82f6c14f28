"""The « Valeur du projet » table writes its figures the French way (« 120 000 000 », « 545 455 »), as its
« Calcul » column does, not as Python prints a float (« 120000000,0 »)."""

import re
from html import unescape

import pytest

from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.prospects import services
from tandem.prospects.candidates import CACHE
from tests.factories import make_member, other_org

pytestmark = pytest.mark.django_db


def test_value_figures_are_written_in_french(client):
    CACHE.clear()
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    lead = make_member(agency, Role.CONTRIBUTEUR)
    prospect = services.prospect_create(
        actor=Actor.for_user(lead),
        owner=agency,
        code_name="Projet Grèbe",
        surface_min_ha=4,
        jobs_at_start=80,
        jobs_at_three_years=220,
        investment_eur=120_000_000,
    )
    client.force_login(lead)
    html = client.get(f"/prospects/{prospect.pk}/").content.decode()
    table = html.split('id="value"')[1].split("</table>")[0]
    rows = {
        " ".join(unescape(re.sub(r"<[^>]+>", " ", cells[0])).split()): " ".join(
            unescape(re.sub(r"<[^>]+>", " ", cells[1])).split()
        )
        for cells in (re.findall(r"<td>(.*?)</td>", row, re.S) for row in table.split("<tr>")[1:])
        if len(cells) >= 2
    }
    assert rows["investissement (€)"] == "120 000 000"
    assert rows["investissement par emploi (€)"] == "545 455"  # 120,000,000 / 220
    assert rows["emplois créés"] == "220"
    CACHE.clear()
