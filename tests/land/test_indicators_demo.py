"""The demo land inventories: generated through the real importer, standard-conforming, visible to the demo
Région, idempotent, and giving non-trivial indicators."""

import time

import pytest

from tandem.demo.services import DEMO_EPCIS, demo_generate
from tandem.land.demo import land_demo
from tandem.land.models import Friche, LabelDecision, Site, Terrain
from tandem.land.selectors import regional_dashboard
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor

pytestmark = pytest.mark.django_db


def test_demo_inventories(monkeypatch):
    from tandem.demo import services

    monkeypatch.setattr(services, "DEMO_EXTENSIONS", [])  # the foundation's part alone, then ours
    demo_generate(scale="demo")
    orgs = list(
        Organization.objects.filter(kind="epci", is_demo=True, epci_id__in=DEMO_EPCIS).order_by("epci_id")
    )
    import random

    started = time.perf_counter()
    counts = land_demo(rng=random.Random(1), organizations=orgs, scale="demo")
    elapsed = time.perf_counter() - started
    assert elapsed < 20
    assert counts["sites"] == 24 and counts["terrains"] == 120 and counts["friches"] == 12
    assert counts["import"] == "done"
    assert Site.objects.unscoped().filter(site_nom__startswith="[fictif]").count() == 24
    # Terrains lie in their EPCI's communes and show a mix of sale stages.
    assert not Terrain.objects.unscoped().exclude(commune__epci_id__in=DEMO_EPCIS).exists()
    assert Terrain.objects.unscoped().values("terr_stade_comm").distinct().count() >= 4
    assert LabelDecision.objects.filter(status="labelled").count() == 1
    assert Site.objects.unscoped().filter(tdm_labels__contains=["STAR'EST"]).count() == 1
    region = Organization.objects.get(slug="region-demo")
    from tests.factories import make_member

    board = regional_dashboard(Actor.for_user(make_member(region)), region_code="44")
    assert len(board["epci"]) == 4 and board["total"]["now_ha"] > 0
    # Running the demo again changes nothing.
    again = land_demo(rng=random.Random(1), organizations=orgs, scale="demo")
    assert again["import"] == "done" and again["changes"] == 0  # the same inventory again changes nothing
    assert Friche.objects.unscoped().count() == 12 and LabelDecision.objects.count() == 2
