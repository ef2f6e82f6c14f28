"""Workshop sheets: French errors naming file, row and field; EWC suggestions from the description; a refused
sheet or a dry run writes nothing; re-importing the same sheet changes nothing; XLSX as CSV."""

import pytest
from openpyxl import Workbook

from tandem.core.errors import NotAllowed, UserError
from tandem.eit.models import Flow
from tandem.eit.services import flows_import
from tests.eit.builders import METZ, SCHILTIGHEIM, STRASBOURG, actor_of, facilitator, located_company
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db

HEADER = "siret;nom;commune;sens;nature;code_dechet;description;quantite;unite;periode;temperature;statut\n"


@pytest.fixture
def setting(ewc):
    org = epci_org("246700488")
    user = facilitator(org, make_member(org))
    _, steel = located_company(STRASBOURG, name="ACIERIE FICTIVE", lat=48.58, lon=7.75)
    _, cement = located_company(SCHILTIGHEIM, name="CIMENTERIE FICTIVE", naf="23.51Z", lat=48.61, lon=7.72)
    return {"org": org, "actor": actor_of(user), "steel": steel, "cement": cement}


def sheet(tmp_path, rows, name="atelier.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def rows_for(s):
    return [
        f"{s['steel'].siret};;;offre;matière;10 02 02;Laitier de haut fourneau;1 200;t;an;;déchet",
        f"{s['steel'].siret};;;offre;chaleur;;Fumées du four;4000;MWh;an;180;",
        ";CIMENTERIE FICTIVE;Schiltigheim;besoin;matière;1002;Laitiers pour le cru;2000;t;an;;",
    ]


def test_import_then_reimport_changes_nothing(setting, tmp_path):
    path = sheet(tmp_path, rows_for(setting))
    result = flows_import(actor=setting["actor"], owner=setting["org"], path=path)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    before = list(Flow.objects.unscoped().order_by("pk").values())
    again = flows_import(actor=setting["actor"], owner=setting["org"], path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert "rien n'a changé" in again.summary
    assert list(Flow.objects.unscoped().order_by("pk").values()) == before
    heat = Flow.objects.unscoped().get(kind="heat")
    assert heat.resource == "heat" and heat.temperature_c == 180 and heat.origin == "workshop"
    need = Flow.objects.unscoped().get(direction="need")
    assert need.establishment == setting["cement"]  # found by name and commune
    assert Flow.objects.unscoped().get(kind="material", direction="offer").quantity == 1200


def test_a_changed_quantity_updates_the_same_flow(setting, tmp_path):
    flows_import(actor=setting["actor"], owner=setting["org"], path=sheet(tmp_path, rows_for(setting)))
    rows = rows_for(setting)
    rows[0] = rows[0].replace("1 200", "900")
    result = flows_import(actor=setting["actor"], owner=setting["org"], path=sheet(tmp_path, rows))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Flow.objects.unscoped().count() == 3
    assert Flow.objects.unscoped().get(kind="material", direction="offer").quantity == 900


def test_dry_run_writes_nothing(setting, tmp_path):
    result = flows_import(
        actor=setting["actor"], owner=setting["org"], path=sheet(tmp_path, rows_for(setting)), dry_run=True
    )
    assert result.created == 3 and "simulation" in result.summary
    assert not Flow.objects.unscoped().exists()


def test_errors_name_file_row_and_field_and_nothing_is_written(setting, tmp_path):
    rows = rows_for(setting)
    rows.append(f"{setting['steel'].siret};;;offre;matière;;Cendres volantes de charbon;10;t;an;;")
    rows.append("12345;;;offre;matière;100202;x;10;t;an;;")
    rows.append(f"{setting['steel'].siret};;;peut-être;chaleur;;y;abc;MWh;an;;")
    with pytest.raises(UserError) as refused:
        flows_import(actor=setting["actor"], owner=setting["org"], path=sheet(tmp_path, rows))
    problems = [str(p) for p in refused.value.problems]
    text = "\n".join(problems)
    assert "rien n'a été importé" in refused.value.message
    # Row 5 (header is line 1): a material without code gets EWC suggestions from its description.
    assert "atelier.csv, ligne 5, champ « code_dechet » : code déchet obligatoire pour une matière" in text
    assert "10 01 02" in text
    assert "atelier.csv, ligne 6, champ « siret » : SIRET de 14 chiffres attendu (valeur : « 12345 »)" in text
    assert "atelier.csv, ligne 7, champ « sens » : « offre » ou « besoin » attendu" in text
    assert "atelier.csv, ligne 7, champ « quantite » : nombre positif attendu (valeur : « abc »)" in text
    assert not Flow.objects.unscoped().exists()


def test_unknown_column_and_unknown_name_are_refused(setting, tmp_path):
    path = tmp_path / "fiche.csv"
    path.write_text("siret;sens;nature;couleur\n1;offre;eau;bleu\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        flows_import(actor=setting["actor"], owner=setting["org"], path=path)
    assert "fiche.csv, ligne 1, champ « couleur » : colonne inconnue" in str(refused.value)
    rows = [";INCONNUE SA;Strasbourg;besoin;eau;;Eau de refroidissement;10;m3;an;;"]
    with pytest.raises(UserError) as refused:
        flows_import(actor=setting["actor"], owner=setting["org"], path=sheet(tmp_path, rows))
    assert "ligne 2, champ « nom » : aucun établissement actif de ce nom" in str(refused.value)


def test_establishment_outside_the_owner_territory_is_refused(setting, tmp_path):
    _, far = located_company(METZ, name="METZ FICTIVE", lat=49.1, lon=6.2)
    rows = [f"{far.siret};;;offre;matière;100202;Laitier;10;t;an;;"]
    with pytest.raises(NotAllowed):
        flows_import(actor=setting["actor"], owner=setting["org"], path=sheet(tmp_path, rows))
    assert not Flow.objects.unscoped().exists()


def test_xlsx_sheet(setting, tmp_path):
    workbook = Workbook()
    sheet_ = workbook.active
    sheet_.append(["SIRET", "Sens", "Nature", "Code déchet", "Description", "Quantité", "Unité"])
    sheet_.append([setting["steel"].siret, "offre", "matière", "100202", "Laitier", 50, "t"])
    path = tmp_path / "atelier.xlsx"
    workbook.save(path)
    result = flows_import(actor=setting["actor"], owner=setting["org"], path=path)
    assert result.created == 1
    assert Flow.objects.unscoped().get().ewc_id == "100202"
