"""Hazardous waste goes only to a receiver whose ICPE rubriques allow it, the rubriques read from its
classified installations (Géorisques table of the decarbonation module) or typed on its need; the reasons say
where the authorisation comes from, and a synergy to an unauthorised receiver is refused with its reason."""

import pytest

from tandem.core.errors import UserError
from tandem.decarbonation.models import Installation
from tandem.eit.detection import run_detection, territory_for_epci
from tandem.eit.selectors import installation_rubriques
from tandem.eit.services import synergy_create
from tests.eit.builders import STRASBOURG, actor_of, add_flow, facilitator, located_company
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db
SXB = "246700488"


@pytest.fixture
def park(ewc):
    org = epci_org(SXB)
    user = facilitator(org, make_member(org))
    p = {"org": org, "user": user, "actor": actor_of(user)}
    _, chem = located_company(STRASBOURG, name="BATTERIES FICTIVES", naf="27.20Z", lat=48.58, lon=7.75)
    p["batteries"] = add_flow(
        user, org, chem, direction="offer", kind="material", ewc_id="160601", quantity=20, unit="t"
    )  # 16 06 01*: lead batteries, hazardous
    receivers = {}
    for key, lat in (("installation", 48.581), ("nothing", 48.582), ("ordinary", 48.583), ("declared", 48.584)):
        _, est = located_company(STRASBOURG, name=f"RECYCLEUR {key.upper()}", naf="38.32Z", lat=lat, lon=7.75)
        fields = {"icpe_rubriques": "2790", "waste_operations": "R4"} if key == "declared" else {}
        receivers[key] = add_flow(
            user, org, est, direction="need", kind="material", ewc_id="1606", quantity=5, unit="t", **fields
        )
    Installation.objects.create(
        name="Installation fictive", siret=receivers["installation"].establishment_id, rubriques=["2790"]
    )
    Installation.objects.create(
        name="Installation ordinaire fictive", siret=receivers["ordinary"].establishment_id, rubriques=["2714"]
    )
    p["receivers"] = receivers
    return p


def test_installation_rubriques_read_the_classified_installations(park):
    r = park["receivers"]
    found = installation_rubriques([f.establishment_id for f in r.values()])
    assert found == {r["installation"].establishment_id: ("2790",), r["ordinary"].establishment_id: ("2714",)}


def test_hazardous_waste_only_to_permitted_receivers_with_the_permits_source(park):
    result = run_detection(park["actor"], territory_for_epci(SXB))
    offer = str(park["batteries"].pk)
    proposed = {s.need_id: s for s in result.suggestions if s.offer_id == offer}
    r = park["receivers"]
    installed = proposed[str(r["installation"].pk)]
    assert any("rubrique ICPE 2790" in x and "installations classées" in x for x in installed.reasons)
    declared = proposed[str(r["declared"].pk)]
    assert any("2790" in x and "déclarées sur le besoin" in x for x in declared.reasons)
    for key in ("nothing", "ordinary"):
        assert str(r[key].pk) not in proposed
        assert any(
            e.need_id == str(r[key].pk) and "dangereux" in e.reason for e in result.detection.exclusions
        ), key
    with pytest.raises(UserError, match="dangereux"):
        synergy_create(
            actor=park["actor"], owner=park["org"], supplier_flow=park["batteries"], receiver_flow=r["ordinary"]
        )
