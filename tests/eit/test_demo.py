"""The demo's industrial ecology: fictitious parks in the demo EPCIs, obvious synergies found, traps avoided
with their reasons, pooling; a second run changes nothing."""

import pytest
from django.contrib.auth import get_user_model

from tandem.demo.services import DEMO_EPCIS, demo_generate
from tandem.eit.demo import SOURCE
from tandem.eit.detection import run_detection, territory_for_epci
from tandem.eit.models import EstimatedFlow, Flow, Synergy
from tests.eit.builders import actor_of

pytestmark = pytest.mark.django_db


def test_demo_parks_obvious_synergies_and_traps(demo):
    created = demo.extensions["eit_demo"]
    assert created["flows"] == Flow.objects.unscoped().count() > 0 and created["synergies"] == 2 * 4
    assert created["estimated_flows"] == EstimatedFlow.objects.count() > 0
    assert set(Flow.objects.unscoped().values_list("source", flat=True)) == {SOURCE}
    names = set(Flow.objects.unscoped().values_list("establishment__company__name", flat=True))
    assert all(name.endswith("(DÉMO)") and "FICTIVE" in name for name in names)
    assert Synergy.objects.unscoped().filter(stage="realised").count() == 4
    user = get_user_model().objects.get(username="epci1.contributeur")
    epci = sorted(DEMO_EPCIS)[0]
    result = run_detection(actor_of(user), territory_for_epci(epci))
    labels = {
        (result.row(s.offer_id)["label"], result.row(s.need_id)["label"]): s for s in result.suggestions
    }
    assert ("Emballages en carton", "Cartons et papiers") in labels
    assert ("Eau de process traitée", "Irrigation") in labels
    cold = labels[("Rejets tièdes", "Appoint du réseau")]
    assert cold.heat_pump and any("pompe à chaleur" in r for r in cold.reasons)
    assert ("Solvants usagés", "Solvants comme combustible") not in labels
    assert any(
        result.row(e.offer_id)["label"] == "Solvants usagés" and "dangereux" in e.reason
        for e in result.detection.exclusions
    )
    assert any(p.count >= 3 and "carton" in p.label.lower() for p in result.detection.pools)
    again = demo_generate(scale="demo").extensions["eit_demo"]
    assert again == {"flows": 0, "synergies": 0, "estimated_flows": 0}
