"""`/api/v1/decarbonation/`: installations (public registry data), the trajectory, projects through the
permission layer with aid amounts under instruction masked."""

import csv

import pytest
from rest_framework.test import APIClient

from tandem.decarbonation.importers import eutl_import
from tandem.decarbonation.models import Installation
from tandem.organizations.models import Role
from tests.factories import epci_org, make_member, region_org

from .conftest import EUTL, read_csv


@pytest.fixture
def bas_rhin(db, tmp_path):
    rows = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10" and r["ZipCode"].startswith("67")]
    path = tmp_path / "installations_67.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    eutl_import(path=path)
    return rows


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_installations_trajectory_and_projects(bas_rhin):
    region = region_org("44")
    reader = make_member(region, Role.LECTEUR)
    sxb = epci_org("246700488")
    contributor = make_member(sxb, Role.CONTRIBUTEUR)
    other = make_member(epci_org("200039709"), Role.LECTEUR)

    assert APIClient().get("/api/v1/decarbonation/installations/").status_code in (401, 403)
    listing = api(reader).get("/api/v1/decarbonation/installations/?departement=67").json()
    assert listing["count"] == Installation.objects.filter(departement_code="67").count() > 0
    expected_2022 = sum(
        int(r["VerifiedEmissions_2022"]) for r in bas_rhin if r["VerifiedEmissions_2022"].isdigit()
    )
    total = 0.0
    page = "/api/v1/decarbonation/installations/?departement=67"
    while page:
        data = api(reader).get(page).json()
        total += sum(e["value_t"] for i in data["results"] for e in i["emissions"] if e["year"] == 2022)
        page = data["next"]
    assert total == pytest.approx(expected_2022)
    assert api(reader).get("/api/v1/decarbonation/installations/99999999999999999999/").status_code == 404

    trajectory = api(reader).get("/api/v1/decarbonation/trajectory/?type=region&code=44").json()
    assert trajectory["objectif_t"] == 5_300_000 and trajectory["annee_reference"] == 2019
    assert trajectory["mesure"]["2022"] >= expected_2022  # plus the diffuse estimate (no SIRENE here: 0)
    assert api(reader).get("/api/v1/decarbonation/trajectory/?type=epci&code=000").status_code == 400

    site = Installation.objects.create(name="Chaufferie test", commune_id="67482", departement_code="67")
    body = {
        "owner": sxb.pk,
        "installation": site.pk,
        "visibility": "network",
        "title": "Réseau de chaleur",
        "lever": "heat_recovery",
        "status": "aid_requested",
        "expected_t_per_year": 1000,
        "start_year": 2027,
        "aid_requested_eur": 200000,
    }
    assert api(other).post("/api/v1/decarbonation/projects/", body, format="json").status_code == 403
    created = api(contributor).post("/api/v1/decarbonation/projects/", body, format="json")
    assert created.status_code == 201 and created.json()["aid_requested_eur"] == 200000
    seen_by_other = api(other).get(f"/api/v1/decarbonation/projects/{created.json()['id']}/").json()
    assert seen_by_other["title"] == "Réseau de chaleur" and seen_by_other["aid_requested_eur"] is None
    assert (
        api(reader).get(f"/api/v1/decarbonation/projects/{created.json()['id']}/").json()["aid_requested_eur"]
        == 200000
    )
