"""Per-territory jobs figures on the real Grand Est files: BMO by département (secrecy counted apart), the
commune-weighted split of a bassin straddling two EPCIs, no double count over a partition, tensions."""

import csv
from collections import defaultdict

import pytest

from tandem.organizations.perms import Actor
from tandem.prospects.labour import basin_jobs, basin_market, bmo_import
from tandem.prospects.models import BmoBasinCommune
from tandem.skills.importers import tension_import
from tandem.skills.selectors import hiring_needs, tensions
from tandem.skills.territory import Territory, cell_weights, territory_get
from tandem.territories.models import Commune, ZoneEmploi
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db
BMO = "real/economy/bmo_2024/bmo_2024_grand_est.csv"
BASSINS = "real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"
ZE = "real/economy/zones_emploi/zones_emploi_2020_communes_grand_est_cog2024.csv"
SYSTEM = Actor.system_actor()


def rows_of(relative, delimiter=","):
    with open(shared_file(relative), encoding="utf-8-sig") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


@pytest.fixture
def bmo():
    bmo_import(actor=SYSTEM, bmo_path=shared_file(BMO), bassins_path=shared_file(BASSINS))


def test_bmo_grand_est_totals_by_departement_with_secrecy_counted_apart(bmo):
    published, secret = defaultdict(int), defaultdict(int)
    for row in rows_of(BMO):
        if row["met"] == "*":
            secret[row["Dept"]] += 1
        else:
            published[row["Dept"]] += int(row["met"])
    assert set(published) == {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88"}
    for dep in published:
        figures = hiring_needs(actor=SYSTEM, territory=territory_get("dep", dep))
        assert figures["projects"] == pytest.approx(published[dep]), dep
        assert figures["secret_cells"] == secret[dep] > 0, dep


def test_a_job_whose_cells_are_all_secret_is_shown_secret_never_zero(bmo):
    rows = [r for r in rows_of(BMO) if r["Dept"] == "55"]
    by_job = defaultdict(list)
    for row in rows:
        by_job[row["Code métier BMO"]].append(row["met"])
    all_secret = sorted(code for code, values in by_job.items() if set(values) == {"*"})
    assert all_secret
    jobs = {j["code"]: j for j in hiring_needs(actor=SYSTEM, territory=territory_get("dep", "55"))["jobs"]}
    for code in all_secret:
        assert jobs[code]["projects"] is None and jobs[code]["secret"]


def test_sedan_bassin_straddling_two_epcis_is_split_by_population(bmo):
    """Bassin 4414 (Sedan) covers communes of Ardenne Métropole (200041630) and of the CC du Pays Sedanais
    (240800847): its cells are split in proportion to the population of its communes in each."""
    members = {r["code_commune_insee"] for r in rows_of(BASSINS) if r["code_bassin_BMO"] == "4414"}
    epci_of = {r["codgeo"]: r["epci"] for r in rows_of(ZE)}
    population = dict(
        Commune.objects.filter(code__in=members, is_current=True).values_list("code", "population")
    )
    by_epci = defaultdict(int)
    for code in members:
        if code in population:
            by_epci[epci_of[code]] += population[code]
    assert set(by_epci) == {"200041630", "240800847"}
    links = list(BmoBasinCommune.objects.values_list("commune_code", "basin_id"))
    shares = {
        siren: cell_weights(links, Territory("epci", siren, ""), by_departement=True)[("4414", "08")]
        for siren in by_epci
    }
    total = sum(by_epci.values())
    for siren, share in shares.items():
        assert share == pytest.approx(by_epci[siren] / total)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert 0 < shares["200041630"] < 1


def test_zones_d_emploi_partition_the_region_without_double_count(bmo):
    total = sum(int(r["met"]) for r in rows_of(BMO) if r["met"] != "*")
    summed = sum(
        hiring_needs(actor=SYSTEM, territory=Territory("ze", code, name))["projects"]
        for code, name in ZoneEmploi.objects.filter(code__startswith="44").values_list("code", "name")
    )
    assert summed == pytest.approx(total, rel=1e-9)


def test_tensions_of_a_zone_d_emploi_weight_the_2019_bassins():
    tension_import(
        actor=SYSTEM,
        tensions_path=shared_file("real/economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv"),
        bassins_path=shared_file("real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"),
    )
    figures = tensions(actor=SYSTEM, territory=territory_get("dep", "52"))
    assert figures["year"] == 2021 and figures["jobs"]
    assert all(1 <= j["tension"] <= 5 for j in figures["jobs"])
    # Haute-Marne's 3 bassins (Chaumont, Langres, Saint-Dizier) lie within it: offers are the file's sums
    rows = rows_of("real/economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv", ";")
    basins = {
        r["BE19"]
        for r in rows_of("real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv")
        if r["DEP"] == "52"
    }
    expected = sum(
        float(r["oee"].replace(",", ".")) for r in rows if r["cbassin"] in basins and r["ROME"] == "D1106"
    )
    d1106 = next(j for j in figures["jobs"] if j["code"] == "D1106")
    assert d1106["offers"] == pytest.approx(expected, rel=0.05)


def test_steering_figures_of_a_departement(bmo):
    from tandem.skills.selectors import territory_skill_figures

    rows = [r for r in rows_of(BMO) if r["Dept"] == "88"]
    figures = territory_skill_figures(actor=SYSTEM, territory=territory_get("dep", "88"))
    assert figures["bmo_year"] == 2024
    assert figures["bmo_projects"] == sum(int(r["met"]) for r in rows if r["met"] != "*")
    assert figures["bmo_secret_cells"] == sum(r["met"] == "*" for r in rows)
    assert (figures["flagged_gaps"], figures["actions_by_status"]) == (0, {})


def test_zones_d_emploi_tile_carries_each_zone_s_figures_and_link(bmo, tmp_path):
    from django.test import Client

    from tandem.organizations.models import Role
    from tandem.skills.selectors import zone_figures
    from tests.factories import epci_org, make_member
    from tests.tiles import read_tile, tile_of

    client = Client()
    client.force_login(make_member(epci_org("200066009"), Role.LECTEUR))
    z, x, y = tile_of(7.34, 47.75, 7)  # Mulhouse
    layer = read_tile(tmp_path, client, "/carte/tuiles/zones_emploi/{z}/{x}/{y}.pbf", z, x, y)["zones_emploi"]
    rows = {row["code"]: row for row in layer[0]}
    mulhouse = Commune.objects.get(pk="68224").zone_emploi_id
    assert rows[mulhouse]["nom"] == "Mulhouse" and rows[mulhouse]["lien"] == f"/competences/ze/{mulhouse}/"
    projects = round(zone_figures()[mulhouse]["projects"])
    assert rows[mulhouse]["libelle"].startswith(
        f"{projects:,}".replace(",", "\u202f") + " projets de recrutement"
    )
    assert rows[mulhouse]["couleur"].startswith("#")
    page = client.get("/competences/")
    assert page.status_code == 200 and "zones_emploi" in page.content.decode()


def test_selestat_bassin_top_five_hiring_needs_summed_over_its_two_departements(bmo):
    """Bassin 4444 (Sélestat) is published in Bas-Rhin and Haut-Rhin: its top five jobs add both cells. The
    answer file (`basin_market`) and the skills pages read the same `basin_jobs`."""
    rows = [r for r in rows_of(BMO) if r["BE24"] == "4444"]
    assert {r["NOMBE24"] for r in rows} == {"SELESTAT"} and {r["Dept"] for r in rows} == {"67", "68"}
    totals = defaultdict(int)
    for r in rows:
        if r["met"] != "*":
            totals[r["Code métier BMO"]] += int(r["met"])
    expected = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    top = basin_jobs("4444", 2024)[:5]
    assert [(j["code"], j["projects"]) for j in top] == expected
    # read by hand in the file: vine and fruit growers first (grape harvest), then restaurants and transport
    assert expected == [("A1X42", 895), ("S2X61", 147), ("A1X40", 117), ("S1X20", 109), ("J3X43", 105)]
    commune = next(r["code_commune_insee"] for r in rows_of(BASSINS) if r["code_bassin_BMO"] == "4444")
    market = basin_market(commune)
    assert [(j["code"], j["projects"]) for j in market["top"]] == expected
