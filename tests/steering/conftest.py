"""Fixtures of the steering tests: one hand-built territory (land, prospects, follow-up)."""

import datetime as dt

import pytest

from tandem.organizations.models import Role, Visibility
from tests.factories import communes_of, epci_org, make_member, other_org
from tests.land.inventory_builders import make_site, make_terrain
from tests.steering import builders as b

TODAY = dt.date.today()


@pytest.fixture
def land():
    stras = epci_org(b.STRASBOURG)
    mulh = epci_org(b.MULHOUSE)
    c1, c2 = communes_of(b.STRASBOURG)[:2]
    m1 = communes_of(b.MULHOUSE)[0]
    site = make_site(stras, c1, tdm_labels=["STAR'EST"], visibility=Visibility.REGION)
    site2 = make_site(stras, c2, visibility=Visibility.REGION)
    msite = make_site(mulh, m1, tdm_labels=["STAR'EST"], visibility=Visibility.PRIVATE)
    terrains = {
        "now": make_terrain(site, 5.0),
        "now_c2": make_terrain(site2, 2.0),
        "short": make_terrain(site, 3.0, tdm_available_on=TODAY + dt.timedelta(days=200)),
        "medium": make_terrain(
            site, 6.0, terr_stade_amngt="non aménagé, non viabilisé", terr_maitrise_fonc="personne physique"
        ),
        "sold": make_terrain(site, 1.0, terr_stade_comm="vendu, commercialisation achevée"),
        "mulhouse": make_terrain(msite, 4.0),
    }
    return {"stras": stras, "mulh": mulh, "c1": c1, "c2": c2, "m1": m1, "terrains": terrains}


@pytest.fixture
def prospects(land):
    agency = other_org("agence_investissement", commune_codes=[land["c1"]])
    lead = make_member(agency, Role.CONTRIBUTEUR)
    p1 = b.make_prospect(
        agency,
        "Projet Alpha",
        created=dt.date(2026, 2, 10),
        members=[lead],
        plan_500=True,
        jobs_at_three_years=50,
        investment_eur=1_000_000,
    )
    p2 = b.make_prospect(
        agency,
        "Projet Bravo",
        created=dt.date(2026, 1, 5),
        members=[lead],
        plan_500=True,
        jobs_at_three_years=30,
        investment_eur=500_000,
    )
    p3 = b.make_prospect(agency, "Projet Charlie", created=dt.date(2026, 2, 1), members=[lead], plan_500=True)
    p4 = b.make_prospect(
        agency,
        "Projet Delta",
        created=dt.date(2025, 12, 1),
        members=[lead],
        jobs_at_three_years=20,
        investment_eur=250_000,
    )
    b.make_prospect(agency, "Projet Echo", epcis=(b.MULHOUSE,), created=dt.date(2026, 2, 2), members=[lead])
    b.set_status(p1, "won", dt.date(2026, 3, 1))
    b.set_status(p2, "won", dt.date(2026, 3, 20))
    b.set_status(p4, "won", dt.date(2026, 2, 2))
    b.set_status(p3, "lost", dt.date(2026, 3, 15))
    site = make_site(land["stras"], land["c1"], visibility=Visibility.REGION)
    for day in (dt.date(2026, 1, 20), dt.date(2026, 2, 20), dt.date(2026, 3, 30)):
        b.make_proposal(p1, land["stras"], site, day)
    b.make_proposal(p1, land["stras"], site, dt.date(2026, 4, 2))  # next quarter
    return {"agency": agency, "lead": lead}


@pytest.fixture
def followup(land):
    owner = land["stras"]
    user = make_member(owner, Role.CONTRIBUTEUR)
    c1 = land["c1"]
    a1 = b.follow(owner, user, c1)
    b.follow(owner, user, c1, role="co_advisor")
    b.follow(owner, user, c1, since=dt.date(2025, 6, 1))
    b.follow(owner, user, c1, role="co_advisor")
    b.follow(owner, user, c1, until=dt.date(2025, 12, 31))  # handed over before the quarter ended
    b.follow(owner, user, c1, since=dt.date(2026, 4, 10))  # after the quarter
    company = a1.company
    for day in (dt.date(2026, 1, 3), dt.date(2026, 2, 3), dt.date(2026, 3, 31), dt.date(2026, 4, 1)):
        b.make_exchange(owner, company, c1, day)
    b.make_need(
        owner, company, c1, created=dt.date(2026, 1, 2), due=dt.date(2026, 2, 1), closed=dt.date(2026, 1, 30)
    )
    b.make_need(
        owner, company, c1, created=dt.date(2026, 1, 2), due=dt.date(2026, 2, 1), closed=dt.date(2026, 2, 1)
    )
    b.make_need(owner, company, c1, created=dt.date(2026, 2, 2), due=None, closed=dt.date(2026, 3, 1))
    b.make_need(
        owner, company, c1, created=dt.date(2026, 3, 2), due=dt.date(2026, 3, 5), closed=dt.date(2026, 3, 20)
    )
    b.make_need(owner, company, c1, created=dt.date(2025, 11, 2), due=dt.date(2026, 3, 5))  # still open
    for day in (dt.date(2025, 6, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 31), dt.date(2026, 5, 1)):
        b.make_journey(owner, b.make_company(c1), c1, day)
    return {"user": user}
