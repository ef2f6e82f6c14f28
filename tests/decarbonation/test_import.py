"""Importers on the real files (../shared/data/real/industry): counts checked against figures computed here
from the files with the csv module alone, and against the figures documented in the PROVENANCE.md files."""

import csv
from collections import Counter

import pytest

from tandem.core.problems import UserError
from tandem.decarbonation.importers import eutl_import, icpe_import
from tandem.decarbonation.models import EtsAccount, Installation
from tandem.decarbonation.selectors import icpe_rubriques_by_siret
from tandem.imports.models import ImportRun
from tests.conftest import shared_file

from .conftest import EUTL, SEVESO, WFS_93, read_csv


@pytest.mark.django_db
def test_eutl_dry_run_writes_nothing(tmp_path):
    rows = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10"][:200]
    path = tmp_path / "installations.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    runs = ImportRun.objects.count()  # the geography load of the session has one
    run = eutl_import(path=path, dry_run=True)
    assert run.status == ImportRun.Status.DONE and run.created > 150
    assert Installation.objects.count() == 0 and EtsAccount.objects.count() == 0
    assert ImportRun.objects.count() == runs


@pytest.mark.django_db
def test_eutl_bad_value_refused_in_french_naming_line_and_field(tmp_path):
    rows = read_csv(EUTL)[:600]
    index = next(
        i for i, r in enumerate(rows) if r["MainActivityTypeCode"] != "10"
    )  # aircraft rows are skipped
    rows[index]["VerifiedEmissions_2010"] = "12x4"
    path = tmp_path / "installations.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(UserError) as error:
        eutl_import(path=path)
    text = str(error.value)
    assert (
        f"installations.csv, ligne {index + 2}, champ « VerifiedEmissions_2010 » : nombre attendu (valeur : « 12x4 »)"
        in text
    )
    assert Installation.objects.count() == 0
    assert ImportRun.objects.get(kind=ImportRun.Kind.EUTL).status == ImportRun.Status.REFUSED


@pytest.mark.django_db
def test_icpe_seveso_table_and_rubriques_by_siret():
    run = icpe_import(path=shared_file(SEVESO))
    rows = read_csv(SEVESO)
    assert run.status == ImportRun.Status.DONE and run.created == len(rows) == 264
    tavaux = next(r for r in rows if r["code_aiot"] == "0003300469")
    inst = Installation.objects.get(aiot_code="0003300469")
    assert inst.icpe_regime == "Autorisation" and inst.seveso == "Seveso seuil haut"
    expected = {r for r in tavaux["rubriques"].split("|") if r}
    assert set(inst.rubriques) == expected
    site_siret = tavaux["num_siret_site"]
    assert icpe_rubriques_by_siret([site_siret, "00000000000000"]) == {site_siret: expected}
    again = icpe_import(path=shared_file(SEVESO))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 264)


@pytest.mark.django_db
def test_icpe_wfs_layout_without_rubriques():
    run = icpe_import(path=shared_file(WFS_93))
    rows = read_csv(WFS_93)
    assert run.created == len(rows) == 1224
    regimes = Counter(Installation.objects.values_list("icpe_regime", flat=True))
    assert regimes == Counter(r["lib_regime"] for r in rows)
    assert Installation.objects.exclude(siret="").count() == sum(1 for r in rows if r["num_siret"].strip())


@pytest.mark.django_db
def test_icpe_refuses_a_bad_aiot_code(tmp_path):
    path = tmp_path / "icpe.csv"
    path.write_text("code_aiot;nom_ets;num_siret\n0006516611;A;\nABC;B;\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        icpe_import(path=path)
    assert (
        "icpe.csv, ligne 3, champ « code_aiot » : code AIOT (10 chiffres) attendu (valeur : « ABC »)"
        in str(error.value)
    )
    assert Installation.objects.count() == 0
