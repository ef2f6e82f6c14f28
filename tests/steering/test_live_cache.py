"""The live values of a dashboard are the territory's, computed once per territory and data version and shared
by every reader (`steering.selectors.territory_live_raw`, keyed on `organizations.versions.data_version`):
every table the indicators read must be versioned, a second read makes no computation, whoever the reader,
any write — a terrain sold, a prospect's new preferred EPCI — shows at the next read, and the job worker
computes again the territories read lately after a write."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.land.models import Terrain
from tandem.land.selectors import Territory
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.organizations.versions import VERSION_TABLE, data_version, versioned_tables
from tandem.prospects.models import Prospect
from tandem.steering import registry
from tandem.steering import selectors as sel
from tandem.steering.models import LiveValues
from tandem.steering.registry import Period
from tandem.steering.selectors import live_values
from tandem.territories.models import Perimeter
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
    first = live_values(epci, NOW)
    assert first["land.available_now_ha"] == 7.0  # 5 ha and 2 ha available now (conftest)
    with CaptureQueriesContext(connection) as ctx:
        assert live_values(epci, NOW) == first
    assert len(ctx.captured_queries) == 1  # the data version only

    Terrain.objects.unscoped().filter(pk=land["terrains"]["now_c2"].pk).update(
        terr_stade_comm="vendu, commercialisation achevée"
    )
    assert live_values(epci, NOW)["land.available_now_ha"] == 5.0


def test_a_prospect_s_new_preferred_epci_shows_at_the_next_read(prospects):
    """A many-to-many change (the prospect's preferred EPCI) moves the version on as well."""
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    assert live_values(epci, Q1)["prospects.received"] == 3
    echo = Prospect.objects.unscoped().get(code_name="Projet Echo")  # received in Q1, wanted in Mulhouse
    echo.preferred_epcis.add(b.STRASBOURG)
    assert live_values(epci, Q1)["prospects.received"] == 4


# The tables only the computation of the indicators reads (a page served from the shared values reads none).
COMPUTED_FROM = {"land_terrain", "prospects_prospect", "companies_companyadvisor"}


def _live_cell(html: str, code: str) -> str:
    row = html.split(f'data-indicator="{code}"')[1].split("</tr>")[0]
    return row.split("<td data-live>")[1].split("</td>")[0].strip()


def test_two_readers_of_a_territory_share_one_computation_and_an_outsider_gets_404(
    client, prospects, followup, land
):
    """Two readers of a private perimeter of Strasbourg, with different roles (what the permission layer
    decides on differs): the second is served the first one's computation, from the shared table (as another
    web process would be), with the same numbers; a reader of Mulhouse may not open the perimeter (404) and
    computes nothing."""
    perimeter = Perimeter.objects.create(
        owner=land["stras"], name="Zone portuaire (test)", visibility=Visibility.PRIVATE
    )
    perimeter.communes.set([land["c1"], land["c2"]])
    url = reverse("www:steering:dashboard", args=["perimeter", perimeter.pk])
    sel.LIVE.clear()

    client.force_login(make_member(land["stras"], Role.LECTEUR))
    with CaptureQueriesContext(connection) as first:
        html_1 = client.get(url).content.decode()
    assert COMPUTED_FROM <= _tables(first.captured_queries)  # the first reader computes
    assert _live_cell(html_1, "land.available_now_ha") == "7 ha"  # 5 ha and 2 ha available now

    sel.LIVE.clear()  # the next reader is served by another process: nothing in memory
    client.force_login(make_member(land["stras"], Role.ADMIN))
    with CaptureQueriesContext(connection) as second:
        html_2 = client.get(url).content.decode()
    assert _tables(second.captured_queries) & COMPUTED_FROM == set()
    for code in ("land.available_now_ha", "prospects.received", "companies.followed"):
        assert _live_cell(html_2, code) == _live_cell(html_1, code)
    row = LiveValues.objects.get()
    assert (row.territory_level, row.territory_key) == ("perimeter", str(perimeter.pk))

    client.force_login(make_member(land["mulh"], Role.ADMIN))
    with CaptureQueriesContext(connection) as outside:
        assert client.get(url).status_code == 404
    assert _tables(outside.captured_queries) & COMPUTED_FROM == set()
    assert LiveValues.objects.count() == 1


def test_the_same_numbers_for_every_reader_under_the_small_count_rule(prospects, land):
    """An EPCI reader outside the agency's task forces reads the territory's count of prospects, as the Région
    does (numbers only); a count of one is hidden from everyone though the shared raw value holds it."""
    strasbourg = Territory("epci", b.STRASBOURG, "Strasbourg")
    mulhouse = Territory("epci", b.MULHOUSE, "Mulhouse")
    outsider = Actor.for_user(make_member(land["mulh"], Role.LECTEUR))
    # The reader alone sees none of these prospects (confidential, task force only) …
    assert registry.indicator_value(
        registry.indicator_get("prospects.received"), actor=outsider, territory=strasbourg, period=Q1
    ) == 0
    # … the dashboard's numbers are the territory's: Alpha, Bravo, Charlie received in Q1.
    assert live_values(strasbourg, Q1)["prospects.received"] == 3
    assert sel.territory_live_raw(mulhouse, Q1)["prospects.received"] == 1  # Echo
    assert live_values(mulhouse, Q1)["prospects.received"] is None  # « moins de 3 »


def test_the_worker_computes_again_the_territories_read_lately_after_a_write(land):
    epci = Territory("epci", b.STRASBOURG, "Strasbourg")
    assert live_values(epci, NOW)["land.available_now_ha"] == 7.0
    assert sel.live_values_warm() == 0  # nothing changed: nothing to compute

    Terrain.objects.unscoped().filter(pk=land["terrains"]["now_c2"].pk).update(
        terr_stade_comm="vendu, commercialisation achevée"
    )
    assert sel.live_values_warm() == 1
    row = LiveValues.objects.get(territory_level="epci", territory_key=b.STRASBOURG)
    assert row.data_version == data_version() and row.values["land.available_now_ha"] == 5.0
    sel.LIVE.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert live_values(epci, NOW)["land.available_now_ha"] == 5.0  # the reader computes nothing
    assert _tables(ctx.captured_queries) & COMPUTED_FROM == set()

    # A territory nobody read for longer than the warming window is left to its next reader.
    LiveValues.objects.update(read_at=timezone.now() - dt.timedelta(days=sel.LIVE_WARM_DAYS, hours=1))
    Terrain.objects.unscoped().filter(pk=land["terrains"]["now"].pk).update(
        terr_stade_comm="vendu, commercialisation achevée"
    )
    assert sel.live_values_warm() == 0
