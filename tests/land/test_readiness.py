"""The readiness score on planted cases: a turnkey site, a site waiting for its grid reinforcement, a bare
field with nothing done, a polluted friche, and a terrain overriding its site's values."""

import datetime as dt
from types import SimpleNamespace

from tandem.land.readiness import (
    EXTENSION_FIELDS,
    NETWORKS,
    PERMITS,
    POLLUTION,
    STUDIES,
    add_months,
    readiness,
    readiness_for_terrain,
)

TODAY = dt.date(2026, 6, 1)
PAST = dt.date(2025, 1, 15)


def turnkey(**overrides) -> dict:
    values = dict.fromkeys(EXTENSION_FIELDS)
    values.update(
        tdm_power_mw=20.0,
        tdm_water_m3h=50.0,
        tdm_wastewater_m3d=300.0,
        tdm_gas=True,
        tdm_plu_zone_type="U",
        tdm_study_fauna_flora_on=PAST,
        tdm_study_wetlands_on=PAST,
        tdm_study_archaeology_on=PAST,
        tdm_study_soil_pollution_on=PAST,
        tdm_study_geotechnics_on=PAST,
        tdm_permit_months=3,
        tdm_appeals_cleared_on=PAST,
    )
    values.update(overrides)
    return values


def test_turnkey_site_scores_100_with_no_block():
    result = readiness(turnkey(), today=TODAY)
    assert result.score == 100
    assert result.blocks == []
    assert result.level == "prêt"
    assert result.ready_on is None
    assert "clé en main : autorisations purgées de tout recours" in result.done


def test_grid_reinforcement_blocks_until_its_date():
    reinforced_on = dt.date(2027, 9, 1)
    result = readiness(turnkey(tdm_power_available_on=reinforced_on), today=TODAY)
    assert result.score == 88  # 100 − 12 points of electricity
    assert [(b.category, b.criterion, b.lifts_on, b.estimated) for b in result.blocks] == [
        (NETWORKS, "power", reinforced_on, False)
    ]
    assert result.ready_on == reinforced_on
    assert result.level == "presque prêt"
    # Once the reinforcement date has passed, the block is gone.
    assert readiness(turnkey(tdm_power_available_on=reinforced_on), today=reinforced_on).score == 100


def test_bare_field_lists_every_block_with_estimated_dates():
    result = readiness(dict.fromkeys(EXTENSION_FIELDS), today=TODAY)
    assert result.score == 15  # only "no known pollution"
    categories = [b.category for b in result.blocks]
    assert (
        categories.count(NETWORKS) == 4 and categories.count(STUDIES) == 5 and categories.count(PERMITS) == 2
    )
    fauna = next(b for b in result.blocks if b.criterion == "fauna_flora")
    assert fauna.lifts_on == dt.date(2027, 6, 1) and fauna.estimated  # four seasons: twelve months
    assert next(b for b in result.blocks if b.criterion == "plu").lifts_on is None
    assert result.ready_on is None  # some blocks have no date
    assert result.level == "long terme"


def test_pollution_and_planning_blocks():
    suspected = readiness(
        turnkey(tdm_study_soil_pollution_on=None), today=TODAY, soil_pollution="pollution supposée"
    )
    block = next(b for b in suspected.blocks if b.category == POLLUTION)
    assert block.lifts_on == add_months(TODAY, 4) and block.estimated
    assert suspected.score == 100 - 5 - 15
    proven = readiness(turnkey(), today=TODAY, soil_pollution="pollution avérée")
    assert [(b.category, b.lifts_on) for b in proven.blocks] == [(POLLUTION, None)]
    treated = readiness(turnkey(), today=TODAY, soil_pollution="pollution traitée")
    assert treated.score == 100
    aus = readiness(
        turnkey(tdm_plu_zone_type="AUs", tdm_appeals_cleared_on=None, tdm_permit_months=14), today=TODAY
    )
    assert aus.score == 100 - 10 - 10 - 5
    assert {b.criterion: b.lifts_on for b in aus.blocks} == {
        "plu": dt.date(2027, 12, 1),
        "permits": dt.date(2027, 8, 1),
    }
    assert aus.ready_on == dt.date(2027, 12, 1)


def test_terrain_values_override_the_site():
    site = SimpleNamespace(**turnkey(tdm_power_mw=2.0))
    terrain = SimpleNamespace(**dict.fromkeys(EXTENSION_FIELDS))
    terrain.tdm_power_mw = None
    terrain.tdm_available_on = dt.date(2026, 12, 1)
    result = readiness_for_terrain(terrain, site, today=TODAY)
    assert result.score == 100
    assert [(b.criterion, b.lifts_on) for b in result.blocks] == [("available_on", dt.date(2026, 12, 1))]
    terrain.tdm_plu_zone_type = "N"
    assert readiness_for_terrain(terrain, site, today=TODAY).score == 90
    assert readiness(turnkey(), today=TODAY).as_dict()["score"] == 100
