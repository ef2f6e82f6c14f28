"""The EIT pages and API for a facilitator: import through the web (dry run then real), detection with reasons,
a synergy created from a suggestion and moved, the board, indicators and CSV export; the API CRUD and detect."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tandem.eit.models import Flow, Synergy, SynergyStageChange
from tests.eit.builders import SCHILTIGHEIM, STRASBOURG, facilitator, located_company
from tests.factories import PASSWORD, epci_org, make_member

pytestmark = pytest.mark.django_db
SXB = "246700488"


@pytest.fixture
def site(ewc):
    org = epci_org(SXB)
    user = facilitator(org, make_member(org))
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    steel_co, steel = located_company(STRASBOURG, name="ACIERIE FICTIVE", lat=48.58, lon=7.75)
    cement_co, cement = located_company(
        SCHILTIGHEIM, name="CIMENTERIE FICTIVE", naf="23.51Z", lat=48.61, lon=7.72
    )
    sheet = (
        "siret;sens;nature;code_dechet;description;quantite;unite\n"
        f"{steel.siret};offre;matière;100202;Laitier;100;t\n"
        f"{cement.siret};besoin;matière;1002;Laitiers;150;t\n"
    ).encode()
    return {
        "org": org,
        "user": user,
        "client": client,
        "sheet": sheet,
        "steel_co": steel_co,
        "cement_co": cement_co,
    }


def test_import_detect_create_move_through_the_web(site):
    client = site["client"]
    assert "Importer une fiche atelier" in client.get("/eit/flux/import/").content.decode()
    upload = {
        "owner": site["org"].pk,
        "file": SimpleUploadedFile("atelier.csv", site["sheet"]),
        "dry_run": "on",
    }
    page = client.post("/eit/flux/import/", upload).content.decode()
    assert "2 flux seraient créé(s)" in page and not Flow.objects.unscoped().exists()
    upload = {"owner": site["org"].pk, "file": SimpleUploadedFile("atelier.csv", site["sheet"])}
    assert client.post("/eit/flux/import/", upload).status_code == 302
    assert Flow.objects.unscoped().count() == 2
    listing = client.get("/eit/").content.decode()
    assert "ACIERIE FICTIVE" in listing and "10 02 02" in listing
    page = client.get(f"/eit/detection/?epci={SXB}").content.decode()
    offer, need = (
        Flow.objects.unscoped().get(direction="offer"),
        Flow.objects.unscoped().get(direction="need"),
    )
    assert f'data-suggestion="{offer.pk}-{need.pk}"' in page
    suggestion = client.get(f"/eit/detection/suggestion/{offer.pk}/{need.pk}/").content.decode()
    assert "Pourquoi" in suggestion and "Créer la synergie" in suggestion
    response = client.post(
        f"/eit/detection/suggestion/{offer.pk}/{need.pk}/", {"owner": site["org"].pk, "notes": ""}
    )
    synergy = Synergy.objects.unscoped().get()
    assert response.status_code == 302 and response["Location"] == f"/eit/synergies/{synergy.pk}/"
    response = client.post(
        f"/eit/synergies/{synergy.pk}/etape/", {"stage": "study", "on": "", "notes": "Essais"}
    )
    # The date is required: nothing moves, a French message says why.
    synergy.refresh_from_db()
    assert synergy.stage == "idea"
    client.post(
        f"/eit/synergies/{synergy.pk}/etape/",
        {"stage": "study", "on": synergy.stage_since.isoformat(), "notes": "Essais"},
    )
    synergy.refresh_from_db()
    assert synergy.stage == "study" and SynergyStageChange.objects.filter(synergy=synergy).count() == 2
    board = client.get("/eit/synergies/").content.decode()
    assert synergy.title in board
    assert "Essais" in client.get(f"/eit/synergies/{synergy.pk}/").content.decode()
    indicators = client.get("/eit/indicateurs/").content.decode()
    assert 'data-stage="study"' in indicators
    company_page = client.get(f"/eit/entreprises/{site['cement_co'].pk}/").content.decode()
    assert synergy.title in company_page
    for url in (
        "/eit/",
        f"/eit/detection/?epci={SXB}",
        "/eit/synergies/",
        f"/eit/synergies/{synergy.pk}/",
        "/eit/indicateurs/",
        f"/eit/flux/{offer.pk}/",
        f"/eit/entreprises/{site['cement_co'].pk}/",
        f"/eit/detection/suggestion/{offer.pk}/{need.pk}/",
        f"/entreprises/{site['cement_co'].pk}/",
    ):
        assert "MISSING" not in client.get(url).content.decode(), url
    export = client.get("/eit/flux/export.csv").content.decode()
    rows = list(csv.reader(io.StringIO(export), delimiter=";"))
    assert rows[0][0] == "siret" and len(rows) == 3
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(client.get("/eit/flux/export.xlsx").content), read_only=True)
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    assert sheet_rows[0][0] == "siret" and len(sheet_rows) == 3
    assert {r[0] for r in sheet_rows[1:]} == {r[0] for r in rows[1:]}


def test_import_errors_are_shown_in_french(site):
    bad = b"siret;sens;nature\n123;peut-etre;chaleur\n"
    page = (
        site["client"]
        .post("/eit/flux/import/", {"owner": site["org"].pk, "file": SimpleUploadedFile("fiche.csv", bad)})
        .content.decode()
    )
    assert "fiche.csv, ligne 2, champ « siret »" in page and "rien n&#x27;a été importé" in page


def test_api_crud_and_detect(site):
    client = site["client"]
    steel = site["steel_co"].establishments.get()
    cement = site["cement_co"].establishments.get()
    made = client.post(
        "/api/v1/eit/flows/",
        {
            "owner": site["org"].pk,
            "establishment": steel.siret,
            "direction": "offer",
            "kind": "material",
            "ewc": "100202",
            "quantity": 100,
            "unit": "t",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    offer = made.json()["id"]
    need = client.post(
        "/api/v1/eit/flows/",
        {
            "owner": site["org"].pk,
            "establishment": cement.siret,
            "direction": "need",
            "kind": "material",
            "ewc": "1002",
            "quantity": 40,
            "unit": "t",
        },
        content_type="application/json",
    ).json()["id"]
    bad = client.post(
        "/api/v1/eit/flows/",
        {
            "owner": site["org"].pk,
            "establishment": steel.siret,
            "direction": "offer",
            "kind": "heat",
            "resource": "heat",
            "unit": "t",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "unité" in bad.json()["detail"]
    assert (
        client.patch(
            f"/api/v1/eit/flows/{offer}/", {"quantity": 120}, content_type="application/json"
        ).json()["quantity"]
        == 120
    )
    detected = client.post("/api/v1/eit/detect/", {"epci": SXB}, content_type="application/json").json()
    top = detected["suggestions"][0]
    assert (
        (top["supplier_flow"], top["receiver_flow"]) == (offer, need)
        and top["reasons"]
        and top["quantity"] == 40
    )
    created = client.post(
        "/api/v1/eit/synergies/",
        {"owner": site["org"].pk, "supplier_flow": offer, "receiver_flow": need},
        content_type="application/json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    moved = client.patch(
        f"/api/v1/eit/synergies/{pk}/", {"stage": "study", "notes": "API"}, content_type="application/json"
    ).json()
    assert moved["stage"] == "study" and [h["to_stage"] for h in moved["history"]] == ["idea", "study"]
    assert client.delete(f"/api/v1/eit/synergies/{pk}/").status_code == 400  # past « idée »: abandon instead
    assert client.delete(f"/api/v1/eit/flows/{offer}/").status_code == 400  # used by a synergy
    reader = make_member(site["org"], role="lecteur")
    other = Client()
    other.login(username=reader.username, password=PASSWORD)
    assert other.get(f"/api/v1/eit/synergies/{pk}/").status_code == 200
    assert (
        other.patch(
            f"/api/v1/eit/synergies/{pk}/", {"stage": "negotiation"}, content_type="application/json"
        ).status_code
        == 403
    )
