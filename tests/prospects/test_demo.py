"""Demo prospects: fictitious, shared with the first demo EPCI, two proposals and a shortlist; idempotent."""

import random

import pytest

from tandem.demo.services import DEMO_EPCIS, demo_generate
from tandem.land.demo import land_demo
from tandem.organizations.models import Organization
from tandem.prospects.demo import prospects_demo
from tandem.prospects.models import Prospect

pytestmark = pytest.mark.django_db


def test_demo_prospects(monkeypatch):
    from tandem.demo import services

    monkeypatch.setattr(services, "DEMO_EXTENSIONS", [])
    demo_generate(scale="demo")
    orgs = list(
        Organization.objects.filter(kind="epci", is_demo=True, epci_id__in=DEMO_EPCIS).order_by("epci_id")
    )
    land_demo(rng=random.Random(1), organizations=orgs, scale="demo")
    assert prospects_demo(rng=random.Random(1), organizations=orgs, scale="demo") == {
        "prospects": 2,
        "proposals": 2,
    }
    heron = Prospect.objects.unscoped().get(code_name="[fictif] Projet Héron")
    assert heron.status == "shortlisted"
    assert sorted(heron.members.values_list("username", flat=True)) == [
        "epci1.contributeur",
        "investissement.contributeur",
    ]
    assert heron.proposals.filter(shortlisted=True).count() == 1
    assert all(p.terrain.commune.epci_id == orgs[0].epci_id for p in heron.proposals.all())
    assert prospects_demo(rng=random.Random(1), organizations=orgs, scale="demo") == {
        "prospects": 0,
        "proposals": 0,
    }
    assert Prospect.objects.unscoped().count() == 2
