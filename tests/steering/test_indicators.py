"""Each steering indicator on a hand-built territory equals the figure written down by hand; frozen snapshots
do not move when the data is edited afterwards; small counts are hidden; every territory kind resolves."""

import datetime as dt

import pytest

from tandem.core.errors import NotAllowed
from tandem.land.selectors import Territory, territory_resolve
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.steering import registry
from tandem.steering.models import IndicatorSnapshot
from tandem.steering.registry import Period
from tandem.steering.services import snapshot_correct, snapshot_take
from tandem.territories.models import Commune, Perimeter
from tests.factories import make_member, region_org
from tests.steering import builders as b

pytestmark = pytest.mark.django_db
Q1 = Period(2026, 1)
TODAY = dt.date.today()
NOW = Period.of(TODAY)


def value(code, actor, territory, period):
    return registry.indicator_value(
        registry.indicator_get(code), actor=actor, territory=territory, period=period
    )


def test_registry_declares_the_indicators_of_main_with_french_labels():
    codes = {i.code for i in registry.indicators()}
    expected = {
        "land.available_now_ha",
        "land.available_short_ha",
        "land.available_medium_ha",
        "land.activity_consumed_since_2021_ha",
        "land.starest_sites",
        "prospects.received",
        "prospects.proposals",
        "prospects.won",
        "prospects.lost",
        "prospects.won_jobs",
        "prospects.won_investment_eur",
        "prospects.plan_500_received",
        "companies.followed",
        "companies.referent_share_pct",
        "companies.exchanges",
        "companies.needs_opened",
        "companies.needs_closed_in_time_pct",
        "companies.parcours",
        "eit.synergies_realised",
        "eit.tonnes",
        "eit.mwh",
        "eit.co2e_t",
    }
    assert expected <= codes
    for item in registry.indicators():
        assert item.code.split(".")[0] == item.source
        assert item.unit in registry.UNITS and item.definition and item.kinds <= registry.ALL_KINDS
        # A sentence for people: no code, no underscore, capitalised.
        assert item.label[0].isupper() and "_" not in item.label and "." not in item.label


def test_period_parses_and_bounds_a_quarter():
    period = Period.parse("2026-T3")
    assert (period.start, period.end, period.label) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "T3 2026")
    assert Period(2026, 1).previous() == Period(2025, 4) and Period(2025, 4).next() == Period(2026, 1)
    with pytest.raises(ValueError, match="2026-T3"):
        Period.parse("T5")


def test_land_indicators_per_territory_kind(land):
    system = Actor.system_actor()
    epci = territory_resolve(system, level="epci", key=b.STRASBOURG)
    region = territory_resolve(system, level="region", key="44")
    dep = territory_resolve(system, level="departement", key="67")
    assert value("land.available_now_ha", system, epci, NOW) == 7.0
    assert value("land.available_short_ha", system, epci, NOW) == 3.0
    assert value("land.available_medium_ha", system, epci, NOW) == 6.0
    assert value("land.available_now_ha", system, region, NOW) == 11.0
    assert value("land.available_now_ha", system, dep, NOW) == 7.0
    assert value("land.starest_sites", system, region, NOW) == 2
    # Zone d'emploi: the planted terrains whose commune lies in it, summed here by hand.
    zone = Commune.objects.get(pk=land["c1"]).zone_emploi_id
    expected = sum(
        surface
        for commune, surface in [(land["c1"], 5.0), (land["c2"], 2.0), (land["m1"], 4.0)]
        if Commune.objects.get(pk=commune).zone_emploi_id == zone
    )
    ze = territory_resolve(system, level="zone_emploi", key=zone)
    assert registry.territory_kind(ze) == "zone_emploi"
    assert value("land.available_now_ha", system, ze, NOW) == expected
    # A Territoire d'industrie (ANCT perimeter) holding the first commune only.
    perimeter = Perimeter.objects.create(
        owner=region_org(),
        name="TI de test",
        kind=Perimeter.Kind.TERRITOIRE_INDUSTRIE,
        visibility=Visibility.NETWORK,
    )
    perimeter.communes.set([land["c1"]])
    ti = territory_resolve(system, level="perimeter", key=str(perimeter.pk))
    assert registry.territory_kind(ti) == "territoire_industrie"
    assert value("land.available_now_ha", system, ti, NOW) == 5.0


def test_live_land_values_only_count_what_the_reader_sees(land):
    region = Territory("region", "44", "Grand Est")
    stras_reader = Actor.for_user(make_member(land["stras"], Role.LECTEUR))
    # Mulhouse's private terrain (4 ha) is not the Strasbourg reader's: 7 of 11 ha.
    assert value("land.available_now_ha", stras_reader, region, NOW) == 7.0
    assert value("land.starest_sites", stras_reader, region, NOW) == 1


def test_prospect_indicators_of_a_quarter(prospects):
    system = Actor.system_actor()
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    assert value("prospects.received", system, epci, Q1) == 3
    assert value("prospects.plan_500_received", system, epci, Q1) == 3
    assert value("prospects.proposals", system, epci, Q1) == 3
    assert value("prospects.won", system, epci, Q1) == 3
    assert value("prospects.won_jobs", system, epci, Q1) == 100
    assert value("prospects.won_investment_eur", system, epci, Q1) == 1_750_000
    # One project lost: a count of one is hidden, never shown as « 1 ».
    assert value("prospects.lost", system, epci, Q1) is None
    mulhouse = Territory("epci", b.MULHOUSE, "Mulhouse")
    assert value("prospects.received", system, mulhouse, Q1) is None  # one: hidden


def test_confidential_prospects_count_for_pipeline_readers_only(prospects, land):
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    region_reader = Actor.for_user(make_member(region_org(), Role.LECTEUR))
    epci_reader = Actor.for_user(make_member(land["stras"], Role.CONTRIBUTEUR))
    assert value("prospects.received", region_reader, epci, Q1) == 3
    # The EPCI is in no task force: it sees none of these confidential prospects, so counts nothing.
    assert value("prospects.received", epci_reader, epci, Q1) == 0
    assert value("prospects.received", Actor.for_user(prospects["lead"]), epci, Q1) == 3


def test_followup_indicators_of_a_quarter(followup):
    system = Actor.system_actor()
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    assert value("companies.followed", system, epci, Q1) == 4
    assert value("companies.referent_share_pct", system, epci, Q1) == 50.0
    assert value("companies.exchanges", system, epci, Q1) == 3
    assert value("companies.needs_opened", system, epci, Q1) == 4
    assert value("companies.needs_closed_in_time_pct", system, epci, Q1) == 75.0
    assert value("companies.parcours", system, epci, Q1) == 3
    region = Territory("region", "44", "Grand Est")
    item = registry.indicator_get("companies.parcours")
    assert item.target_for(region) == 1500 and item.target_for(epci) is None


def test_a_snapshot_stays_frozen_and_a_correction_is_a_new_version(land):
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    taken = snapshot_take(territory=epci, period=NOW)
    assert taken == len(registry.indicators(territory=epci))
    assert snapshot_take(territory=epci, period=NOW) == 0  # already frozen: nothing retaken
    frozen = IndicatorSnapshot.objects.get(indicator="land.available_now_ha", territory_key=b.STRASBOURG)
    assert frozen.value == 7.0
    terrain = land["terrains"]["now"]
    type(terrain).objects.unscoped().filter(pk=terrain.pk).update(terr_stade_comm="vendu, commercialisation achevée")
    assert value("land.available_now_ha", Actor.system_actor(), epci, NOW) == 2.0
    frozen.refresh_from_db()
    assert frozen.value == 7.0 and frozen.is_current
    with pytest.raises(NotAllowed):
        snapshot_correct(
            actor=Actor.for_user(make_member(land["stras"], Role.ADMIN)),
            snapshot=frozen,
            reason="vente oubliée",
        )
    region_admin = Actor.for_user(make_member(region_org(), Role.ADMIN))
    corrected = snapshot_correct(actor=region_admin, snapshot=frozen, reason="vente oubliée")
    frozen.refresh_from_db()
    assert (corrected.version, corrected.value, corrected.reason, corrected.is_current) == (
        2,
        2.0,
        "vente oubliée",
        True,
    )
    assert frozen.value == 7.0 and not frozen.is_current


def test_the_quarterly_job_freezes_the_quarter_just_ended_for_the_followed_regions(land):
    from tandem.steering.tasks import snapshots_take_job

    region_org("94")  # a Région organisation for Corse (small: a cheap run): its territories are followed
    april_first = dt.datetime(2026, 4, 1, 3, 15, tzinfo=dt.UTC).timestamp()
    snapshots_take_job(int(april_first))
    frozen = IndicatorSnapshot.objects.filter(year=2026, quarter=1)
    assert {"region", "departement", "epci"} <= set(frozen.values_list("territory_level", flat=True))
    assert set(frozen.filter(territory_level="departement").values_list("territory_key", flat=True)) == {
        "2A",
        "2B",
    }
    assert frozen.get(indicator="land.available_now_ha", territory_level="region").value == 0.0
    # Grand Est has no Région organisation here: not followed, nothing frozen there.
    assert not frozen.filter(territory_key__in=["44", b.STRASBOURG]).exists()
    assert not IndicatorSnapshot.objects.exclude(year=2026, quarter=1).exists()
