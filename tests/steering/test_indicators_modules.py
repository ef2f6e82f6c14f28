"""The steering indicators of the modules merged after steering (decarbonation, need routing, skills, EIT
estimated potential), each on hand-built data against figures written down by hand here."""

import datetime as dt

import pytest
from django.utils import timezone

from tandem.catalogue.models import NeedRouting
from tandem.companies.models import CompanyProject
from tandem.decarbonation.models import EmissionRecord, Installation, MajorEmitter
from tandem.eit.models import EstimatedFlow, WasteCode
from tandem.land.selectors import Territory, territory_resolve
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects.models import BmoBasin, BmoJob
from tandem.skills.models import SkillAction
from tandem.steering import registry
from tandem.steering.registry import Period
from tandem.territories.models import Commune, Perimeter
from tests.companies.followup_builders import make_company, make_establishment
from tests.factories import communes_of, epci_org, make_member, other_org, region_org
from tests.steering import builders as b

pytestmark = pytest.mark.django_db
Q1 = Period(2026, 1)
SYSTEM = Actor.system_actor()
REGION = Territory("region", "44", "Grand Est")
STRAS = Territory("epci", b.STRASBOURG, "Strasbourg")
MULH = Territory("epci", b.MULHOUSE, "Mulhouse")


def value(code, actor, territory, period=Q1):
    return registry.indicator_value(
        registry.indicator_get(code), actor=actor, territory=territory, period=period
    )


def test_the_merged_modules_declare_their_indicators():
    codes = {i.code for i in registry.indicators()}
    assert {
        "decarbonation.emissions_kt",
        "decarbonation.reduction_kt",
        "decarbonation.trajectory_gap_kt",
        "decarbonation.sites_major",
        "decarbonation.sites_ets",
        "decarbonation.sites_diffuse",
        "catalogue.needs_routed",
        "catalogue.answered_in_time_pct",
        "catalogue.routings_closed",
        "skills.bmo_projects",
        "skills.bmo_difficult_pct",
        "skills.flagged_gaps",
        "skills.actions",
        "eit.estimated_potential_t",
        "eit.estimated_establishments",
    } <= codes
    # Skills figures exist for zones d'emploi, EPCI and départements only.
    assert registry.indicator_get("skills.bmo_projects").kinds == {"zone_emploi", "epci", "departement"}
    assert registry.indicator_get("decarbonation.emissions_kt").unit_label == "ktCO2e"


# --- decarbonation ------------------------------------------------------------------------------------------


def _installation(name, commune):
    dep = Commune.objects.get(pk=commune).departement_id
    return Installation.objects.create(name=name, commune_id=commune, departement_code=dep)


def _emissions(installation, source, values):
    variant = "verified" if source == "eutl" else "non_biomass"
    for year, tonnes in values.items():
        EmissionRecord.objects.create(
            installation=installation,
            year=year,
            source=source,
            variant=variant,
            value_t=tonnes,
            retained=True,
        )


@pytest.fixture
def emitters():
    c1, c2 = communes_of(b.STRASBOURG)[:2]
    m1 = communes_of(b.MULHOUSE)[0]
    big = _installation("Aciérie fictive", c1)
    _emissions(big, "eutl", {2019: 900_000, 2022: 700_000})
    ets = _installation("Papeterie fictive", c1)
    _emissions(ets, "eutl", {2019: 300_000, 2022: 250_000})
    declared = _installation("Fonderie fictive", c1)  # declared to IREP, not verified: diffus
    _emissions(declared, "irep", {2019: 50_000, 2022: 40_000})
    _installation("Atelier fictif", c2)  # no figure: diffus
    mulhouse = _installation("Chimie fictive", m1)
    _emissions(mulhouse, "eutl", {2019: 100_000, 2022: 60_000})
    region = region_org()
    MajorEmitter.objects.create(region_id="44", installation=big, owner=region)
    return {"c1": c1, "region": region}


def test_decarbonation_indicators_of_a_region_and_an_epci(emitters):
    # Last year known in Q1 2026: 2022. Region: 700 + 250 + 40 + 60 kt; 2019: 900 + 300 + 50 + 100 = 1,350 kt.
    assert value("decarbonation.emissions_kt", SYSTEM, REGION) == 1050.0
    assert value("decarbonation.reduction_kt", SYSTEM, REGION) == 300.0
    # Straight line from 2019 to −5,300 kt in 2030: in 2022, 1,350 − 5,300 × 3/11 = −95.45 kt (the diffuse
    # estimate is added to both years alike); measured 1,050 kt → 1,145.45 kt above the line.
    assert value("decarbonation.trajectory_gap_kt", SYSTEM, REGION) == 1145.45
    item = registry.indicator_get("decarbonation.reduction_kt")
    assert item.target_for(REGION) == 5300.0 and item.target_for(STRAS) is None
    assert value("decarbonation.sites_major", SYSTEM, REGION) == 1
    assert value("decarbonation.sites_ets", SYSTEM, REGION) == 2
    assert value("decarbonation.sites_diffuse", SYSTEM, REGION) == 2
    # Strasbourg: the three sites of its first commune and the one without figures.
    assert value("decarbonation.emissions_kt", SYSTEM, STRAS) == 990.0
    assert value("decarbonation.reduction_kt", SYSTEM, STRAS) == 260.0
    sites = [value(f"decarbonation.sites_{s}", SYSTEM, STRAS) for s in ("major", "ets", "diffuse")]
    assert sites == [1, 1, 2]
    assert value("decarbonation.emissions_kt", SYSTEM, MULH) == 60.0
    # Registry data is public: a count of one site is shown, to any reader.
    reader = Actor.for_user(make_member(epci_org(b.MULHOUSE), Role.LECTEUR))
    assert value("decarbonation.sites_major", reader, STRAS) == 1
    # In 2021 the last year known is 2019: no reduction yet.
    assert value("decarbonation.emissions_kt", SYSTEM, REGION, Period(2021, 4)) == 1350.0
    assert value("decarbonation.reduction_kt", SYSTEM, REGION, Period(2021, 4)) == 0.0
    assert value("decarbonation.emissions_kt", SYSTEM, REGION, Period(2018, 4)) is None


def test_decarbonation_indicators_of_a_territoire_d_industrie(emitters):
    perimeter = Perimeter.objects.create(
        owner=emitters["region"],
        name="TI de test",
        kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE,
        visibility=Visibility.NETWORK,
    )
    perimeter.communes.set([emitters["c1"]])
    ti = territory_resolve(SYSTEM, level="perimeter", key=str(perimeter.pk))
    assert registry.territory_kind(ti) == "territoire_industrie"
    assert value("decarbonation.emissions_kt", SYSTEM, ti) == 990.0
    assert value("decarbonation.sites_diffuse", SYSTEM, ti) == 1


# --- need routing -------------------------------------------------------------------------------------------


@pytest.fixture
def routings():
    stras = epci_org(b.STRASBOURG)
    partner = other_org("agence_investissement")
    c1 = communes_of(b.STRASBOURG)[0]
    m1 = communes_of(b.MULHOUSE)[0]

    def need(commune):
        company = make_company(commune)
        return b.make_need(stras, company, commune, created=dt.date(2026, 1, 2))

    def route(n, sent, *, closed=None, status="sent", answered=None):
        return NeedRouting.objects.create(
            owner=stras,
            visibility=Visibility.PRIVATE,
            need=n,
            company=n.company,
            commune_id=n.commune_id,
            partner=partner,
            sent_on=sent,
            answered_on=answered,
            closed_on=closed,
            status=status,
        )

    n1, n2, n3, n4, n6 = need(c1), need(c1), need(c1), need(c1), need(m1)
    route(n1, dt.date(2026, 1, 10), closed=dt.date(2026, 2, 1), status="closed")  # 22 days: in time
    route(n1, dt.date(2026, 1, 10), closed=dt.date(2026, 3, 10), status="refused")  # 59 days: late
    route(n2, dt.date(2026, 2, 15))  # still open
    route(n3, dt.date(2026, 3, 1), answered=dt.date(2026, 3, 5), closed=dt.date(2026, 4, 10), status="closed")
    route(n4, dt.date(2025, 12, 20), closed=dt.date(2026, 1, 5), status="closed")  # previous quarter
    route(n6, dt.date(2026, 2, 1))  # Mulhouse
    return {"stras": stras}


def test_routing_indicators_of_a_quarter(routings):
    # Strasbourg, Q1 2026: needs n1, n2, n3; 4 routings, 2 closed within 45 days, 3 with a closing date.
    assert value("catalogue.needs_routed", SYSTEM, STRAS) == 3
    assert value("catalogue.answered_in_time_pct", SYSTEM, STRAS) == 50.0
    assert value("catalogue.routings_closed", SYSTEM, STRAS) == 3
    # Region: Mulhouse's routing too (5 routings, 2 in time).
    assert value("catalogue.needs_routed", SYSTEM, REGION) == 4
    assert value("catalogue.answered_in_time_pct", SYSTEM, REGION) == 40.0
    # Mulhouse: one need, a count of one is hidden; under 3 routings no share is given.
    assert value("catalogue.needs_routed", SYSTEM, MULH) is None
    assert value("catalogue.answered_in_time_pct", SYSTEM, MULH) is None
    # Q4 2025: one routing only.
    assert value("catalogue.routings_closed", SYSTEM, STRAS, Period(2025, 4)) is None
    # Live values over what the reader sees: the routings are private to Strasbourg.
    owner_reader = Actor.for_user(make_member(routings["stras"], Role.LECTEUR))
    outsider = Actor.for_user(make_member(epci_org(b.MULHOUSE), Role.LECTEUR))
    assert value("catalogue.needs_routed", owner_reader, STRAS) == 3
    assert value("catalogue.needs_routed", outsider, STRAS) == 0


# --- skills -------------------------------------------------------------------------------------------------


@pytest.fixture
def hiring():
    basin = BmoBasin.objects.create(code="9901", name="Bassin fictif")
    for dep, job, projects, difficult in [
        ("67", "A1Z40", 100, 60),
        ("67", "B2Z41", 50, 10),
        ("67", "C3Z42", None, None),  # statistical secret
        ("68", "A1Z40", 30, 30),
    ]:
        BmoJob.objects.create(
            year=2024, basin=basin, departement=dep, job_code=job, job_name=f"Métier {job}", family_code="A1",
            family_label="Famille fictive", projects=projects, difficult=difficult,
        )  # fmt: skip
    stras = epci_org(b.STRASBOURG)
    c1 = communes_of(b.STRASBOURG)[0]
    for job, jobs in [("A1Z40", 10), ("B2Z41", 5), ("C3Z42", 4), ("D4Z43", 3)]:
        CompanyProject.objects.create(
            owner=stras, visibility=Visibility.PRIVATE, company=make_company(c1), commune_id=c1,
            kind=CompanyProject.Kind.RECRUITMENT, title=f"Recrutement {job}", jobs=jobs, job_code=job,
        )  # fmt: skip
    for status, dep in [("planned", "67"), ("running", "67"), ("done", "67"), ("planned", "68")]:
        SkillAction.objects.create(
            owner=stras, visibility=Visibility.PRIVATE, territory_kind="dep", territory_code=dep,
            job_code="A1Z40", job_label="Métier A1Z40", kind="training", status=status,
        )  # fmt: skip
    return {"stras": stras}


def test_skills_indicators_of_a_departement(hiring):
    dep = Territory("departement", "67", "Bas-Rhin")
    # Published cells of the 67: 100 + 50 projects, 60 + 10 difficult → 46.7 %.
    assert value("skills.bmo_projects", SYSTEM, dep) == 150
    assert value("skills.bmo_difficult_pct", SYSTEM, dep) == 46.7
    # Flagged: A1Z40 (60 % difficult), C3Z42 (secret), D4Z43 (not in the survey); not B2Z41 (20 %, 5 < 10).
    assert value("skills.flagged_gaps", SYSTEM, dep) == 3
    assert value("skills.actions", SYSTEM, dep) == 3
    dep68 = Territory("departement", "68", "Haut-Rhin")
    assert value("skills.bmo_difficult_pct", SYSTEM, dep68) == 100.0
    assert value("skills.actions", SYSTEM, dep68) is None  # one action: hidden
    # The needs and actions are Strasbourg's, private: another reader counts none of them.
    outsider = Actor.for_user(make_member(epci_org(b.MULHOUSE), Role.LECTEUR))
    assert value("skills.flagged_gaps", outsider, dep) == 0 and value("skills.actions", outsider, dep) == 0
    assert value("skills.bmo_projects", outsider, dep) == 150  # public statistics
    # The skills module has no région figures: the indicator does not apply.
    assert value("skills.bmo_projects", SYSTEM, REGION) is None
    assert not registry.indicator_get("skills.bmo_projects").applies_to(REGION)


# --- EIT estimated potential --------------------------------------------------------------------------------


def test_eit_estimated_potential(db):
    c1, c2 = communes_of(b.STRASBOURG)[:2]
    m1 = communes_of(b.MULHOUSE)[0]
    WasteCode.objects.create(code="19", level="chapter", label_fr="Déchets des installations de traitement")
    WasteCode.objects.create(code="1901", level="subchapter", label_fr="Déchets de l'incinération")
    WasteCode.objects.create(
        code="1902", level="subchapter", label_fr="Déchets des traitements physico-chimiques"
    )
    e1 = make_company(c1).establishments.get()
    e2 = make_company(c2).establishments.get()
    e3 = make_establishment(e1.company, c1, nic="00029")
    e4 = make_company(m1).establishments.get()
    for est, ewc, tonnes, direction in [
        (e1, "1901", 100.0, "offer"),
        (e1, "1902", 50.0, "offer"),
        (e2, "1901", 30.0, "offer"),
        (e3, "1902", 20.0, "offer"),
        (e1, "1901", 999.0, "need"),  # a need, not a deposit
        (e4, "1901", 40.0, "offer"),
    ]:
        EstimatedFlow.objects.create(
            establishment=est, commune_id=est.commune_id, direction=direction, kind="material", ewc_id=ewc,
            quantity=tonnes, confidence=0.3, naf="25.62B", factor_source="facteurs de test",
            computed_at=timezone.now(),
        )  # fmt: skip
    assert value("eit.estimated_potential_t", SYSTEM, STRAS) == 200.0
    assert value("eit.estimated_establishments", SYSTEM, STRAS) == 3
    assert value("eit.estimated_potential_t", SYSTEM, REGION) == 240.0
    assert value("eit.estimated_establishments", SYSTEM, REGION) == 4
    assert value("eit.estimated_establishments", SYSTEM, MULH) is None  # one establishment: hidden
    # Estimates are shown to the territory's EIT facilitators and référents only: a plain reader counts none.
    reader = Actor.for_user(make_member(epci_org(b.MULHOUSE), Role.LECTEUR))
    assert value("eit.estimated_potential_t", reader, STRAS) == 0.0
