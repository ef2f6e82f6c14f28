"""The project's value for the territory: each figure with its computation; decisions recorded."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from tandem.core.models import AuditEvent
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.prospects import services
from tandem.prospects.value import percentile_of
from tests.factories import epci_org, make_member, other_org
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db


def test_percentile_counts_ties_half():
    assert percentile_of(25, [5, 10, 20, 40]) == 75
    assert percentile_of(10, [5, 10, 20, 40]) == 37.5
    assert percentile_of(1, [5]) == 0


@pytest.fixture
def valued():
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    mulhouse = epci_org("200066009")
    lead, dev = (
        make_member(agency, Role.CONTRIBUTEUR, "lead"),
        make_member(mulhouse, Role.CONTRIBUTEUR, "dev"),
    )
    # The territory's own ZAE, shared with the network: 5, 10, 20 and 40 jobs per hectare.
    for jobs, surface in ((50, 10), (100, 10), (400, 20), (800, 20)):
        make_site(mulhouse, "68224", site_nb_emploi=jobs, site_surf_brute=surface, visibility="network")
    terrain = make_terrain(make_site(mulhouse, "68224"), 10, terr_usage="espace agricole")
    lead_actor = Actor.for_user(lead)
    prospect = services.prospect_create(
        actor=lead_actor,
        owner=agency,
        code_name="Projet Loriot",
        surface_min_ha=8,
        jobs_at_start=120,
        jobs_at_three_years=250,
        investment_eur=50_000_000,
        public_aid_eur=5_000_000,
        production_start_on=date(2029, 1, 1),
    )
    services.prospect_share(actor=lead_actor, prospect=prospect, organizations=[mulhouse], members=[dev])
    proposal = services.proposal_create(
        actor=Actor.for_user(dev),
        prospect=prospect,
        organization=mulhouse,
        kind="terrain",
        object_id=terrain.pk,
    )
    return {"prospect": prospect, "proposal": proposal, "lead": lead, "agency": agency}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_value_figures_show_their_computation(valued):
    prospect, proposal = valued["prospect"], valued["proposal"]
    body = api(valued["lead"]).get(f"/api/v1/prospects/{prospect.pk}/value/?proposal={proposal.pk}").json()
    figures = {f["key"]: f for f in body["figures"]}
    assert figures["jobs_per_ha"]["value"] == 25.0
    assert "250 emplois ÷ 10 ha" in figures["jobs_per_ha"]["computation"]
    assert figures["jobs_per_ha_percentile"]["value"] == 75
    assert "4 ZAE" in figures["jobs_per_ha_percentile"]["computation"]
    assert figures["investment_per_job"]["value"] == 200_000
    assert figures["public_aid_per_job"]["value"] == 20_000
    assert figures["land"]["value"] == {"agricole": 10.0, "friche": 0.0}
    assert figures["suppliers"]["value"] is None and "non renseignés" in figures["suppliers"]["computation"]


def test_decisions_keep_who_when_what_why_and_the_figures(valued):
    prospect, lead = valued["prospect"], valued["lead"]
    url = f"/api/v1/prospects/{prospect.pk}/decisions/"
    response = api(lead).post(
        url, {"outcome": "support", "reason": "25 emplois/ha, au-dessus des ZAE locales"}, format="json"
    )
    assert response.status_code == 200, response.content
    (decision,) = response.json()
    assert decision["by"] == "lead" and decision["outcome"] == "support"
    assert {f["key"] for f in decision["value_snapshot"]["figures"]} >= {"jobs_per_ha", "investment_per_job"}
    event = AuditEvent.objects.filter(object_type="prospects.decision").latest("id")
    assert "Loriot" not in event.object_repr
    assert api(lead).post(url, {"outcome": "support", "reason": " "}, format="json").status_code == 400
    outsider = make_member(valued["agency"], Role.ADMIN)
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).get(f"/api/v1/prospects/{prospect.pk}/value/").status_code == 404
