"""« Which schemes fit this company »: the eligibility engine fed from the company's SIRENE profile (headcount
band, NAF, region of its head office) and its need's theme, on the real TEE programmes."""

import datetime as dt

import pytest

from tandem.catalogue.eligibility.wording import UNDETERMINED
from tandem.catalogue.importers import tee_import
from tandem.catalogue.selectors import company_profile, scheme_search, schemes_for_company
from tandem.companies.models import Need
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file

TODAY = dt.date(2026, 12, 3)
STRASBOURG = "67482"


@pytest.fixture
def tee(db):
    tee_import(folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor())


def _fits(company, topic=Need.Topic.ENVIRONMENT):
    need = Need(topic=topic, title="besoin")
    return {f.scheme.slug: f.eligibility for f in schemes_for_company(company, need=need, today=TODAY)}


@pytest.mark.django_db
def test_profile_from_sirene(tee):
    company = make_company(STRASBOURG, naf="25.62B", headcount_band="11")
    profile = company_profile(company, need=Need(topic=Need.Topic.RECRUITMENT))
    assert (profile.headcount_band, profile.naf_code, profile.region) == ("11", "25.62B", "Grand Est")
    assert profile.micro_enterprise is None and profile.objectives == frozenset({"rh"})


@pytest.mark.django_db
def test_cheque_vert_fits_a_small_grand_est_workshop_with_the_questions_to_ask(tee):
    small = _fits(make_company(STRASBOURG, naf="25.62B", headcount_band="11"))  # 10 to 19 employees
    cheque = small["cheque-vert-grand-est"]
    assert cheque.status == UNDETERMINED  # micro-enterprise regime and objective are not in SIRENE
    assert "L'entreprise relève-t-elle du régime de la micro-entreprise ?" in cheque.questions
    met = {c.label for c in cheque.criteria if c.status == "met"}
    assert {"Effectif salarié", "Secteur d'activité"} <= met
    assert "cheque-vert-grand-est" not in _fits(
        make_company(STRASBOURG, naf="25.62B", headcount_band="12")
    )  # 20-49
    # 47.91 is excluded only in the conditions written in words (the rules stop at NAF sections): handed over.
    retail = _fits(make_company(STRASBOURG, naf="47.91A", headcount_band="11"))["cheque-vert-grand-est"]
    assert any("47.91" in line for line in retail.to_check)
    assert "cheque-vert-grand-est" not in _fits(make_company("75056", naf="25.62B", headcount_band="11"))


@pytest.mark.django_db
def test_search_by_region_and_words(tee):
    grand_est = set(scheme_search(region="44").values_list("slug", flat=True))
    assert "cheque-vert-grand-est" in grand_est and "soutien-pv-grand-est" in grand_est
    brittany = set(scheme_search(region="53").values_list("slug", flat=True))
    assert "cheque-vert-grand-est" not in brittany
    assert scheme_search(text="cheque vert").filter(slug="cheque-vert-grand-est").exists()
