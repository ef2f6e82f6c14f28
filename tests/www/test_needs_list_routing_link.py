"""From the needs list, an economic developer reaches each need's schemes and partners page (where it is
routed to a partner) in one click, as from the company's file."""

import pytest

from tandem.companies.followup import need_create
from tandem.companies.models import Need
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"


def test_each_need_of_the_list_links_to_its_routing_page(client):
    strasbourg = epci_org(STRASBOURG)
    referent = make_member(strasbourg)
    actor = Actor.for_user(referent, strasbourg.pk)
    needs = [
        need_create(
            actor=actor,
            owner=strasbourg,
            company=make_company("67482", name=f"ATELIERS FICTIFS {n}"),
            topic=Need.Topic.RECRUITMENT,
            title=f"Recruter {n} soudeurs",
        )
        for n in (2, 3)
    ]
    client.force_login(referent)
    html = client.get("/entreprises/besoins/?statut=tous").content.decode()
    for need in needs:
        row = html.split(f'data-need="{need.pk}"')[1].split("</tr>")[0]
        assert f'href="/catalogue/besoins/{need.pk}/"' in row
        assert client.get(f"/catalogue/besoins/{need.pk}/").status_code == 200
