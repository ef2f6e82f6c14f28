"""The jobs-and-skills importers on the real files: ROME v4.60, tension indicators 2021 (comma decimals,
quintiles, 2019 bassins), through the one import framework (runs, French errors, idempotence, dry run)."""

import csv

import pytest

from tandem.core.errors import UserError
from tandem.imports.models import ImportRun
from tandem.organizations.perms import Actor
from tandem.skills.importers import rome_import, tension_import
from tandem.skills.models import RomeCode, RomeTitle, Tension, TensionBasin, TensionBasinCommune
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db
CODES = "real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"
TITLES = "real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"
TENSIONS = "real/economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv"
BASSINS19 = "real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"
BASSINS24 = "real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"


def rows_of(relative, delimiter=","):
    with open(shared_file(relative), encoding="utf-8-sig") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def test_rome_referential_imported_with_sub_codes_and_reimport_changes_nothing():
    result = rome_import(
        actor=Actor.system_actor(),
        codes_path=shared_file(CODES),
        titles_path=shared_file(TITLES),
        version="4.60",
    )
    assert RomeCode.objects.count() == 1584 and RomeTitle.objects.count() == 13120
    assert (result.created, result.updated, result.unchanged) == (1584 + 13120, 0, 0)
    chef = RomeCode.objects.get(code="H2915")
    assert (chef.label, chef.parent, chef.executive) == ("Chef soudeur / Cheffe soudeuse", "H2913", False)
    assert RomeCode.objects.get(code="A1102").green == "Emploi stratégique pour la Transition écologique"
    assert RomeTitle.objects.get(code_ogr="10200").rome_id == "F1402"
    assert result.run.kind == ImportRun.Kind.ROME and result.run.status == ImportRun.Status.DONE
    again = rome_import(
        actor=Actor.system_actor(), codes_path=shared_file(CODES), titles_path=shared_file(TITLES)
    )
    # the version is part of the row: an import without it updates the 1,584 codes, not the titles
    assert (again.created, again.updated, again.unchanged) == (0, 1584, 13120)


def test_tension_file_comma_decimals_quintiles_and_2019_bassins():
    result = tension_import(
        actor=Actor.system_actor(), tensions_path=shared_file(TENSIONS), bassins_path=shared_file(BASSINS19)
    )
    rows = rows_of(TENSIONS, ";")
    assert Tension.objects.count() == len(rows) == 2300
    assert TensionBasin.objects.count() == 43 and TensionBasinCommune.objects.count() == 5132
    cell = Tension.objects.get(
        year=2021, rome_code="A1203", basin_id="4420"
    )  # « 66,11780337;115,25;1;5;1;… »
    assert cell.offers == pytest.approx(66.11780337) and cell.seekers == pytest.approx(115.25)
    assert (cell.tension, cell.hiring_intensity, cell.labour_shortage, cell.training_specificity) == (
        1,
        5,
        1,
        3,
    )
    assert TensionBasin.objects.get(code="4420").name == "SAINT DIZIER"
    assert TensionBasinCommune.objects.get(commune_code="52004").basin_id == "4420"
    assert set(Tension.objects.values_list("tension", flat=True)) == {1, 2, 3, 4, 5}
    assert result.run.kind == ImportRun.Kind.TENSIONS
    again = tension_import(
        actor=Actor.system_actor(), tensions_path=shared_file(TENSIONS), bassins_path=shared_file(BASSINS19)
    )
    assert (again.created, again.updated) == (0, 0) and again.unchanged == 2300 + 43 + 5132


def test_bassins_2019_and_bmo_bassins_share_their_codes_in_grand_est():
    """The stated mapping: tensions reach territories through the 2019 commune table; the codes coincide."""
    be19 = {r["BE19"] for r in rows_of(BASSINS19)}
    be24 = {r["code_bassin_BMO"] for r in rows_of(BASSINS24)}
    assert be19 == be24 and len(be19) == 43


def test_bad_tension_rows_are_refused_in_french_and_nothing_is_written(tmp_path):
    lines = open(shared_file(TENSIONS), encoding="utf-8").read().splitlines()[:4]
    lines[1] = lines[1].replace("16,95867769", "16,9x")
    lines[2] = lines[2].rsplit(";", 1)[0] + ";6"
    fields = lines[3].split(";")
    fields[2] = "9999"  # cbassin
    lines[3] = ";".join(fields)
    bad = tmp_path / "tensions.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(UserError) as error:
        tension_import(actor=Actor.system_actor(), tensions_path=bad, bassins_path=shared_file(BASSINS19))
    text = str(error.value)
    assert "tensions.csv, ligne 2, champ « oee » : nombre attendu (décimales avec une virgule)" in text
    assert (
        "tensions.csv, ligne 3, champ « ind_specif_form_empl_d » : indicateur de 1 à 5 attendu (quintile)"
        in text
    )
    assert "tensions.csv, ligne 4, champ « cbassin » : bassin absent de la table des communes" in text
    assert not Tension.objects.exists() and not TensionBasin.objects.exists()
    run = ImportRun.objects.get(kind=ImportRun.Kind.TENSIONS)
    assert run.status == ImportRun.Status.REFUSED and run.errors_count == 3


def test_dry_run_writes_nothing():
    result = tension_import(
        actor=Actor.system_actor(),
        tensions_path=shared_file(TENSIONS),
        bassins_path=shared_file(BASSINS19),
        dry_run=True,
    )
    assert result.created == 2300 + 43 + 5132
    assert (
        not Tension.objects.exists() and not ImportRun.objects.filter(kind=ImportRun.Kind.TENSIONS).exists()
    )


def test_commands_print_the_french_report_and_a_dry_run_writes_nothing():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "import_tensions",
        "--tensions",
        str(shared_file(TENSIONS)),
        "--bassins",
        str(shared_file(BASSINS19)),
        "--dry-run",
        stdout=out,
    )
    assert "2300 indicateur(s), 43 bassin(s) 2019, 5132 commune(s)" in out.getvalue()
    assert not Tension.objects.exists()
    out = StringIO()
    call_command(
        "import_rome",
        "--codes",
        str(shared_file(CODES)),
        "--appellations",
        str(shared_file(TITLES)),
        "--millesime",
        "4.60",
        stdout=out,
    )
    assert "1584 code(s) ROME, 13120 appellation(s)" in out.getvalue()
    assert RomeCode.objects.count() == 1584 and set(RomeCode.objects.values_list("version", flat=True)) == {
        "4.60"
    }
