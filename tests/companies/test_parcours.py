"""Parcours de Transformation: moving through the steps, aid, indicators by year, territory and step."""

from datetime import date
from decimal import Decimal

import pytest

from tandem.companies.models import ParcoursJourney, ParcoursStep, SolutionProvider
from tandem.companies.parcours import (
    TARGET_COMPANIES,
    parcours_close,
    parcours_indicators,
    parcours_step_move,
    parcours_step_update,
    provider_create,
)
from tandem.core.errors import NotAllowed, UserError
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import communes_of, epci_org, make_member, region_org

pytestmark = pytest.mark.django_db

S, D, M, W = "1_sensibilisation", "2_diagnostic", "3_modules", "4_mise_en_oeuvre"


@pytest.fixture
def setup():
    sxb = epci_org("246700488")
    mul = epci_org("200066009")
    region = region_org()
    return {
        "sxb": sxb,
        "mul": mul,
        "sxb_actor": Actor.for_user(make_member(sxb)),
        "mul_actor": Actor.for_user(make_member(mul)),
        "region_actor": Actor.for_user(make_member(region)),
    }


def test_moving_through_the_steps_dates_each_one(setup):
    a = setup["sxb_actor"]
    company = make_company("67482")
    journey = parcours_step_move(actor=a, company=company, step=S, owner=setup["sxb"], on=date(2025, 1, 10))
    assert journey.visibility == "region" and journey.entered_on == date(2025, 1, 10)
    parcours_step_move(actor=a, company=company, step=D, on=date(2025, 3, 1))
    with pytest.raises(UserError, match="déjà"):
        parcours_step_move(actor=a, company=company, step=S, on=date(2025, 3, 2))
    steps = list(journey.steps.order_by("step").values_list("step", "status", "started_on", "completed_on"))
    assert steps == [
        (S, "done", date(2025, 1, 10), date(2025, 3, 1)),
        (D, "in_progress", date(2025, 3, 1), None),
    ]
    journey.refresh_from_db()
    assert journey.current_step == D


def test_another_epci_cannot_move_a_journey(setup):
    company = make_company("67482")
    parcours_step_move(actor=setup["sxb_actor"], company=company, step=S, owner=setup["sxb"])
    with pytest.raises(NotAllowed):
        parcours_step_move(actor=setup["mul_actor"], company=company, step=D)


def test_aid_and_provider_register(setup):
    with pytest.raises(NotAllowed, match="Région"):
        provider_create(actor=setup["sxb_actor"], name="Cabinet fictif", domain="industrie")
    provider = provider_create(actor=setup["region_actor"], name="Cabinet fictif", domain="industrie")
    company = make_company("67482")
    parcours_step_move(
        actor=setup["sxb_actor"], company=company, step=M, owner=setup["sxb"], on=date(2025, 2, 1)
    )
    step = ParcoursStep.objects.get()
    parcours_step_update(
        actor=setup["sxb_actor"],
        step=step,
        provider=provider,
        aid_granted=True,
        aid_label="Diagnostic",
        aid_amount_eur=Decimal("12500"),
    )
    step.refresh_from_db()
    assert step.provider == provider and step.aid_amount_eur == Decimal("12500.00")
    assert SolutionProvider.objects.get().steps.count() == 1


def test_indicators_count_years_territories_conversion_and_durations(setup):
    a = setup["sxb_actor"]
    on = date(2026, 6, 30)
    sxb_communes = communes_of("246700488")
    # Five journeys in Strasbourg: 5 reach step 1, 3 reach step 2, 1 reaches step 3.
    plan = [
        (date(2024, 3, 1), [(D, date(2024, 4, 1)), (M, date(2024, 6, 1))]),
        (date(2025, 1, 1), [(D, date(2025, 1, 21))]),
        (date(2025, 5, 1), [(D, date(2025, 6, 10))]),
        (date(2025, 9, 1), []),
        (date(2026, 2, 1), []),
    ]
    for index, (entered, moves) in enumerate(plan):
        company = make_company(sxb_communes[index])
        parcours_step_move(actor=a, company=company, step=S, owner=setup["sxb"], on=entered)
        for step, when in moves:
            parcours_step_move(actor=a, company=company, step=step, on=when)
    abandoned = ParcoursJourney.objects.unscoped().order_by("entered_on").last()
    parcours_close(actor=a, journey=abandoned, status="abandoned", on=date(2026, 3, 1))
    # A private journey of Mulhouse is not counted by the Région.
    mul_company = make_company(communes_of("200066009")[0])
    journey = parcours_step_move(
        actor=setup["mul_actor"], company=mul_company, step=S, owner=setup["mul"], on=on
    )
    journey.visibility = "private"
    journey.save()

    ind = parcours_indicators(actor=setup["region_actor"], on=on)
    assert ind.total == 5 and ind.active == 4 and ind.target == TARGET_COMPANIES
    assert ind.by_year == [
        {"year": 2024, "companies": 1},
        {"year": 2025, "companies": 3},
        {"year": 2026, "companies": 1},
    ]
    assert ind.by_departement == [{"code": "67", "name": "Bas-Rhin", "companies": 5}]
    assert ind.by_epci[0]["siren"] == "246700488" and ind.by_epci[0]["companies"] == 5
    steps = {row["step"]: row for row in ind.steps}
    assert [steps[k]["reached"] for k in (S, D, M, W)] == [5, 3, 1, 0]
    assert steps[S]["conversion_pct"] is None
    assert steps[D]["conversion_pct"] == 60.0 and steps[M]["conversion_pct"] == 33.3
    # Sensibilisation done in 31, 20 and 40 days: 30.3 on average; the abandoned one lasted 28 days.
    assert steps[S]["avg_days_done"] == 30.3
    assert ind.progress_pct == round(100 * 5 / 1500, 1)
    assert ind.needed_per_year == -(-(1500 - 5) // 5)
    # Mulhouse sees only its own journey.
    assert parcours_indicators(actor=setup["mul_actor"], on=on).total == 1
