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
from tandem.eit.demo import SIREN_PREFIX as EIT_PREFIX

pytestmark = pytest.mark.django_db


def test_demo_companies_are_fictitious_real_naf_and_idempotent(demo):
    created = demo.extensions["companies_demo"]
    assert created["companies"] == 4 * 30
    # The demo also holds the industrial ecology parks' companies (their own fictitious SIREN prefix).
    ours = Company.objects.filter(siren__startswith=SIREN_PREFIX)
    assert ours.count() == 120
    assert (
        not Company.objects.exclude(siren__startswith=SIREN_PREFIX)
        .exclude(siren__startswith=EIT_PREFIX)
        .exists()
    )
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
    assert ours.count() == 120
