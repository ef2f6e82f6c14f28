"""The live values of a dashboard are remembered until the next write to the data they come from
(`steering.selectors.live_values`, keyed on `organizations.versions.data_version`): every table the indicators
read must be versioned, a second read makes no computation, and any write — a terrain sold, a prospect's
new preferred EPCI — shows at the next read."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.land.models import Terrain
from tandem.land.selectors import Territory
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.organizations.versions import VERSION_TABLE, versioned_tables
from tandem.prospects.models import Prospect
from tandem.steering import registry
from tandem.steering.registry import Period
from tandem.steering.selectors import live_values
from tests.factories import make_member, region_org
from tests.steering import builders as b

pytestmark = pytest.mark.django_db
Q1 = Period(2026, 1)
NOW = Period.of(dt.date.today())


def _tables(queries) -> set[str]:
    return {t for q in queries for t in re.findall(r'(?:FROM|JOIN)\s+"([a-z0-9_]+)"', q["sql"])}


def test_every_table_the_live_values_read_is_versioned(prospects, followup, land):
    reader = Actor.for_user(make_member(region_org(), Role.LECTEUR))
    read = set()
    for territory in (
        Territory("epci", b.STRASBOURG, "Strasbourg"),
        Territory("departement", "67", "Bas-Rhin"),
        Territory("region", "44", "Grand Est"),
    ):
        with CaptureQueriesContext(connection) as ctx, registry.evaluation():
            for item in registry.indicators(territory=territory):
                registry.indicator_value(item, actor=reader, territory=territory, period=Q1)
        read |= _tables(ctx.captured_queries)
    assert {"land_terrain", "prospects_prospect", "companies_companyadvisor"} <= read
    # The version table itself is the caches' key, read by selectors that cache on it, not data.
    assert read - set(versioned_tables()) - {VERSION_TABLE} == set()


def test_a_second_read_is_served_from_memory_and_a_write_shows_at_once(prospects, followup, land):
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    reader = Actor.for_user(make_member(region_org(), Role.LECTEUR))
    first = live_values(reader, epci, NOW)
    assert first["land.available_now_ha"] == 7.0  # 5 ha and 2 ha available now (conftest)
    with CaptureQueriesContext(connection) as ctx:
        assert live_values(reader, epci, NOW) == first
    assert len(ctx.captured_queries) == 1  # the data version only

    Terrain.objects.unscoped().filter(pk=land["terrains"]["now_c2"].pk).update(
        terr_stade_comm="vendu, commercialisation achevée"
    )
    assert live_values(reader, epci, NOW)["land.available_now_ha"] == 5.0


def test_a_prospect_s_new_preferred_epci_shows_at_the_next_read(prospects):
    """A many-to-many change (the prospect's preferred EPCI) moves the version on as well."""
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    lead = Actor.for_user(prospects["lead"])  # in the task force of every prospect of the agency
    assert live_values(lead, epci, Q1)["prospects.received"] == 3
    echo = Prospect.objects.unscoped().get(code_name="Projet Echo")  # received in Q1, wanted in Mulhouse
    echo.preferred_epcis.add(b.STRASBOURG)
    assert live_values(lead, epci, Q1)["prospects.received"] == 4
