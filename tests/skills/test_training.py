"""Certif Info and the training offer on the real files: certifications and the DERIVED Formacode ↔ ROME pairs,
a fictitious session file in the documented layout (CSV and XLSX) on real certifications, French errors naming
file, line and field, sessions linked to ROME jobs through their certification; the gap of a zone d'emploi
uses the open places of the next 12 months through the reviewed crosswalk; exports and the job sheet.

Expected figures are recomputed here from the files with `csv`."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from tandem.companies.followup import project_create
from tandem.companies.models import CompanyProject
from tandem.core.errors import UserError
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects.labour import bmo_import
from tandem.skills.importers import certifinfo_import, rome_import, tension_import, training_import
from tandem.skills.models import Certification, FapPost, FormacodeRome, TrainingSession
from tandem.skills.selectors import gaps, job_sheet, tensions, territory_skill_figures
from tandem.skills.services import rome_fap_review
from tandem.skills.territory import territory_get
from tandem.territories.models import Commune
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, region_org

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
CERTIF = "real/skills/certifinfo_rome/certif_info.csv"
ROME_CODES = "real/economy/rome/unix_referentiel_code_rome_v460_utf8.csv"
HEADER = ("identifiant_session;code_certification;formacode;intitule;organisme;siret_organisme;code_commune;"
          "date_debut;date_fin;places;places_pourvues;financement")  # fmt: skip
TODAY = date.today()


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).strftime("%d/%m/%Y")


def certif_rows():
    with shared_file(CERTIF).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture
def referentials():
    rome_import(
        actor=SYSTEM,
        codes_path=shared_file(ROME_CODES),
        titles_path=shared_file("real/economy/rome/unix_referentiel_appellation_v460_utf8.csv"),
    )
    return certifinfo_import(actor=SYSTEM, path=shared_file(CERTIF))


def test_certif_info_certifications_and_derived_formacode_rome(referentials):
    rows = certif_rows()
    # 10,067 rows: Certif Info repeats a certification once per ONISEP sheet
    assert len(rows) == 10067
    assert Certification.objects.count() == len({r["Code_Diplome"] for r in rows}) == 9923
    with shared_file(ROME_CODES).open(encoding="utf-8", newline="") as handle:
        rome = {r["code_rome"] for r in csv.DictReader(handle)}
    pairs = {
        (r["Code_FormaCode"], r[f"Code_Rome_{i}"])
        for r in rows
        for i in range(1, 6)
        if r["Code_FormaCode"] and r[f"Code_Rome_{i}"] in rome
    }
    assert FormacodeRome.objects.count() == len(pairs)
    assert {link.source for link in FormacodeRome.objects.all()[:50]} == {"dérivé (Certif Info)"}
    decolletage = Certification.objects.get(pk="21309")
    assert (decolletage.rncp, decolletage.formacode, decolletage.rome_codes) == ("557", "23089", ["H2903"])
    # a warning names the ROME codes of Certif Info that are not ROME v4 job codes (domain-level codes)
    assert any("absents du référentiel ROME v4" in p["message"] for p in referentials.run.problems)
    again = certifinfo_import(actor=SYSTEM, path=shared_file(CERTIF))
    assert again.created == 0 and again.updated == 0


def test_bad_session_rows_are_refused_in_french_and_nothing_is_written(referentials, tmp_path):
    bad = tmp_path / "sessions.csv"
    bad.write_text(
        "\n".join([
            HEADER,
            f"S1;RNCP557;23089;CAP décolletage;Organisme fictif;1234;68224;{d(30)};{d(200)};12;;Région",
            f"S2;21309;23089;CAP décolletage;Organisme fictif;12345678901234;99999;{d(30)};{d(20)};12;14;Région",
            f"S3;21309;23089;CAP décolletage;Organisme fictif;12345678901234;68224;{d(30)};{d(60)};dix;;Pôle",
        ]),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(UserError) as caught:
        training_import(actor=SYSTEM, path=bad)
    text = "\n".join(str(p) for p in caught.value.problems)
    for expected in [
        "sessions.csv, ligne 2, champ « siret_organisme » : SIRET à 14 chiffres attendu",
        "sessions.csv, ligne 3, champ « code_commune » : code INSEE de commune inconnu",
        "sessions.csv, ligne 3, champ « date_fin » : la fin précède le début",
        "sessions.csv, ligne 3, champ « places_pourvues » : plus de places pourvues que de places",
        "sessions.csv, ligne 4, champ « places » : nombre entier positif attendu",
        "sessions.csv, ligne 4, champ « financement » : attendu : Région, OPCO, CPF, apprentissage ou autre",
    ]:
        assert expected in text, expected
    assert not TrainingSession.objects.exists()


def write_sessions(tmp_path, fmt: str):
    """A fictitious offer on real certifications: two in the zone d'emploi of Mulhouse within 12 months (by
    RNCP and by Certif Info code), one there in 14 months, one in Strasbourg."""
    rows = [
        ["DEMO-1", "RNCP557", "23089", "CAP décolletage (fictif)", "Organisme fictif", "12345678901234", "68224",
         d(30), d(300), "12", "4", "Région"],
        ["DEMO-2", "20312", "", "Bac pro technicien modeleur (fictif)", "Organisme fictif", "12345678901234",
         "68224", d(60), d(400), "10", "", "apprentissage"],
        ["DEMO-3", "21309", "23089", "CAP décolletage (fictif, plus tard)", "Organisme fictif", "12345678901234",
         "68224", d(430), d(700), "15", "", "OPCO"],
        ["DEMO-4", "21552", "23048", "CAP mise en forme des matériaux (fictif)", "Organisme fictif",
         "12345678901234", "67482", d(30), d(200), "8", "", "CPF"],
    ]  # fmt: skip
    if fmt == "csv":
        path = tmp_path / "sessions.csv"
        path.write_text("\n".join([HEADER, *(";".join(r) for r in rows)]), encoding="utf-8")
    else:
        path = tmp_path / "sessions.xlsx"
        book = Workbook()
        sheet = book.active
        sheet.append(["Offre de formation — export fictif"])
        sheet.append(HEADER.split(";"))
        for r in rows:
            # dates as spreadsheet dates, places as numbers: what an XLSX export holds
            dates = [datetime.strptime(v, "%d/%m/%Y") for v in r[7:9]]
            sheet.append(r[:7] + dates + [int(r[9]), int(r[10]) if r[10] else None, r[11]])
        book.save(path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sessions_linked_to_rome_through_their_certification(referentials, tmp_path, fmt):
    result = training_import(actor=SYSTEM, path=write_sessions(tmp_path, fmt))
    assert result.created == 4
    certif = {r["Code_Diplome"]: r for r in certif_rows()}
    expected = {
        "DEMO-1": "21309", "DEMO-2": "20312", "DEMO-3": "21309", "DEMO-4": "21552",
    }  # fmt: skip
    for sid, code in expected.items():
        session = TrainingSession.objects.get(pk=sid)
        romes = [certif[code][f"Code_Rome_{i}"] for i in range(1, 6) if certif[code][f"Code_Rome_{i}"]]
        assert session.rome_codes == romes, sid
    assert TrainingSession.objects.get(pk="DEMO-1").places_open == 8
    again = training_import(actor=SYSTEM, path=write_sessions(tmp_path, fmt))
    assert (again.created, again.updated) == (0, 0)


def test_gap_uses_training_places_of_the_next_twelve_months_through_the_reviewed_crosswalk(
    referentials, tmp_path
):
    bmo_import(
        actor=SYSTEM,
        bmo_path=shared_file("real/economy/bmo_2024/bmo_2024_grand_est.csv"),
        bassins_path=shared_file("real/economy/bmo_2024/bassins_bmo_communes_grand_est.csv"),
    )
    training_import(actor=SYSTEM, path=write_sessions(tmp_path, "csv"))
    epci = epci_org("200066009")
    project_create(
        actor=SYSTEM, owner=epci, company=make_company("68224", name="USINAGE FICTIF"),
        kind=CompanyProject.Kind.RECRUITMENT, title="Ligne d'usinage", jobs=40, job_code="D0X31",
        visibility=Visibility.REGION,
    )  # fmt: skip
    project_create(
        actor=SYSTEM, owner=epci, company=make_company("68224", name="DÉCOLLETAGE FICTIF"),
        kind=CompanyProject.Kind.RECRUITMENT, title="Tourneurs", jobs=5, job_code="H2903",
        visibility=Visibility.REGION,
    )  # need stated as a ROME code  # fmt: skip
    region_user = make_member(region_org("44"), Role.CONTRIBUTEUR)
    region = Actor.for_user(region_user)
    zone = territory_get("ze", Commune.objects.get(pk="68224").zone_emploi_id)
    before = next(g for g in gaps(actor=region, territory=zone) if g["code"] == "D0X31")
    assert before["training_places"] is None and before["rome_codes"] == []  # not reviewed: not used
    rome_need = next(g for g in gaps(actor=region, territory=zone) if g["code"] == "H2903")
    assert rome_need["needs"] == 5 and rome_need["flagged"]
    assert "correspondance à revoir" in rome_need["reasons"][0]

    FapPost.objects.create(code="D0X31", label="Ouvriers qualifiés en conduite d'équipement d'usinage",
                           family_code="D0X31", family_label="Ouvriers qualifiés en conduite d'équipement d'usinage",
                           domain_code="D0X", domain_label="Ouvriers travaillant par enlèvement de métal",
                           sector_code="D", sector_label="Mécanique, travail des métaux")  # fmt: skip
    rome_fap_review(actor=region, rome_code="H2903", decision="changed", family_code="D0X31")
    found = gaps(actor=region, territory=zone)
    assert "H2903" not in {g["code"] for g in found}  # the ROME need joined its reviewed FAP family
    gap = next(g for g in found if g["code"] == "D0X31")
    assert gap["needs"] == 40 + 5
    # DEMO-1 (12 places, 4 filled) and DEMO-2 (10) lead to H2903 in the zone within 12 months; DEMO-3 starts in
    # 14 months, DEMO-4 is in Strasbourg and leads to H2904-H2906
    assert gap["rome_codes"] == ["H2903"]
    assert gap["training_places"] == 8 + 10
    assert gap["flagged"]
    assert any("supérieurs aux places de formation" in r and "(18)" in r for r in gap["reasons"])
    assert len(gap["sources"]) == 2

    client = Client()
    client.force_login(region_user)
    page = unescape(client.get(f"/competences/ze/{zone.code}/").content.decode())
    assert "CAP décolletage (fictif)" in page and "CAP décolletage (fictif, plus tard)" not in page
    exported = client.get(f"/competences/ze/{zone.code}/export-ecarts.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    row = next(r for r in rows if r and r[0] == "D0X31")
    assert row[2] == "45" and row[5] == "H2903" and row[6] == "18" and row[8] == "oui"
    book = load_workbook(io.BytesIO(client.get(f"/competences/ze/{zone.code}/export-bmo.xlsx").content))
    assert book.active.cell(1, 1).value == "Métier (code FAP 2021)"

    sheet = job_sheet(actor=region, job_code="D0X31")
    by_zone = {z["code"]: z for z in sheet["zones"]}
    assert by_zone[zone.code]["places"] == 18
    assert by_zone[Commune.objects.get(pk="67482").zone_emploi_id]["places"] == 0
    job_page = client.get("/competences/metier/D0X31/")
    assert job_page.status_code == 200 and "H2903" in job_page.content.decode()
    assert client.get("/competences/metier/Z9Z99/").status_code == 404
    assert client.get("/competences/metier/Z9Z99/export.csv").status_code == 404
    api = client.get("/api/v1/skills/correspondances/").json()
    assert api["pairs"] == [
        {"rome_code": "H2903", "fap_family": "D0X31", "origin": "proposé, corrigée par la Région"}
    ]
    zones = {z["code"]: z for z in client.get("/api/v1/skills/metier/D0X31/").json()["zones"]}
    assert zones[zone.code]["training_places_12_months"] == 18
    assert client.get("/api/v1/skills/metier/Z9Z99/").status_code == 404
    territory_api = client.get(f"/api/v1/skills/ze/{zone.code}/").json()
    api_gap = next(g for g in territory_api["gaps"] if g["job_code"] == "D0X31")
    assert api_gap["training_places_12_months"] == 18 and api_gap["rome_codes"] == ["H2903"]
    # the tension file (ROME) shows the reviewed FAP family beside each ROME code
    tension_import(
        actor=SYSTEM,
        tensions_path=shared_file("real/economy/tensions_metiers/tensions_metier_bassin_2021_grand_est.csv"),
        bassins_path=shared_file("real/economy/tensions_metiers/bassins_emploi_2019_communes_grand_est.csv"),
    )
    rows = {t["code"]: t for t in tensions(actor=region, territory=zone)["jobs"]}
    assert [code for code, _ in rows["H2903"]["fap"]] == ["D0X31"]
    assert all(t["fap"] == [] for code, t in rows.items() if code != "H2903")
    # steering reads the same figure (every open place of the zone's sessions within 12 months)
    assert territory_skill_figures(actor=region, territory=zone)["training_places_12_months"] == 18


def test_import_training_command_reports_in_french_and_a_dry_run_writes_nothing(tmp_path):
    """Without Certif Info loaded, each session is kept with a French warning naming file, line and field."""
    from django.core.management import call_command

    path = write_sessions(tmp_path, "csv")
    out = io.StringIO()
    call_command("import_training", str(path), "--dry-run", stdout=out)
    assert "4 session(s) de formation, dont 0 reliée(s) à des métiers ROME" in out.getvalue()
    assert not TrainingSession.objects.exists()
    out = io.StringIO()
    call_command("import_training", str(path), stdout=out)
    text = out.getvalue()
    assert (
        "sessions.csv" in text and "certification absente de Certif Info : session sans métier ROME" in text
    )
    assert "colonne code_certification — 4 lignes (lignes 2, 3, 4, 5)" in text
    assert TrainingSession.objects.count() == 4
