"""Job seekers by sector and bassin d'emploi 2019 (real Grand Est file, 777 rows): imported through the import
framework (dry run writes nothing, a wrong row is refused in French naming file, line and field, re-import
changes nothing), split to territories by the commune-weighted rule; totals asserted against an independent read
of the csv."""

import csv
from collections import defaultdict
from html import unescape

import pytest

from tandem.core.errors import UserError
from tandem.imports.models import ImportRun
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.skills.importers import sector_seekers_import, tension_import
from tandem.skills.models import SectorSeekers
from tandem.skills.selectors import seekers_by_sector
from tandem.skills.territory import territory_get
from tandem.territories.models import Commune, Departement
from tests.conftest import shared_file
from tests.factories import make_member, region_org

pytestmark = pytest.mark.django_db
SECTORS = "real/economy/tensions_metiers/demandeurs_emploi_secteur_bassin_grand_est.csv"


def csv_rows() -> list[dict]:
    with open(shared_file(SECTORS), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


@pytest.fixture
def basins():
    tension_import(
        actor=Actor.system_actor(),
        tensions_path=shared_file("real/economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv"),
        bassins_path=shared_file("real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"),
    )


def test_import_dry_run_reimport_and_totals_against_the_csv(basins):
    rows = csv_rows()
    assert len(rows) == 777
    total = sum(int(r["demandeurs_emploi"]) for r in rows)
    dry = sector_seekers_import(actor=Actor.system_actor(), path=shared_file(SECTORS), dry_run=True)
    assert dry.created == 777 and not SectorSeekers.objects.exists()
    first = sector_seekers_import(actor=Actor.system_actor(), path=shared_file(SECTORS))
    assert (first.created, first.run.kind, first.run.status) == (777, "sector_seekers", ImportRun.Status.DONE)
    again = sector_seekers_import(actor=Actor.system_actor(), path=shared_file(SECTORS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 777)
    assert sum(SectorSeekers.objects.values_list("seekers", flat=True)) == total
    # The split never double counts: the départements of Grand Est together hold every job seeker of the file.
    actor = Actor.system_actor()
    by_dep = [
        seekers_by_sector(actor=actor, territory=territory_get("dep", d))
        for d in Departement.objects.filter(region_id="44").values_list("code", flat=True)
    ]
    assert sum(d["total"] for d in by_dep) == pytest.approx(total, rel=1e-9)
    per_sector = defaultdict(int)
    for r in rows:
        per_sector[" ".join(r["secteur_libelle"].split())] += int(r["demandeurs_emploi"])
    summed = defaultdict(float)
    for d in by_dep:
        for row in d["sectors"]:
            summed[row["sector"]] += row["seekers"]
    assert summed == pytest.approx(dict(per_sector), rel=1e-9)
    # A zone d'emploi: the bassins wholly inside it are counted whole (independent read of the bassin table).
    ze = Commune.objects.get(pk="68224").zone_emploi_id
    zone = seekers_by_sector(actor=actor, territory=territory_get("ze", ze))
    assert 0 < zone["total"] < total
    with open(shared_file("real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"),
              encoding="utf-8", newline="") as f:  # fmt: skip
        sample = f.read(4096)
        f.seek(0)
        links = list(csv.DictReader(f, delimiter=";" if sample.count(";") > sample.count(",") else ","))
    communes_of = defaultdict(set)
    for link in links:
        communes_of[link["BE19"]].add(link["CODE_COMMUNE_INSEE"])
    zone_of = dict(Commune.objects.filter(is_current=True).values_list("code", "zone_emploi_id"))
    inside = [b for b, cs in communes_of.items() if {zone_of.get(c) for c in cs} == {ze}]
    whole = sum(int(r["demandeurs_emploi"]) for r in rows if r["code_bassin"] in inside)
    assert inside and zone["total"] >= whole


def test_a_wrong_row_is_refused_in_french_and_nothing_is_written(basins, tmp_path):
    bad = tmp_path / "secteurs.csv"
    bad.write_text(
        "code_bassin;demandeurs_emploi;secteur_libelle\n4451;299;Construction\n9999;12;Construction\n"
        "4451;beaucoup;Industrie manufacturière\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError) as refused:
        sector_seekers_import(actor=Actor.system_actor(), path=bad)
    text = str(refused.value) + " ".join(str(p) for p in refused.value.problems)
    assert "secteurs.csv" in text and "bassin absent de la table des bassins 2019" in text
    assert "demandeurs_emploi" in text and "nombre entier positif attendu" in text
    assert not SectorSeekers.objects.exists()


def test_the_territory_page_shows_job_seekers_by_sector(basins, client):
    sector_seekers_import(actor=Actor.system_actor(), path=shared_file(SECTORS))
    client.force_login(make_member(region_org(), Role.LECTEUR))
    ze = Commune.objects.get(pk="68224").zone_emploi_id
    html = unescape(client.get(f"/competences/ze/{ze}/").content.decode())
    table = html[html.index('id="secteurs"') :].split("</table>")[0]
    assert "Industrie manufacturière" in table and "data-sector-total" in table


def test_a_gap_shows_the_job_seekers_of_its_rome_code_from_the_tension_file(basins, client):
    """The candidates' side of a gap per job: job seekers (A, B, C) of its ROME code, `defm_abc` of the tension
    file, split to the zone d'emploi; bounded by an independent read of both csv files."""
    from tandem.companies.followup import project_create
    from tandem.companies.models import CompanyProject
    from tandem.organizations.models import Visibility
    from tandem.skills.importers import rome_import
    from tests.companies.followup_builders import make_company
    from tests.factories import epci_org

    rome_import(
        actor=Actor.system_actor(),
        codes_path=shared_file("real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"),
        titles_path=shared_file("real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"),
    )
    epci = epci_org("200066009")
    need = project_create(
        actor=Actor.system_actor(), owner=epci, company=make_company("68224", name="SOUDURE FICTIVE"),
        kind=CompanyProject.Kind.RECRUITMENT, title="Soudeurs", jobs=5, job_title="soudeur",
        visibility=Visibility.REGION,
    )  # fmt: skip
    ze = Commune.objects.get(pk="68224").zone_emploi_id
    with open(shared_file("real/economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv"),
              encoding="utf-8", newline="") as f:  # fmt: skip
        seekers = {
            r["cbassin"]: float(r["defm_abc"].replace(",", "."))
            for r in csv.DictReader(f, delimiter=";")
            if r["ROME"] == need.job_code and r["defm_abc"] not in ("", "NA")
        }
    with open(shared_file("real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"),
              encoding="utf-8", newline="") as f:  # fmt: skip
        links = list(csv.DictReader(f))
    zone_of = dict(Commune.objects.filter(is_current=True).values_list("code", "zone_emploi_id"))
    zones_of_basin = defaultdict(set)
    for link in links:
        zones_of_basin[link["BE19"]].add(zone_of.get(link["CODE_COMMUNE_INSEE"]))
    inside = sum(v for b, v in seekers.items() if zones_of_basin[b] == {ze})
    touching = sum(v for b, v in seekers.items() if ze in zones_of_basin[b])
    client.force_login(make_member(region_org(), Role.LECTEUR))
    body = client.get(f"/api/v1/skills/ze/{ze}/").json()
    gap = next(g for g in body["gaps"] if g["job_code"] == need.job_code)
    assert touching > 0 and inside - 1e-6 <= gap["job_seekers"] <= touching + 1e-6
    assert body["seekers_by_sector"] == []  # the sector file is not imported here: nothing invented
