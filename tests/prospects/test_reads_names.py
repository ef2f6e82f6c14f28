"""The prospect's « Consultations » table names people as the task force list does (first and last name), not
by their login; the login stays for an account with no name."""

import pytest

from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.prospects import services
from tandem.prospects.candidates import CACHE
from tests.factories import make_member, other_org

pytestmark = pytest.mark.django_db


def test_reads_name_the_people_who_opened_the_prospect(client):
    CACHE.clear()
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    lead = make_member(agency, Role.CONTRIBUTEUR, "c.lefebvre")
    lead.first_name, lead.last_name = "Camille", "Lefebvre"
    lead.save()
    nameless = make_member(agency, Role.CONTRIBUTEUR, "compte.sans.nom")
    prospect = services.prospect_create(
        actor=Actor.for_user(lead),
        owner=agency,
        code_name="Projet Macreuse",
        members=[nameless],
        surface_min_ha=3,
    )
    client.force_login(nameless)
    client.get(f"/prospects/{prospect.pk}/")
    client.force_login(lead)
    html = client.get(f"/prospects/{prospect.pk}/").content.decode()
    reads = html.split('id="reads"', 1)[1].split("</table>", 1)[0]
    assert "<td>Camille Lefebvre</td>" in reads
    assert "<td>c.lefebvre</td>" not in reads
    assert "<td>compte.sans.nom</td>" in reads
    CACHE.clear()
