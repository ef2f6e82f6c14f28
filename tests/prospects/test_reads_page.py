"""Reads of a confidential prospect are logged; its task force (and only it) sees them on the prospect page."""

import pytest

from tandem.organizations.models import Role
from tests.factories import epci_org, make_member
from tests.prospects.test_answer_and_pages import shortlisted  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_task_force_sees_who_opened_the_prospect_others_get_404(client, shortlisted):  # noqa: F811
    prospect = shortlisted["prospect"]
    client.force_login(shortlisted["dev"])
    client.get(f"/prospects/{prospect.pk}/")
    client.get("/prospects/")
    client.force_login(shortlisted["lead"])
    html = client.get(f"/prospects/{prospect.pk}/").content.decode()
    reads = html.split('id="reads"', 1)[1].split("</table>", 1)[0]
    assert "dev" in reads and "lead" in reads and "liste des prospects" in reads and "consultation" in reads
    outsider = make_member(epci_org("246700488"), Role.ADMIN)
    client.force_login(outsider)
    assert client.get(f"/prospects/{prospect.pk}/").status_code == 404
