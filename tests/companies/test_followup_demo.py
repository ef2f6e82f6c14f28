"""The demo generator adds fictitious companies with real NAF codes in the demo EPCIs, and their follow-up."""

import pytest

from tandem.companies.demo import SIREN_PREFIX
from tandem.companies.models import (
    Company,
    CompanyAdvisor,
    Establishment,
    Exchange,
    ParcoursJourney,
    ProjectReview,
    SolutionProvider,
)
from tandem.companies.nomenclatures import naf_label
from tandem.demo.services import DEMO_EPCIS, demo_generate

pytestmark = pytest.mark.django_db


def test_demo_companies_are_fictitious_real_naf_and_idempotent():
    result = demo_generate(scale="demo")
    created = result.extensions["companies_demo"]
    assert created["companies"] == 4 * 30
    assert Company.objects.count() == 120
    assert all(siren.startswith(SIREN_PREFIX) for siren in Company.objects.values_list("siren", flat=True))
    assert all(name.endswith("(DÉMO)") for name in Company.objects.values_list("name", flat=True))
    assert all(naf_label(code) for code in Establishment.objects.values_list("naf", flat=True).distinct())
    epcis = set(Establishment.objects.values_list("commune__epci_id", flat=True))
    assert epcis == set(DEMO_EPCIS)
    assert CompanyAdvisor.objects.unscoped().filter(role="referent", ended_on=None).count() > 60
    assert Exchange.objects.unscoped().count() == created["exchanges"] > 0
    assert ParcoursJourney.objects.unscoped().count() == created["journeys"] > 20
    assert SolutionProvider.objects.filter(is_demo=True).count() == 5
    assert created["reviews"] == 4
    assert ProjectReview.objects.unscoped().filter(agenda__isnull=False).distinct().count() == 4
    again = demo_generate(scale="demo").extensions["companies_demo"]
    assert again == {
        "companies": 0,
        "establishments": 0,
        "exchanges": 0,
        "journeys": 0,
        "signals": 0,
        "reviews": 0,
    }
    assert Company.objects.count() == 120
