"""Generated SIRENE stock files: INSEE's exact layout, deterministic, importable like the real ones."""

import csv
from collections import Counter

import pytest
from django.core.management import call_command

from tandem.companies.generate import (
    GeneratedCommune,
    luhn_complete,
    write_stock_etablissement,
    write_stock_unite_legale,
)
from tandem.companies.models import Company, Establishment
from tandem.companies.nomenclatures import naf_codes, naf_label
from tandem.companies.sirene_format import ETABLISSEMENT_COLUMNS, UNITE_LEGALE_COLUMNS, departement_of
from tandem.territories.models import Commune
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db


def header(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(next(csv.reader(handle)))


def alsace_communes():
    rows = Commune.objects.filter(is_current=True).order_by("code")
    picked = [*rows.filter(departement_id="67")[:200], *rows.filter(departement_id="68")[:200]]
    return [GeneratedCommune(c.code, c.name, (c.postal_codes or [""])[0]) for c in picked]


def test_generated_files_have_the_official_layout_and_are_deterministic(tmp_path):
    communes = alsace_communes()
    write_stock_etablissement(tmp_path / "e1.csv", rows=500, communes=communes, seed=7)
    write_stock_etablissement(tmp_path / "e2.csv", rows=500, communes=communes, seed=7)
    write_stock_unite_legale(tmp_path / "u.csv", rows=500, seed=7)
    assert (
        header(tmp_path / "e1.csv")
        == ETABLISSEMENT_COLUMNS
        == header(shared_file("real/sirene/stock_etablissement_format_sample_2024.csv"))
    )
    assert (
        header(tmp_path / "u.csv")
        == UNITE_LEGALE_COLUMNS
        == header(shared_file("real/sirene/stock_unite_legale_format_sample_2024_personnes_morales.csv"))
    )
    assert (tmp_path / "e1.csv").read_bytes() == (tmp_path / "e2.csv").read_bytes()
    with open(tmp_path / "e1.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 500
    assert all(len(r) == 53 for r in rows)
    assert all(luhn_complete(r["siret"][:13]) == r["siret"] for r in rows)  # valid SIRET keys
    assert all(r["activitePrincipaleEtablissement"] in set(naf_codes()) | {"46.69B", "70.10Z"} for r in rows)
    assert {r["codeCommuneEtablissement"] for r in rows} <= {c.code for c in communes}


def test_import_sirene_command_on_generated_files(tmp_path, capsys):
    communes = alsace_communes()
    etab, ul = tmp_path / "StockEtablissement.csv", tmp_path / "StockUniteLegale.csv"
    companies = write_stock_etablissement(etab, rows=3000, communes=communes, seed=11)
    write_stock_unite_legale(ul, rows=3000, seed=11)
    # Legal units given first: the command imports establishments first anyway.
    call_command("import_sirene", str(ul), str(etab), "--departements", "67")
    out = capsys.readouterr().out
    with open(etab, encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if departement_of(r["codeCommuneEtablissement"]) == "67"]
    etab_report = out[out.index("Fichier StockEtablissement.csv") :]
    assert f"3000 ligne(s) lue(s), {len(rows)} du territoire" in etab_report
    assert f"{french_count(len(rows))} créé(s), 0 modifié(s)" in etab_report
    assert Establishment.objects.count() == len(rows)
    assert Counter(Establishment.objects.values_list("naf", flat=True)) == Counter(
        r["activitePrincipaleEtablissement"] for r in rows
    )
    assert Counter(Establishment.objects.values_list("headcount_band", flat=True)) == Counter(
        r["trancheEffectifsEtablissement"] for r in rows
    )
    sirens = {r["siren"] for r in rows}
    assert Company.objects.filter(legal_unit_loaded=True).count() == len(sirens) < companies
    assert Company.objects.filter(name__startswith="ENTREPRISE FICTIVE").exists()
    assert naf_label("25.11Z") == "Fabrication de structures métalliques et de parties de structures"


def test_import_sirene_command_creates_signals_for_a_newer_vintage(tmp_path, capsys):
    from tandem.companies.models import Signal
    from tests.factories import region_org

    region_org("44")
    communes = alsace_communes()
    first, second = tmp_path / "v1.csv", tmp_path / "v2.csv"
    write_stock_etablissement(first, rows=400, communes=communes, seed=5, closed_share=0)
    with open(first, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    employers = [r for r in rows if r["trancheEffectifsEtablissement"] in ("11", "12", "21")][:3]
    assert len(employers) == 3
    for row in employers:
        row.update(etatAdministratifEtablissement="F", dateDebut="2026-09-30")
    with open(second, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ETABLISSEMENT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    call_command("import_sirene", str(first))
    call_command("import_sirene", str(second))
    out = capsys.readouterr().out
    v2_report = out[out.index("Fichier v2.csv") :]
    assert "400 ligne(s) lue(s), 400 du territoire" in v2_report
    assert f"0 créé(s), {french_count(len(employers))} modifié(s)" in v2_report
    assert f"v2.csv : {len(employers)} signal(aux) créé(s)" in out
    assert sorted(Signal.objects.unscoped().values_list("establishment_id", flat=True)) == sorted(
        r["siret"] for r in employers
    )


def french_count(n: int) -> str:
    """1528 as the reports print it: « 1 528 » (narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")
