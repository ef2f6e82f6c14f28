"""Detection over the flows an actor sees, synergies from suggestions, capacity never promised twice, stage
history, the company timeline of both companies, and indicators against an independent computation."""

from datetime import date

import pytest

from tandem.companies.followup import advisor_assign
from tandem.companies.selectors_followup import company_timeline
from tandem.core.errors import NotAllowed, UserError
from tandem.eit.detection import run_detection, territory_around, territory_for_company, territory_for_epci
from tandem.eit.models import Synergy, SynergyStageChange, SynergyYear
from tandem.eit.selectors import synergy_indicators
from tandem.eit.services import synergy_create, synergy_stage_move, synergy_year_set
from tandem.organizations.models import Organization
from tests.eit.builders import (
    METZ,
    SCHILTIGHEIM,
    STRASBOURG,
    actor_of,
    add_flow,
    facilitator,
    located_company,
)
from tests.factories import epci_org, make_member, other_org

pytestmark = pytest.mark.django_db
SXB = "246700488"


@pytest.fixture
def park(ewc):
    org = epci_org(SXB)
    user = facilitator(org, make_member(org))
    p = {"org": org, "user": user, "actor": actor_of(user)}
    p["steel_co"], steel = located_company(STRASBOURG, name="ACIERIE FICTIVE", lat=48.580, lon=7.750)
    p["cement_co"], cement = located_company(
        SCHILTIGHEIM, name="CIMENTERIE FICTIVE", naf="23.51Z", lat=48.610, lon=7.720
    )
    _, road = located_company(STRASBOURG, name="ROUTES FICTIVES", naf="42.11Z", lat=48.570, lon=7.760)
    _, chem = located_company(STRASBOURG, name="CHIMIE FICTIVE", naf="20.14Z", lat=48.590, lon=7.740)
    _, greenhouse = located_company(SCHILTIGHEIM, name="SERRES FICTIVES", naf="01.13Z", lat=48.605, lon=7.730)
    _, pool = located_company(STRASBOURG, name="PISCINE FICTIVE", naf="93.11Z", lat=48.585, lon=7.745)
    p["slag"] = add_flow(
        user, org, steel, direction="offer", kind="material", ewc_id="100202", quantity=100, unit="t"
    )
    p["cement_need"] = add_flow(
        user, org, cement, direction="need", kind="material", ewc_id="1002", quantity=150, unit="t"
    )
    p["road_need"] = add_flow(
        user, org, road, direction="need", kind="material", ewc_id="1002", quantity=80, unit="t"
    )
    # Trap 1: a hazardous waste to a receiver without a permit.
    p["solvent"] = add_flow(
        user, org, chem, direction="offer", kind="material", ewc_id="070104", quantity=20, unit="t"
    )
    p["solvent_need"] = add_flow(
        user, org, cement, direction="need", kind="material", ewc_id="0701", quantity=20, unit="t"
    )
    # Trap 2: heat too cold for a direct exchange (needs a heat pump).
    p["heat"] = add_flow(
        user,
        org,
        pool,
        direction="offer",
        kind="heat",
        resource="heat",
        quantity=500,
        unit="MWh",
        temperature_c=30,
    )
    p["heat_need"] = add_flow(
        user,
        org,
        greenhouse,
        direction="need",
        kind="heat",
        resource="heat",
        quantity=400,
        unit="MWh",
        temperature_c=45,
    )
    return p


def pairs(result):
    return {(s.offer_id, s.need_id): s for s in result.suggestions}


def test_detection_for_an_epci_ranks_with_reasons_and_allocates_once(park):
    result = run_detection(park["actor"], territory_for_epci(SXB))
    found = pairs(result)
    slag = str(park["slag"].pk)
    to_cement, to_road = (
        found.get((slag, str(park["cement_need"].pk))),
        found.get((slag, str(park["road_need"].pk))),
    )
    assert to_cement is not None and to_cement.reasons
    # 100 t offered, 150 + 80 asked: never more than 100 t promised across the proposals.
    promised = sum(s.quantity or 0 for s in (to_cement, to_road) if s is not None)
    assert promised <= 100 + 1e-9
    # The hazardous trap: no proposal, an exclusion with its reason.
    assert (str(park["solvent"].pk), str(park["solvent_need"].pk)) not in found
    assert any("dangereux" in e.reason for e in result.detection.exclusions)
    # The cold heat: proposed only through a heat pump, and said so.
    heat = found[(str(park["heat"].pk), str(park["heat_need"].pk))]
    assert heat.heat_pump and any("pompe à chaleur" in r for r in heat.reasons)


def test_other_epci_detects_nothing_here(park):
    metz = epci_org("200039865")
    stranger = facilitator(metz, make_member(metz))
    result = run_detection(actor_of(stranger), territory_for_epci(SXB))
    assert result.flows_count == 0 and result.suggestions == []


def test_company_and_radius_territories(park):
    result = run_detection(park["actor"], territory_for_company(park["cement_co"].pk, 10))
    sirets = {e.siret for e in park["cement_co"].establishments.all()}
    assert result.suggestions and all({s.supplier, s.receiver} & sirets for s in result.suggestions)
    far_co, far = located_company(METZ, name="LOIN FICTIVE", lat=49.12, lon=6.18)
    around = run_detection(park["actor"], territory_around(far.siret, 5))
    assert around.flows_count == 0


def test_synergy_from_suggestion_takes_capacity_and_moves_with_history(park):
    actor = park["actor"]
    synergy = synergy_create(
        actor=actor, owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["cement_need"]
    )
    assert synergy.stage == "idea" and synergy.quantity == 100 and synergy.reasons
    # The whole offer is now promised: a new detection does not promise it again, nor may a second synergy.
    again = pairs(run_detection(actor, territory_for_epci(SXB)))
    road = again.get((str(park["slag"].pk), str(park["road_need"].pk)))
    assert road is None or not road.quantity
    with pytest.raises(UserError):
        synergy_create(
            actor=actor, owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["road_need"]
        )
    with pytest.raises(UserError, match="dangereux"):
        synergy_create(
            actor=actor, owner=park["org"], supplier_flow=park["solvent"], receiver_flow=park["solvent_need"]
        )
    synergy_stage_move(
        actor=actor, synergy=synergy, stage="study", on=date.today(), notes="Analyse du laitier"
    )
    with pytest.raises(UserError):
        synergy_stage_move(actor=actor, synergy=synergy, stage="study")
    history = list(
        SynergyStageChange.objects.filter(synergy=synergy)
        .order_by("pk")
        .values_list("from_stage", "to_stage", "by", "notes")
    )
    assert history == [
        ("", "idea", park["user"].pk, ""),
        ("idea", "study", park["user"].pk, "Analyse du laitier"),
    ]
    # Abandoning frees the capacity for the road builder.
    synergy_stage_move(actor=actor, synergy=synergy, stage="abandoned")
    other = synergy_create(
        actor=actor, owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["road_need"]
    )
    assert other.quantity == 80
    reader = make_member(park["org"], role="lecteur")
    with pytest.raises(NotAllowed):
        synergy_stage_move(actor=actor_of(reader), synergy=other, stage="study")


def test_both_companies_referents_see_the_synergy_in_their_timeline(park):
    agency = other_org(Organization.Kind.AGENCE)
    referent = make_member(agency)
    advisor_assign(actor=actor_of(referent), company=park["cement_co"], user=referent, organization=agency)
    synergy = synergy_create(
        actor=park["actor"], owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["cement_need"]
    )
    synergy_stage_move(actor=park["actor"], synergy=synergy, stage="study")
    titles = [e.title for e in company_timeline(actor_of(referent), park["cement_co"]) if e.kind == "synergy"]
    assert len(titles) == 2 and all("(receveur)" in t for t in titles)
    assert any(t.endswith(f": étude ({referent.username})") or ": étude (" in t for t in titles)
    supplier_titles = [
        e.title for e in company_timeline(park["actor"], park["steel_co"]) if e.kind == "synergy"
    ]
    assert any("(fournisseur)" in t and "étude" in t for t in supplier_titles)
    # Someone of another organisation learns nothing of it.
    stranger = make_member(other_org(Organization.Kind.AGENCE))
    assert not [e for e in company_timeline(actor_of(stranger), park["cement_co"]) if e.kind == "synergy"]


def test_indicators_equal_an_independent_computation(park):
    actor = park["actor"]
    a = synergy_create(
        actor=actor, owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["cement_need"]
    )
    b = synergy_create(
        actor=actor, owner=park["org"], supplier_flow=park["heat"], receiver_flow=park["heat_need"]
    )
    for s in (a, b):
        synergy_stage_move(actor=actor, synergy=s, stage="realised")
    synergy_year_set(actor=actor, synergy=a, year=2024, quantity=90, co2e_t=50)
    synergy_year_set(actor=actor, synergy=a, year=2025, quantity=100)  # CO2e from the detection's estimate
    synergy_year_set(actor=actor, synergy=b, year=2025, quantity=350, co2e_t=70)
    indicators = synergy_indicators(actor, commune_codes=None)
    # Independent: straight from the rows, by a different route (Python over model instances).
    expected = {}
    for row in SynergyYear.objects.select_related("synergy"):
        e = expected.setdefault(row.year, {"tonnes": 0.0, "mwh": 0.0, "m3": 0.0, "co2e_t": 0.0})
        e[{"t": "tonnes", "MWh": "mwh", "m3": "m3"}[row.unit]] += row.quantity
        e["co2e_t"] += row.co2e_t or 0
    got = {r["year"]: {k: r[k] for k in ("tonnes", "mwh", "m3", "co2e_t")} for r in indicators.by_year}
    assert got == expected
    assert got[2024]["tonnes"] == 90 and got[2025]["mwh"] == 350
    assert got[2025]["co2e_t"] == pytest.approx(70 + 100 * a.co2e_t / a.quantity)
    stages = {s: Synergy.objects.unscoped().filter(stage=s).count() for s in Synergy.Stage.values}
    assert indicators.by_stage == stages and indicators.by_stage["realised"] == 2
    with pytest.raises(UserError):
        synergy_year_set(actor=actor, synergy=a, year=2025, quantity=-1)


def test_perimeter_territory_and_regional_aggregates(park):
    from tandem.eit.detection import territory_for_perimeter
    from tandem.eit.selectors import regional_indicators
    from tandem.territories.models import Perimeter

    perimeter = Perimeter.objects.create(owner=park["org"], name="Zone portuaire (test)")
    perimeter.communes.set([STRASBOURG])
    result = run_detection(park["actor"], territory_for_perimeter(park["actor"], perimeter.pk))
    # Only Strasbourg's flows: the cement plant and the greenhouses (Schiltigheim) are outside.
    assert {r["commune_id"] for r in result.input.by_id.values()} == {STRASBOURG}
    assert (str(park["slag"].pk), str(park["road_need"].pk)) in pairs(result)
    actor = park["actor"]
    synergy_create(
        actor=actor, owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["road_need"]
    )
    synergy_create(
        actor=actor, owner=park["org"], supplier_flow=park["heat"], receiver_flow=park["heat_need"]
    )
    assert regional_indicators("44") == {}  # two synergies: under the small-count minimum
    _, plant = located_company(STRASBOURG, name="FONDERIE FICTIVE", naf="24.51Z", lat=48.575, lon=7.755)
    need = add_flow(
        park["user"], park["org"], plant, direction="need", kind="material", ewc_id="1002", quantity=10
    )
    s = synergy_create(actor=actor, owner=park["org"], supplier_flow=park["slag"], receiver_flow=need)
    assert s.quantity == 10  # what the road builder's 80 t left of the 100 t offered
    assert regional_indicators("44") == {
        "idée": 3,
        "étude": 0,
        "négociation": 0,
        "réalisée": 0,
        "abandonnée": 0,
    }


def test_synergy_export_lists_what_the_reader_sees(park, client):
    import csv
    import io

    from tests.factories import PASSWORD

    synergy = synergy_create(
        actor=park["actor"], owner=park["org"], supplier_flow=park["slag"], receiver_flow=park["cement_need"]
    )
    assert client.login(username=park["user"].username, password=PASSWORD)
    response = client.get("/eit/synergies/export.csv")
    assert response["Content-Disposition"].endswith('synergies-eit.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode()), delimiter=";"))
    assert [(r["intitule"], r["etape"], r["siret_fournisseur"]) for r in rows] == [
        (synergy.title, "idée", park["slag"].establishment_id)
    ]
    assert client.get("/eit/synergies/export.xlsx").status_code == 200
    metz = epci_org("200039865")
    stranger = facilitator(metz, make_member(metz))
    client.logout()
    assert client.login(username=stranger.username, password=PASSWORD)
    rows = list(csv.DictReader(io.StringIO(client.get("/eit/synergies/export.csv").content.decode()), delimiter=";"))
    assert rows == []


def test_map_points_cover_every_establishment_of_the_territory(park):
    from collections import Counter

    from tandem.eit.models import Flow
    from tandem.eit.selectors import flow_map_points, flows_for

    points = flow_map_points(flows_for(park["actor"]))
    expected = Counter((f.establishment_id, f.direction) for f in Flow.objects.unscoped())
    assert {p["siret"]: (p["offers"], p["needs"]) for p in points} == {
        siret: (expected[(siret, "offer")], expected[(siret, "need")]) for siret, _ in expected
    }
    assert all(-180 <= p["lon"] <= 180 and -90 <= p["lat"] <= 90 for p in points)
    assert len(flow_map_points(flows_for(park["actor"]), limit=2)) == 2
