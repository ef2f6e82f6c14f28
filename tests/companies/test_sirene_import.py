"""The SIRENE importer on INSEE's real stock samples and on generated files in the official layout."""

import csv
from collections import Counter

import pytest

from tandem.companies.models import Company, Establishment, RegistryChange
from tandem.companies.sirene_format import ETABLISSEMENT_COLUMNS, UNITE_LEGALE_COLUMNS, departement_of
from tandem.companies.sirene_import import sirene_import
from tandem.organizations.perms import Actor
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db

ETAB = "real/sirene/stock_etablissement_format_sample_2024.csv"
UL = "real/sirene/stock_unite_legale_format_sample_2024_personnes_morales.csv"
SYSTEM = Actor.system_actor()


def raw_rows(relative):
    with shared_file(relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_real_stock_etablissement_sample_imports_with_its_53_columns():
    path = shared_file(ETAB)
    rows = raw_rows(ETAB)
    assert tuple(rows[0].keys()) == ETABLISSEMENT_COLUMNS
    assert len(ETABLISSEMENT_COLUMNS) == 53

    result = sirene_import(path=path, actor=SYSTEM)

    run = result.run
    assert result.problems == []
    assert (run.rows_read, run.rows_in_territory, run.created, run.updated, run.rows_rejected) == (
        299,
        299,
        299,
        0,
        0,
    )
    assert Establishment.objects.count() == 299
    # Counts by département, NAF and headcount band, computed independently from the raw file…
    by_dep = Counter(departement_of(r["codeCommuneEtablissement"]) for r in rows)
    by_naf = Counter(r["activitePrincipaleEtablissement"] for r in rows)
    by_band = Counter(r["trancheEffectifsEtablissement"] for r in rows)
    db_dep = Counter(Establishment.objects.values_list("departement_code", flat=True))
    db_naf = Counter(Establishment.objects.values_list("naf", flat=True))
    db_band = Counter(Establishment.objects.values_list("headcount_band", flat=True))
    assert db_dep == by_dep
    assert db_naf == by_naf
    assert db_band == by_band
    # … and as literal numbers (PROVENANCE.md: 284 closed / 15 active, 6 rows with a band).
    assert (db_dep["80"], db_dep["04"], db_dep["44"], db_dep["13"], db_dep["75"], db_dep["987"]) == (
        115,
        84,
        73,
        4,
        4,
        1,
    )
    assert (db_naf[""], db_naf["00.97"], db_naf["68.20B"]) == (44, 22, 13)
    assert db_band == Counter({"": 293, "12": 4, "02": 1, "03": 1})
    assert Establishment.objects.filter(state="F").count() == 284
    assert Establishment.objects.filter(state="A").count() == 15
    # A closure is dated by the start of its closed period.
    closed = Establishment.objects.get(siret="00032517500016")
    assert (closed.state, str(closed.closed_on), closed.commune_code, closed.commune_id) == (
        "F",
        "2009-05-27",
        "98727",
        "98727",
    )
    # Companies exist for every SIREN (legal unit not yet loaded).
    assert Company.objects.count() == len({r["siren"] for r in rows})
    assert not Company.objects.filter(legal_unit_loaded=True).exists()


def test_reimporting_the_same_file_changes_nothing():
    path = shared_file(ETAB)
    sirene_import(path=path, actor=SYSTEM)
    before = list(Establishment.objects.order_by("siret").values())
    again = sirene_import(path=path, actor=SYSTEM).run
    assert (again.created, again.updated, again.unchanged, again.changes_recorded) == (0, 0, 299, 0)
    assert list(Establishment.objects.order_by("siret").values()) == before
    assert not RegistryChange.objects.exists()


def test_real_stock_unite_legale_sample_after_establishments():
    sirene_import(path=shared_file(ETAB), actor=SYSTEM)
    rows = raw_rows(UL)
    assert tuple(rows[0].keys()) == UNITE_LEGALE_COLUMNS
    run = sirene_import(path=shared_file(UL), actor=SYSTEM).run
    # No territory filter (no Region organisation, no départements): every legal unit is kept.
    assert (run.rows_read, run.rows_rejected) == (526, 0)
    assert Company.objects.filter(legal_unit_loaded=True).count() == 526
    company = Company.objects.get(siren="005420013")
    assert (company.name, company.state, company.legal_category, company.naf) == (
        "SOCIETE D'APPROVISIONNEMENT REGIONAL",
        "C",
        "5599",
        "62.21",
    )
    assert (
        Company.objects.filter(state="C").count()
        == sum(r["etatAdministratifUniteLegale"] == "C" for r in rows)
        == 392
    )
