"""POST /api/v1/matching/ through HTTP: the explained ranking, and never a candidate the caller may not see."""

import math
from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from tandem.organizations.models import Organization, Role, Visibility
from tests.factories import epci_org, make_member, make_user, region_org
from tests.prospects.builders import make_site, make_terrain

MULHOUSE, STRASBOURG = "200066009", "246700488"
URL = "/api/v1/matching/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def land():
    mulhouse, strasbourg = epci_org(MULHOUSE), epci_org(STRASBOURG)
    zae = make_site(
        mulhouse, "68224", tdm_power_mw=20, tdm_motorway_junction_km=3.5, reseau_fret_ferroviaire=True
    )
    small = make_terrain(zae, 2.5, cell=(0, 0))
    big = make_terrain(zae, 12, cell=(5, 5), tdm_permit_months=6)
    waiting = make_terrain(
        zae,
        8,
        cell=(9, 9),
        tdm_power_mw=12,  # from that date only (a planned reinforcement)
        tdm_power_available_on=date.today() + timedelta(days=200),
    )
    hidden_site = make_site(strasbourg, "67482", tdm_power_mw=50)
    hidden = make_terrain(hidden_site, 40)
    shared_with_region = make_terrain(hidden_site, 30, visibility=Visibility.REGION)
    return {
        "mulhouse": mulhouse,
        "strasbourg": strasbourg,
        "small": small,
        "big": big,
        "waiting": waiting,
        "hidden": hidden,
        "regional": shared_with_region,
    }


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(user, **body):
    body = {"surface_min_ha": 3, "region": "44"} | body
    return client_for(user).post(URL, body, format="json")


def test_ranking_is_explained_and_limited_to_what_the_caller_sees(land):
    user = make_member(land["mulhouse"], Role.LECTEUR)
    response = post(
        user,
        power_mw=10,
        rail_required=True,
        max_motorway_km=10,
        needed_by=str(date.today() + timedelta(days=400)),
        include_excluded=True,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    by_id = {r["id"]: r for r in body["results"]}
    assert set(by_id) == {f"terrain:{land[k].pk}" for k in ("small", "big", "waiting")}
    assert body["count"] == 3
    assert by_id[f"terrain:{land['big'].pk}"]["status"] == "eligible"
    assert by_id[f"terrain:{land['small'].pk}"]["reasons"] == ["surface disponible 2,5 ha < 3 ha demandés"]
    waiting = by_id[f"terrain:{land['waiting'].pk}"]
    assert waiting["status"] == "conditional"
    assert waiting["available_on"] == str(date.today() + timedelta(days=200))
    for result in body["results"]:
        assert result["epci"] == MULHOUSE
        assert sum(result["contributions"].values()) == pytest.approx(result["score"])
    assert body["results"][0]["id"] == f"terrain:{land['big'].pk}"
    assert body["stability"]["draws"] == 50


def test_no_candidate_the_caller_may_not_see_ever_comes_back(land):
    for user, expected in (
        (make_member(land["mulhouse"], Role.LECTEUR), {"small", "big", "waiting"}),
        (make_member(land["strasbourg"], Role.LECTEUR), {"hidden", "regional"}),
        (make_member(region_org(), Role.LECTEUR), {"regional"}),
        (make_member(Organization.objects.create(name="Autre", slug="autre", kind="operateur")), set()),
    ):
        body = post(user, surface_min_ha=0.1, include_excluded=True, limit=500).json()
        assert {r["id"] for r in body["results"]} == {f"terrain:{land[k].pk}" for k in expected}, user


def test_epci_filter_and_weights(land):
    user = make_member(land["strasbourg"], Role.LECTEUR)
    body = post(user, region=None, epcis=[STRASBOURG], weights={"surface": 0, "foncier_agricole": 1}).json()
    assert body["weights"]["surface"] == 0
    assert {r["id"] for r in body["results"]} == {
        f"terrain:{land['hidden'].pk}",
        f"terrain:{land['regional'].pk}",
    }


def test_two_adjacent_three_hectare_terrains_are_combined_from_their_geometries(land):
    site = make_site(land["mulhouse"], "68224")
    a = make_terrain(site, 3, cell=(20, 0))
    b = make_terrain(site, 3, cell=(21, 0))  # shares an edge with a
    make_terrain(site, 3, cell=(23, 0))  # same site, 170 m away: not adjacent
    user = make_member(land["mulhouse"], Role.LECTEUR)
    body = post(user, surface_min_ha=5, epcis=[MULHOUSE], region=None).json()
    combos = [r for r in body["results"] if r["kind"] == "combinaison"]
    assert [(c["id"], c["members"], c["surface_ha"]) for c in combos] == [
        (f"combinaison:{a.pk}+{b.pk}", [a.pk, b.pk], 6)
    ]


def test_a_new_terrain_shows_up_at_once(land):
    user = make_member(land["mulhouse"], Role.LECTEUR)
    before = post(user).json()["count"]
    make_terrain(land["big"].site_eco, 7)
    assert post(user).json()["count"] == before + 1


def test_price_is_used_only_where_the_caller_may_read_it(land):
    make_terrain(land["big"].site_eco, 20, terr_m2_prix=10)
    owner = make_member(land["mulhouse"], Role.LECTEUR)
    region_reader = make_member(region_org(), Role.LECTEUR)
    land["mulhouse"]  # noqa: B018
    priced = [r for r in post(owner, surface_min_ha=15).json()["results"]]
    assert priced[0]["contributions"]["prix"] > 0.04  # 10 €/m² is worth 1 × 0.08
    from tandem.land.models import Terrain

    Terrain.objects.unscoped().filter(terr_m2_prix=10).update(visibility=Visibility.REGION)
    seen = post(region_reader, surface_min_ha=15).json()["results"]
    assert seen and seen[0]["contributions"]["prix"] == pytest.approx(0.04)  # unknown: neutral 0.5 × 0.08


def test_the_price_cannot_be_worked_back_from_the_score(land):
    """Two terrains alike but for their price (10 and 70 €/m², a linear ramp between 15 and 80): whoever may
    not see the price — another organisation, a platform administrator outside the owner — gets the same
    score for both, so no score, contribution or rank carries the price."""
    site = make_site(land["mulhouse"], "68224", tdm_power_mw=20, visibility=Visibility.NETWORK)
    cheap = make_terrain(site, 25, terr_m2_prix=10, visibility=Visibility.NETWORK)
    dear = make_terrain(site, 25, terr_m2_prix=70, visibility=Visibility.NETWORK)
    ids = (f"terrain:{cheap.pk}", f"terrain:{dear.pk}")

    def rows(user):
        results = {r["id"]: r for r in post(user, surface_min_ha=20, limit=50).json()["results"]}
        return [results[i] for i in ids]

    owner = rows(make_member(land["mulhouse"], Role.LECTEUR))
    assert owner[0]["contributions"]["prix"] > owner[1]["contributions"]["prix"]
    assert owner[0]["score"] > owner[1]["score"]
    for user in (make_member(region_org(), Role.LECTEUR), make_user("plateforme-prix", superuser=True)):
        seen = rows(user)
        assert seen[0]["score"] == seen[1]["score"]
        assert seen[0]["contributions"] == seen[1]["contributions"]
        assert seen[0]["contributions"]["prix"] == pytest.approx(0.04)  # unknown: neutral 0.5 × 0.08


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"surface_min_ha": 3}, "Indiquez une région"),
        ({"surface_min_ha": -1, "region": "44"}, "surface_min_ha"),
        ({"surface_min_ha": 3, "region": "44", "weights": {"vue": 1}}, "Critères inconnus"),
        ({"surface_min_ha": 3, "region": "44", "surface_ideal_ha": 1}, "surface idéale"),
    ],
)
def test_bad_requests_answer_400_in_french(land, body, message):
    user = make_member(land["mulhouse"], Role.LECTEUR)
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_anonymous_callers_are_refused():
    assert APIClient().post(URL, {"surface_min_ha": 3, "region": "44"}, format="json").status_code in (
        401,
        403,
    )


def test_a_row_made_invisible_behind_the_cache_is_never_returned(land):
    from tandem.land.models import Terrain

    reader = make_member(region_org(), Role.LECTEUR)
    regional = f"terrain:{land['regional'].pk}"
    assert [r["id"] for r in post(reader, include_excluded=True).json()["results"]] == [regional]
    # A bulk update sends no signal and leaves the fingerprint as it was: the cached arrays still hold the row.
    Terrain.objects.unscoped().filter(pk=land["regional"].pk).update(visibility=Visibility.PRIVATE)
    body = post(reader, include_excluded=True).json()
    assert body["results"] == [] and body["count"] == 0


def test_a_sharing_change_is_seen_by_the_matching_at_once(land):
    """No cache clearing anywhere in these tests: the cached arrays are keyed on the visibility version, which
    database triggers move on at every write — here `inventory_visibility_set`, a bulk `.update()`."""
    from tandem.land.sharing import inventory_visibility_set
    from tandem.organizations.perms import Actor

    region = region_org()
    reader = make_member(region, Role.LECTEUR)
    regional, hidden = f"terrain:{land['regional'].pk}", f"terrain:{land['hidden'].pk}"
    assert [r["id"] for r in post(reader, include_excluded=True).json()["results"]] == [regional]
    owner = Actor.for_user(make_member(land["strasbourg"], Role.CONTRIBUTEUR))
    inventory_visibility_set(actor=owner, owner=land["strasbourg"], visibility=Visibility.REGION)
    assert {r["id"] for r in post(reader, include_excluded=True).json()["results"]} == {regional, hidden}
    inventory_visibility_set(actor=owner, owner=land["strasbourg"], visibility=Visibility.PRIVATE)
    assert post(reader, include_excluded=True).json()["results"] == []
    # A share to one organisation (the m2m table) is seen at once too.
    land["hidden"].shared_with.add(region)
    assert [r["id"] for r in post(reader, include_excluded=True).json()["results"]] == [hidden]


def test_sector_ecosystem_counts_establishments_of_the_division_within_30_km(land):
    from pyproj import Transformer

    from tandem.companies.models import Establishment
    from tests.companies.followup_builders import make_company, make_establishment

    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    big = land["big"]
    x, y = to_l93.transform(big.centroid_lon, big.centroid_lat)
    # Nine steelworks 5 km away, one 45 km away, and a bakery next door (another division).
    for k, (dx, naf) in enumerate([(5_000, "24.10Z")] * 9 + [(45_000, "24.10Z"), (100, "10.71C")]):
        company = make_company("68224")
        siret = make_establishment(company, "68224", nic=f"{k + 20:05d}", naf=naf).siret
        Establishment.objects.filter(siret=siret).update(lambert_x=x + dx, lambert_y=y)
    user = make_member(land["mulhouse"], Role.LECTEUR)
    steel = {r["id"]: r for r in post(user, naf="24.10Z", limit=50).json()["results"]}
    other = {r["id"]: r for r in post(user, naf="62.01Z", limit=50).json()["results"]}
    key = f"terrain:{big.pk}"
    # log(1 + 9) / log(1 + 50) of the 6 % weight (docs/matching.md); nothing for a division absent here.
    assert steel[key]["contributions"]["ecosysteme"] == pytest.approx(0.06 * math.log(10) / math.log(51))
    assert other[key]["contributions"]["ecosysteme"] == 0


def test_gas_wastewater_and_daily_water_reach_the_engine_from_the_land_columns(land):
    Terrain = type(land["big"])
    Terrain.objects.unscoped().filter(pk=land["big"].pk).update(
        tdm_gas=True, tdm_wastewater_m3d=500, tdm_water_m3h=10
    )
    Terrain.objects.unscoped().filter(pk=land["waiting"].pk).update(
        tdm_gas=False, tdm_wastewater_m3d=500, tdm_water_m3h=10
    )
    user = make_member(land["mulhouse"], Role.LECTEUR)
    body = post(user, gas_required=True, wastewater_m3d=300, water_m3d=200, include_excluded=True).json()
    results = {r["id"]: r for r in body["results"]}
    assert results[f"terrain:{land['big'].pk}"]["status"] in ("eligible", "conditional")
    assert not any(
        c["criterion"] in ("gaz", "eaux_usees", "eau")
        for c in results[f"terrain:{land['big'].pk}"]["conditions"]
    )
    waiting = results[f"terrain:{land['waiting'].pk}"]
    assert waiting["status"] == "excluded"
    assert "pas de raccordement au gaz naturel, demandé par le projet" in waiting["reasons"]
    # 200 m³/day is a continuous 8,33 m³/h: met by 10 m³/h; 300 m³/day is 12,5 m³/h: not met.
    body = post(user, water_m3d=300, include_excluded=True).json()
    big = {r["id"]: r for r in body["results"]}[f"terrain:{land['big'].pk}"]
    assert any(reason.startswith("débit d'eau disponible 10 m³/h < 12,5 m³/h") for reason in big["reasons"])
