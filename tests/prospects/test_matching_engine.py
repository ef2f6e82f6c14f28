"""The pure matching engine on planted cases, property tests, and agreement with the row-wise reference."""

import subprocess
import sys
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.prospects.matching import (
    CRITERIA,
    KIND_FRICHE,
    KIND_SITE,
    Candidates,
    MatchingInputError,
    Requirements,
    match,
)
from tandem.prospects.matching.criteria import DEFAULT_THRESHOLDS, surface_value
from tests.prospects.rowwise import match_rowwise

TODAY = date(2026, 11, 26)
NEEDED = date(2028, 1, 1)


def terrain(id, surface_ha, **extra):
    return {
        "id": id,
        "name": f"Terrain {id}",
        "epci": "200000001",
        "site_id": 1,
        "surface_ha": surface_ha,
    } | extra


def by_key(ranking, include_excluded=True):
    return {r["id"]: r for r in ranking.results(limit=1000, include_excluded=include_excluded)}


def test_engine_imports_no_django():
    code = (
        "import sys; import tandem.prospects.matching as m; import tandem.prospects.matching.engine; "
        "bad = sorted(k for k in sys.modules if k == 'django' or k.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_terrain_half_a_hectare_too_small_is_excluded_with_that_reason():
    candidates = Candidates.from_records([terrain(1, 2.5), terrain(2, 3.2, site_id=2)])
    results = by_key(match(candidates, Requirements(surface_min_ha=3), today=TODAY))
    assert results["terrain:1"]["status"] == "excluded"
    assert results["terrain:1"]["reasons"] == ["surface disponible 2,5 ha < 3 ha demandés"]
    assert results["terrain:2"]["status"] == "eligible"
    assert results["terrain:2"]["reasons"] == []


def test_excluded_candidates_are_left_out_unless_asked():
    candidates = Candidates.from_records([terrain(1, 2.5), terrain(2, 3.2, site_id=2)])
    ranking = match(candidates, Requirements(surface_min_ha=3), today=TODAY)
    assert [r["id"] for r in ranking.results()] == ["terrain:2"]
    assert ranking.count() == 1 and ranking.count(include_excluded=True) == 2


def test_power_reinforcement_before_production_is_conditional_with_its_date():
    candidates = Candidates.from_records(
        [
            terrain(1, 5, power_mw=2, power_reinforced_mw=12, power_reinforced_on=date(2027, 6, 30)),
            terrain(
                2, 5, site_id=2, power_mw=2, power_reinforced_mw=12, power_reinforced_on=date(2028, 6, 30)
            ),
            terrain(3, 5, site_id=3, power_mw=15),
        ]
    )
    results = by_key(
        match(candidates, Requirements(surface_min_ha=3, power_mw=10, needed_by=NEEDED), today=TODAY)
    )
    conditional = results["terrain:1"]
    assert conditional["status"] == "conditional"
    assert conditional["available_on"] == "2027-06-30"
    assert conditional["conditions"] == [
        {
            "criterion": "puissance",
            "date": "2027-06-30",
            "text": "renforcement électrique à 12 MW prévu le 30/06/2027 (aujourd'hui 2 MW < 10 MW demandés)",
        }
    ]
    late = results["terrain:2"]
    assert late["status"] == "excluded"
    assert late["reasons"] == [
        "puissance électrique disponible 2 MW < 10 MW demandés (renforcement à 12 MW prévu le 30/06/2028, "
        "après la date de besoin du 01/01/2028)"
    ]
    assert results["terrain:3"]["status"] == "eligible"


def test_availability_and_servicing_dates_make_conditions_or_exclusions():
    candidates = Candidates.from_records(
        [
            terrain(1, 5, available_on=date(2027, 3, 1), viabilised_on=date(2027, 9, 1)),
            terrain(2, 5, site_id=2, available_on=date(2029, 3, 1)),
        ]
    )
    results = by_key(match(candidates, Requirements(surface_min_ha=3, needed_by=NEEDED), today=TODAY))
    assert results["terrain:1"]["status"] == "conditional"
    assert results["terrain:1"]["available_on"] == "2027-09-01"  # every condition met by then
    assert [c["criterion"] for c in results["terrain:1"]["conditions"]] == ["disponibilite", "viabilisation"]
    assert results["terrain:2"]["reasons"] == [
        "disponible le 01/03/2029, après la date de besoin du 01/01/2028"
    ]


def test_every_hard_constraint_gives_its_french_reason():
    candidates = Candidates.from_records(
        [
            terrain(
                1, 10, epci="200000009", power_mw=50, water_m3h=20, motorway_km=12.3, icpe_max=2, seveso_max=0
            )
        ]
    )
    requirements = Requirements(
        surface_min_ha=3,
        water_m3h=50,
        rail_required=True,
        waterway_required=True,
        max_motorway_km=10,
        icpe_regime=3,
        seveso=2,
        excluded_epcis=("200000009",),
    )
    (result,) = match(candidates, requirements, today=TODAY).results(include_excluded=True)
    assert result["reasons"] == [
        "territoire exclu par le porteur de projet (EPCI 200000009)",
        "débit d'eau disponible 20 m³/h < 50 m³/h demandés",
        "pas d'embranchement ferré, demandé par le projet",
        "pas d'accès à la voie d'eau, demandé par le projet",
        "échangeur autoroutier à 12,3 km > 10 km au plus",
        "régime ICPE « autorisation » non admis (au plus : enregistrement)",
        "Seveso seuil haut non admis (au plus : non Seveso)",
    ]


def test_gas_and_wastewater_are_hard_constraints_with_french_reasons():
    candidates = Candidates.from_records(
        [
            terrain(1, 10, gas=0.0, wastewater_m3d=40),
            terrain(2, 10, gas=1.0, wastewater_m3d=200),
            terrain(3, 10),
        ]
    )
    requirements = Requirements(surface_min_ha=3, gas_required=True, wastewater_m3d=150)
    results = by_key(match(candidates, requirements, today=TODAY))
    assert results["terrain:1"]["status"] == "excluded"
    assert results["terrain:1"]["reasons"] == [
        "pas de raccordement au gaz naturel, demandé par le projet",
        "capacité de traitement des eaux usées 40 m³/j < 150 m³/j demandés",
    ]
    assert results["terrain:2"]["status"] == "eligible"
    assert results["terrain:3"]["status"] == "conditional"
    assert {c["criterion"] for c in results["terrain:3"]["conditions"]} == {"gaz", "eaux_usees"}


def test_unknown_capacities_are_conditions_to_check():
    candidates = Candidates.from_records([terrain(1, 10)])
    (result,) = match(
        candidates, Requirements(surface_min_ha=3, power_mw=5, max_motorway_km=10), today=TODAY
    ).results()
    assert result["status"] == "conditional"
    assert result["available_on"] is None
    assert {c["criterion"]: c["date"] for c in result["conditions"]} == {"puissance": None, "autoroute": None}


def test_two_adjacent_terrains_of_three_hectares_answer_a_five_hectare_need_as_a_combination():
    candidates = Candidates.from_records(
        [
            terrain(1, 3, power_mw=10),
            terrain(2, 3, power_mw=4),
            terrain(3, 3, site_id=2),
            terrain(4, 3, site_id=2),
        ],
        adjacency=[(1, 2)],  # terrains 3 and 4 share a site but do not touch
    )
    ranking = match(candidates, Requirements(surface_min_ha=5), today=TODAY)
    results = ranking.results()
    assert [r["id"] for r in results] == ["combinaison:1+2"]
    (combination,) = results
    assert combination["kind"] == "combinaison"
    assert combination["members"] == [1, 2]
    assert combination["surface_ha"] == 6
    assert combination["status"] == "eligible"
    assert combination["name"] == "Combinaison : Terrain 1 + Terrain 2"


def test_no_combination_when_a_single_terrain_of_the_site_is_large_enough():
    candidates = Candidates.from_records(
        [terrain(1, 3), terrain(2, 3), terrain(3, 6)], adjacency=[(1, 2), (2, 3)]
    )
    results = match(candidates, Requirements(surface_min_ha=5), today=TODAY).results()
    assert [r["id"] for r in results] == ["terrain:3"]


def test_combination_skips_terrains_failing_another_constraint():
    candidates = Candidates.from_records(
        [terrain(1, 3), terrain(2, 3, available_on=date(2030, 1, 1)), terrain(3, 3)],
        adjacency=[(1, 2), (2, 3)],
    )
    ranking = match(candidates, Requirements(surface_min_ha=5, needed_by=NEEDED), today=TODAY)
    assert ranking.results() == []  # 1 and 3 only touch through 2, which comes too late


def test_contributions_add_up_to_the_score_and_weights_can_be_overridden():
    candidates = Candidates.from_records(
        [
            terrain(
                1, 5, price_eur_m2=20, motorway_km=3, rail=True, power_mw=8, readiness=0.5, permit_months=6
            ),
            terrain(2, 8, site_id=2, is_friche=True, kind=KIND_FRICHE, labour_pool=8000),
        ]
    )
    base = match(candidates, Requirements(surface_min_ha=4), today=TODAY)
    for result in base.results():
        assert set(result["contributions"]) == set(CRITERIA)
        assert sum(result["contributions"].values()) == pytest.approx(result["score"], abs=1e-12)
    friche_first = match(candidates, Requirements(surface_min_ha=4, weights={"friche": 5}), today=TODAY)
    assert friche_first.results()[0]["id"] == "friche:2"
    assert base.results()[0]["id"] == "terrain:1"


def test_unknown_or_negative_weight_is_a_french_error():
    candidates = Candidates.from_records([terrain(1, 5)])
    with pytest.raises(MatchingInputError, match="Critère de pondération inconnu : « vue »"):
        match(candidates, Requirements(surface_min_ha=4, weights={"vue": 1}), today=TODAY)
    with pytest.raises(MatchingInputError, match="positif"):
        match(candidates, Requirements(surface_min_ha=4, weights={"prix": -1}), today=TODAY)
    with pytest.raises(MatchingInputError, match="surface minimale"):
        Requirements(surface_min_ha=0)


def test_epci_filter_keeps_only_those_territories():
    candidates = Candidates.from_records([terrain(1, 5), terrain(2, 5, epci="200000002", site_id=2)])
    ranking = match(candidates, Requirements(surface_min_ha=4, epcis=("200000002",)), today=TODAY)
    assert [r["id"] for r in ranking.results(include_excluded=True)] == ["terrain:2"]


def test_stability_reports_how_often_the_top_five_changes():
    records = [terrain(i, 5 + i * 0.01, site_id=i, price_eur_m2=20 + i, motorway_km=i) for i in range(1, 9)]
    ranking = match(
        Candidates.from_records(records), Requirements(surface_min_ha=4), today=TODAY, stability_draws=40
    )
    stability = ranking.stability
    assert stability["draws"] == 40 and stability["perturbation"] == 0.2
    assert stability["top"] == [r["id"] for r in ranking.results(limit=5)]
    assert 0 <= stability["top5_changed"] <= stability["top5_order_changed"] <= 1
    again = match(
        Candidates.from_records(records), Requirements(surface_min_ha=4), today=TODAY, stability_draws=40
    )
    assert again.stability == stability  # fixed seed
    # Two candidates far apart: no perturbation of ±20 % can swap them.
    clear = [
        terrain(1, 5, price_eur_m2=10, motorway_km=1, rail=True),
        terrain(2, 5, site_id=2, price_eur_m2=79),
    ]
    assert (
        match(Candidates.from_records(clear), Requirements(surface_min_ha=4), today=TODAY).stability[
            "first_changed"
        ]
        == 0
    )


# --- properties ---------------------------------------------------------------------------------------------

floats = st.floats(min_value=0, max_value=200, allow_nan=False)
maybe = st.one_of(st.just(float("nan")), floats)


@st.composite
def candidate_sets(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": i + 1,
                "kind": draw(st.sampled_from([0, 0, KIND_SITE, KIND_FRICHE])),
                "name": f"C{i + 1}",
                "epci": draw(st.sampled_from(["200000001", "200000002"])),
                "site_id": draw(st.integers(min_value=1, max_value=3)),
                "surface_ha": draw(maybe),
                "power_mw": draw(maybe),
                "power_reinforced_mw": draw(maybe),
                "power_reinforced_on": draw(
                    st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2030, 1, 1)))
                ),
                "available_on": draw(st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2030, 1, 1)))),
                "water_m3h": draw(maybe),
                "gas": draw(st.sampled_from([float("nan"), 0.0, 1.0])),
                "wastewater_m3d": draw(maybe),
                "rail": draw(st.booleans()),
                "motorway_km": draw(maybe),
                "station_km": draw(maybe),
                "airport_km": draw(maybe),
                "price_eur_m2": draw(maybe),
                "readiness": draw(st.one_of(st.just(float("nan")), st.floats(0, 1))),
                "permit_months": draw(maybe),
                "icpe_max": draw(st.integers(-1, 3)),
                "is_friche": draw(st.booleans()),
                "is_farmland": draw(st.booleans()),
                "labour_pool": draw(st.one_of(st.just(float("nan")), st.floats(0, 50_000))),
                "recruitment_difficulty": draw(st.one_of(st.just(float("nan")), st.floats(0, 1))),
                "unavailable": draw(st.sampled_from(["", "", "", "terrain réservé"])),
                "friche_issue": draw(st.sampled_from(["", "", "", "pollution avérée du sol"])),
            }
        )
    pairs = draw(st.lists(st.tuples(st.integers(1, n), st.integers(1, n)), max_size=10))
    return Candidates.from_records(rows, adjacency=pairs)


requirement_sets = st.builds(
    Requirements,
    surface_min_ha=st.floats(min_value=0.5, max_value=50),
    power_mw=st.floats(0, 30),
    water_m3h=st.floats(0, 100),
    gas_required=st.booleans(),
    wastewater_m3d=st.floats(0, 500),
    rail_required=st.booleans(),
    max_motorway_km=st.one_of(st.none(), st.floats(1, 40)),
    max_station_km=st.one_of(st.none(), st.floats(1, 40)),
    max_airport_km=st.one_of(st.none(), st.floats(5, 80)),
    icpe_regime=st.integers(0, 3),
    needed_by=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2030, 1, 1))),
    weights=st.dictionaries(st.sampled_from(CRITERIA), st.floats(0.01, 5), max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(candidate_sets(), requirement_sets)
def test_scores_are_between_zero_and_one_and_contributions_add_up(candidates, requirements):
    ranking = match(candidates, requirements, today=TODAY, stability_draws=5)
    # Penalties (agricultural land, a friche with a project or a proven pollution) are negative values.
    penalties = [CRITERIA.index("friche"), CRITERIA.index("foncier_agricole")]
    others = [k for k in range(len(CRITERIA)) if k not in penalties]
    lowest = -ranking.weights[penalties].sum()
    assert np.all((ranking.score >= lowest - 1e-12) & (ranking.score <= 1 + 1e-12))
    assert np.allclose(ranking.contributions.sum(axis=1), ranking.score)
    assert np.all((ranking.values[:, others] >= 0) & (ranking.values[:, others] <= 1))
    assert np.all((ranking.values[:, penalties] >= -1) & (ranking.values[:, penalties] <= 1))
    assert np.all(ranking.values[:, CRITERIA.index("foncier_agricole")] <= 0)
    for result in ranking.results(limit=50, include_excluded=True):
        assert (result["status"] == "excluded") == bool(result["reasons"])
        assert result["status"] != "conditional" or result["conditions"]


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.5, 20),
    st.floats(0, 20),
    st.floats(0, 10),
    st.lists(st.floats(0, 100), min_size=2, max_size=20),
)
def test_surface_fit_rises_up_to_the_ideal_then_never_rises_again(min_ha, extra_ha, margin_ha, surfaces):
    ideal = min_ha + extra_ha
    s = np.sort(np.array(surfaces))
    v = surface_value(s, min_ha, ideal, margin_ha, DEFAULT_THRESHOLDS)
    below = s <= ideal
    assert np.all(np.diff(v[below]) >= -1e-12)
    above = s >= ideal + margin_ha
    assert np.all(np.diff(v[above]) <= 1e-12)
    assert np.all(v[s < min_ha] == 0) and np.all(v[(s >= ideal) & (s <= ideal + margin_ha)] == 1)


@settings(max_examples=40, deadline=None)
@given(candidate_sets(), requirement_sets)
def test_engine_and_row_wise_reference_agree(candidates, requirements):
    ranking = match(candidates, requirements, today=TODAY, stability_draws=0)
    frame = match_rowwise(candidates, requirements, today=TODAY)
    results = ranking.results(limit=10_000, include_excluded=True)
    assert [r["id"] for r in results] == list(frame["key"])
    assert [r["status"] for r in results] == list(frame["status"])
    assert np.allclose([r["score"] for r in results], frame["score"], atol=1e-9)
    assert [len(r["reasons"]) for r in results] == [len(x) for x in frame["reasons"]]
    assert [r["available_on"] for r in results] == [
        None if s != "conditional" or d is None else d.isoformat()
        for s, d in zip(frame["status"], frame["condition_on"], strict=True)
    ]
