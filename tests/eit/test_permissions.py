"""Who sees a flow and a synergy: the owner, the company's référent organisation, the facilitators of the
territory; not another EPCI, not the Région (aggregates only). Checked through `scope_queryset`, the web (404)
and the API (404)."""

import pytest
from django.test import Client

from tandem.companies.followup import advisor_assign
from tandem.core.errors import NotAllowed
from tandem.eit.models import Flow, Synergy
from tandem.eit.perms import can_read_regional_indicators, is_facilitator
from tandem.eit.selectors import regional_indicators
from tandem.eit.services import flow_update, synergy_create
from tandem.organizations.models import Organization
from tandem.organizations.perms import scope_queryset
from tests.eit.builders import (
    METZ,
    SCHILTIGHEIM,
    STRASBOURG,
    actor_of,
    add_flow,
    facilitator,
    located_company,
)
from tests.factories import PASSWORD, communes_of, epci_org, make_member, other_org, region_org

pytestmark = pytest.mark.django_db

SXB, METZ_EPCI = "246700488", "200039865"


@pytest.fixture
def world(ewc):
    sxb = epci_org(SXB)
    metz = epci_org(METZ_EPCI)
    cci = other_org(Organization.Kind.OPERATEUR, communes_of(SXB))
    w = {
        "sxb": sxb,
        "metz": metz,
        "cci": cci,
        "animateur": facilitator(sxb, make_member(sxb)),
        "sxb_reader": make_member(sxb, role="lecteur"),
        "metz_user": facilitator(metz, make_member(metz)),
        "cci_animateur": facilitator(cci, make_member(cci)),
        "cci_other": make_member(cci),
        "region_user": make_member(region_org()),
    }
    w["steel"], w["steel_est"] = located_company(STRASBOURG, name="ACIERIE FICTIVE", lat=48.58, lon=7.75)
    w["cement"], w["cement_est"] = located_company(
        SCHILTIGHEIM, name="CIMENTERIE FICTIVE", naf="23.51Z", lat=48.61, lon=7.72
    )
    w["offer"] = add_flow(
        w["animateur"],
        sxb,
        w["steel_est"],
        direction="offer",
        kind="material",
        ewc_id="100202",
        quantity=100,
        unit="t",
    )
    w["need"] = add_flow(
        w["animateur"],
        sxb,
        w["cement_est"],
        direction="need",
        kind="material",
        ewc_id="1002",
        quantity=150,
        unit="t",
    )
    return w


def visible(user, model=Flow):
    return set(scope_queryset(actor_of(user), model.objects.all()).values_list("pk", flat=True))


def test_flows_seen_by_owner_and_facilitators_of_the_territory_only(world):
    flows = {world["offer"].pk, world["need"].pk}
    assert visible(world["animateur"]) == flows
    assert visible(world["sxb_reader"]) == flows  # a member of the owner organisation
    assert visible(world["cci_animateur"]) == flows  # facilitator of an organisation covering the communes
    assert visible(world["cci_other"]) == set()  # same organisation, not a facilitator
    assert visible(world["metz_user"]) == set()  # facilitator of another territory
    assert visible(world["region_user"]) == set()  # the Région reads aggregates only
    assert is_facilitator(actor_of(world["cci_animateur"])) and not is_facilitator(
        actor_of(world["cci_other"])
    )
    assert can_read_regional_indicators(actor_of(world["region_user"]))
    assert not can_read_regional_indicators(actor_of(world["metz_user"]))


def test_referent_organisation_sees_its_company_flows_and_synergies(world):
    agency = other_org(Organization.Kind.AGENCE)
    metz_referent = make_member(agency)
    colleague = make_member(agency, role="lecteur")
    assert visible(metz_referent) == set()
    advisor_assign(
        actor=actor_of(metz_referent), company=world["steel"], user=metz_referent, organization=agency
    )
    assert visible(metz_referent) == {world["offer"].pk}  # its company's flow, not the receiver's
    synergy = synergy_create(
        actor=actor_of(world["animateur"]),
        owner=world["sxb"],
        supplier_flow=world["offer"],
        receiver_flow=world["need"],
    )
    assert visible(metz_referent, Synergy) == {synergy.pk}
    assert visible(colleague, Synergy) == {synergy.pk}  # the référent's organisation
    assert visible(world["metz_user"], Synergy) == set()
    assert visible(world["region_user"], Synergy) == set()


def test_facilitator_of_another_organisation_reads_but_does_not_write(world):
    with pytest.raises(NotAllowed):
        flow_update(actor=actor_of(world["cci_animateur"]), flow=world["offer"], quantity=5)
    with pytest.raises(NotAllowed):
        add_flow(
            world["metz_user"],
            world["metz"],
            world["steel_est"],
            direction="offer",
            kind="heat",
            resource="heat",
            quantity=10,
            unit="MWh",
            temperature_c=90,
        )


def test_other_epci_gets_404_in_web_and_api(world):
    other = Client()
    assert other.login(username=world["metz_user"].username, password=PASSWORD)
    owner = Client()
    assert owner.login(username=world["animateur"].username, password=PASSWORD)
    for url in (f"/eit/flux/{world['offer'].pk}/", f"/api/v1/eit/flows/{world['offer'].pk}/"):
        assert owner.get(url).status_code == 200
        assert other.get(url).status_code == 404
    listing = other.get("/api/v1/eit/flows/").json()
    assert listing["count"] == 0
    synergy = synergy_create(
        actor=actor_of(world["animateur"]),
        owner=world["sxb"],
        supplier_flow=world["offer"],
        receiver_flow=world["need"],
    )
    for url in (f"/eit/synergies/{synergy.pk}/", f"/api/v1/eit/synergies/{synergy.pk}/"):
        assert owner.get(url).status_code == 200
        assert other.get(url).status_code == 404


def test_regional_view_is_aggregates_with_small_counts_merged(world):
    synergy_create(
        actor=actor_of(world["animateur"]),
        owner=world["sxb"],
        supplier_flow=world["offer"],
        receiver_flow=world["need"],
    )
    # One synergy in the region: under the small-count minimum, nothing is shown.
    assert regional_indicators("44") == {}


def test_metz_commune_is_outside_strasbourg(world):
    _, est = located_company(METZ, name="AUTRE FICTIVE", lat=49.12, lon=6.18)
    with pytest.raises(NotAllowed):
        add_flow(world["animateur"], world["sxb"], est, direction="offer", kind="material", ewc_id="100202")


def test_territory_epcis_are_the_actors_own_and_every_region_for_platform_admins(db):
    """The EIT territory selectors offer an EPCI member their own EPCI only, and a platform administrator
    every current EPCI of the instance — an Île-de-France one included (no region written in a view)."""
    from tandem.eit.perms import territory_epcis
    from tests.factories import make_user

    sxb = epci_org(SXB)
    member = actor_of(make_member(sxb, role="lecteur"))
    assert list(territory_epcis(member).values_list("pk", flat=True)) == [SXB]
    admin = actor_of(make_user(superuser=True))
    offered = set(territory_epcis(admin).values_list("pk", flat=True))
    assert {SXB, METZ_EPCI, "200057958"} <= offered  # Strasbourg, Metz, CA Paris - Vallée de la Marne
    page = Client()
    page.force_login(admin.user)
    assert "CA Paris - Vallée de la Marne" in page.get("/eit/").content.decode()
