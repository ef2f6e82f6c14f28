"""The shared text reader (tandem.imports.reader), and the land and BODACC importers that use it: physical line
numbers, Excel's ’ in Windows-1252 files, and every bad file refused in French, naming file, line and field,
with nothing written."""

import zlib

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tandem.companies.fragility import bodacc_import
from tandem.companies.models import BodaccAnnouncement
from tandem.core.errors import UserError
from tandem.imports.limits import ImportLimits
from tandem.imports.models import ImportRun
from tandem.imports.reader import read_table
from tandem.land.models import Friche
from tandem.land.services import land_import
from tandem.organizations.perms import Actor
from tests.conftest import shared_file
from tests.land.test_import_friches import DDT08, SETS

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
LIMITS = ImportLimits(upload_bytes=10**8, expanded_bytes=10**8, zip_entries=10, rows=10**6, field_chars=10**6)
BODACC = "real/bodacc/bodacc_pcl_entreprises_20_salaries_plus_2020_2021.csv"


def ddt08_lines() -> list[str]:
    return shared_file(DDT08).read_text(encoding="utf-8").splitlines()


def test_rows_carry_their_physical_line_after_blank_lines_and_quoted_line_breaks():
    data = b'a;b\n\n1;x\n\n\n2;"deux\nlignes"\n3;z\n'
    table = read_table(None, "t.csv", limits=LIMITS, data=data, multiline=True)
    assert table.delimiter == ";" and table.header == ["a", "b"]
    assert [row[0] for row in table.rows] == ["1", "2", "3"]
    assert table.lines == [3, 6, 8]


def test_excel_apostrophe_survives_a_windows_1252_file():
    data = "nom;commune\nZone de l’Église;Charleville-Mézières\n".encode("cp1252")
    table = read_table(None, "t.csv", limits=LIMITS, data=data)
    assert table.rows == [["Zone de l’Église", "Charleville-Mézières"]]
    assert table.encoding == "Latin-1 (Windows-1252)" and "\x92" not in table.rows[0][0]


def test_land_errors_name_the_physical_line_after_blank_lines(tmp_path):
    lines = ddt08_lines()
    header = lines[0].split(",")
    column = header.index("site_type")
    bad = lines[10].split(",")
    assert bad[column]  # a simple unquoted cell in this row
    bad[column] = "friche imaginaire"
    lines[10] = ",".join(bad)
    # Two blank lines after the header and one in the middle: the bad row is on physical line 14.
    text = "\n".join([lines[0], "", "", *lines[1:6], "", *lines[6:]]) + "\n"
    assert text.splitlines()[13] == lines[10]
    path = tmp_path / "friches_blancs.csv"
    path.write_text(text, encoding="utf-8")
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert report.run.status == ImportRun.Status.REFUSED
    assert [(p.line, p.field) for p in report.errors] == [(14, "site_type")]


def _ddt08_bytes() -> bytes:
    return shared_file(DDT08).read_bytes()


def _with_unclosed_quote() -> bytes:
    lines = ddt08_lines()
    lines[6] = lines[6].replace(",", ',"', 1)  # a quote opened in the 2nd field of line 7, never closed
    return ("\n".join(lines) + "\n").encode()


def _with_nul() -> bytes:
    lines = ddt08_lines()
    lines[8] = lines[8].replace(",", ",\x00", 1)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: zlib.compress(_ddt08_bytes()), "ce n'est pas un fichier texte"),
        (_with_unclosed_quote, "ligne 7 : guillemet"),
        (_with_nul, "ligne 9 : caractère NUL"),
        (lambda: b"", "fichier vide"),
        (lambda: b"\xef\xbb\xbf\r\n\r\n", "fichier vide"),
    ],
    ids=["binaire", "guillemet", "nul", "vide", "bom-seul"],
)
def test_import_land_refuses_bad_text_files_in_french(tmp_path, make, expected):
    path = tmp_path / "friches.csv"
    path.write_bytes(make())
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert report.run.status == ImportRun.Status.REFUSED
    [problem] = report.errors
    assert problem.file == "friches.csv" and expected in problem.message, problem.message
    assert not Friche.objects.unscoped().exists()
    # The command line says the same, in French, and writes nothing either.
    with pytest.raises(CommandError) as caught:
        call_command("import_land", str(path), *[f"--set={k}={v}" for k, v in SETS.items()])
    assert expected in str(caught.value) and "Import refusé" in str(caught.value)
    assert not Friche.objects.unscoped().exists()


def test_import_land_reads_a_utf16_file_with_its_real_column_names(tmp_path):
    path = tmp_path / "friches_utf16.csv"
    path.write_bytes(_ddt08_bytes().decode("utf-8").encode("utf-16"))
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert report.errors == [] and Friche.objects.unscoped().count() == 164
    assert report.run.files[0]["encoding"] == "UTF-16"


@override_settings(TANDEM_IMPORT_MAX_ROWS=100)
def test_import_land_refuses_more_rows_than_the_limit(tmp_path):
    path = tmp_path / "friches.csv"
    path.write_bytes(_ddt08_bytes())
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert report.run.status == ImportRun.Status.REFUSED
    assert "plus de 100 lignes" in report.errors[0].message and not Friche.objects.unscoped().exists()


@override_settings(TANDEM_IMPORT_MAX_FIELD_CHARS=400)
def test_import_land_refuses_a_field_longer_than_the_limit(tmp_path):
    lines = ddt08_lines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("site_nom")] = "x" * 401
    lines[3] = ",".join(row)
    path = tmp_path / "friches.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS)
    assert report.run.status == ImportRun.Status.REFUSED
    assert (
        "friches.csv, ligne 4, champ « site_nom » : 401 caractères (limite : 400)" in report.errors[0].message
    )


# --- BODACC -----------------------------------------------------------------------------------------------

HEADER = "RCS,DATE,EFFECTIFS,NATURE,TRIBUNAL\n"


def test_bodacc_in_latin1_and_utf16_is_read_with_its_accents(tmp_path):
    text = (
        HEADER + "345086177,2021-04-14,51,jugement de clôture pour insuffisance d’actif,Tribunal de Sédan\n"
    )
    for encoding in ("cp1252", "utf-16"):
        path = tmp_path / f"bodacc_{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        bodacc_import(path=path, actor=SYSTEM)
    [announcement] = BodaccAnnouncement.objects.all()
    assert announcement.nature == "jugement de clôture pour insuffisance d’actif"
    assert announcement.tribunal == "Tribunal de Sédan" and announcement.kind == "cloture"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (zlib.compress((HEADER * 40).encode()), "ce n'est pas un fichier texte"),
        (
            (HEADER + "345086177,2021-04-14,51,liquidation\x00 judiciaire,\n").encode(),
            "ligne 2 : caractère NUL",
        ),
        (
            (HEADER + "345086177,2021-04-14,51," + "liquidation " * 12_000 + ",\n").encode(),
            "ligne 2, champ « NATURE » : texte de plus de 255 caractères",
        ),
        (
            (
                HEADER + '345086177,2021-04-14,51,"jugement de liquidation,\n'
                '414993998,2021-04-27,51,jugement de redressement",\n'
            ).encode(),
            "ligne 2, champ « NATURE » : le champ entre guillemets se poursuit jusqu'à la ligne 3",
        ),
        (
            (HEADER + '345086177,2021-04-14,51,"liquidation\n').encode(),
            "ligne 2 : guillemet ouvert jamais refermé",
        ),
    ],
    ids=["binaire", "nul", "champ-long", "guillemet-fusion", "guillemet-fin"],
)
def test_bodacc_bad_files_are_refused_in_french_and_write_nothing(tmp_path, data, expected):
    path = tmp_path / "bodacc.csv"
    path.write_bytes(data)
    with pytest.raises(UserError) as caught:
        bodacc_import(path=path, actor=SYSTEM)
    assert "bodacc.csv" in str(caught.value) and expected in str(caught.value), str(caught.value)
    assert not BodaccAnnouncement.objects.exists()
    with pytest.raises(CommandError) as caught:
        call_command("import_bodacc", str(path))
    assert expected in str(caught.value)


def _workbook(path, sheets):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_sheets_give_text_rows_with_spreadsheet_lines_and_iso_dates(tmp_path):
    import datetime as dt

    from tandem.imports.reader import xlsx_sheets

    path = _workbook(
        tmp_path / "sessions.xlsx",
        [
            ("Notes", [["Offre de formation"]]),
            (
                "Sessions",
                [
                    ["identifiant", "debut", "places"],
                    [],
                    ["S-1", dt.datetime(2027, 3, 1), 12],
                    ["S-2", dt.datetime(2027, 3, 1, 9, 30), None],
                ],
            ),
        ],
    )
    notes, sessions = list(xlsx_sheets(path, "sessions.xlsx", LIMITS))
    assert notes == [(1, ["Offre de formation"])]
    assert sessions == [
        (1, ["identifiant", "debut", "places"]),
        (3, ["S-1", "2027-03-01", "12"]),
        (4, ["S-2", "2027-03-01 09:30:00", ""]),
    ]


def test_xlsx_sheets_refuse_a_damaged_workbook_and_a_sheet_over_the_row_limit(tmp_path):
    from tandem.imports.reader import xlsx_sheets

    damaged = tmp_path / "flux.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(UserError, match="flux.xlsx : classeur XLSX illisible"):
        list(xlsx_sheets(damaged, "flux.xlsx", LIMITS))
    path = _workbook(tmp_path / "long.xlsx", [("Flux", [["code"], *[[str(i)] for i in range(4)]])])
    small = ImportLimits(upload_bytes=10**8, expanded_bytes=10**8, zip_entries=10, rows=3, field_chars=10**6)
    with pytest.raises(UserError, match="long.xlsx : plus de 3 lignes"):
        list(xlsx_sheets(path, "long.xlsx", small))
    assert len(next(xlsx_sheets(path, "long.xlsx", LIMITS))) == 5
