"""The land API under the permission layer: lists, sheets, personal fields, indicators, dashboard, layers,
labels and terrain editing with the importer's validation."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tandem.land.models import LabelDecision
from tandem.organizations.models import Role, Visibility
from tests.factories import communes_of, epci_org, make_member, region_org
from tests.land.inventory_builders import make_friche, make_site, make_terrain

pytestmark = pytest.mark.django_db
STRASBOURG, MULHOUSE = "246700488", "200066009"


@pytest.fixture
def world():
    stras, mulh, region = epci_org(STRASBOURG), epci_org(MULHOUSE), region_org()
    site = make_site(
        stras,
        communes_of(STRASBOURG)[0],
        site_nom="ZAE API",
        visibility=Visibility.REGION,
        site_identif_date=dt.date(2024, 1, 1),
        site_actu_date=dt.date(2024, 1, 1),
        tdm_power_mw=12.0,
    )
    sold = make_terrain(
        site,
        2.0,
        terr_stade_comm="vendu, commercialisation achevée",
        terr_acquereur="Acquéreur Fictif SAS",
        terr_m2_prix=35.0,
        terr_identif_date=dt.date(2024, 1, 1),
        terr_actu_date=dt.date(2024, 1, 1),
    )
    make_terrain(site, 7.0)
    make_friche(
        stras, communes_of(STRASBOURG)[0], proprio_nom="M. Propriétaire Fictif", visibility=Visibility.REGION
    )
    hidden = make_site(mulh, communes_of(MULHOUSE)[0], site_nom="Zone cachée")
    return {
        "site": site,
        "sold": sold,
        "hidden": hidden,
        "stras": make_member(stras, Role.CONTRIBUTEUR),
        "region": make_member(region, Role.CONTRIBUTEUR),
        "mulh": make_member(mulh, Role.ADMIN),
    }


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_sites_list_detail_and_personal_fields(world):
    region = client_for(world["region"])
    listed = region.get("/api/v1/land/sites/", {"min_available_ha": 5}).json()
    assert [r["site_nom"] for r in listed["results"]] == ["ZAE API"]
    assert listed["results"][0]["available_ha"] == 7.0
    assert region.get("/api/v1/land/sites/", {"min_available_ha": "beaucoup"}).status_code == 400
    assert region.get("/api/v1/land/sites/", {"vocation": "lunaire"}).status_code == 400
    detail = region.get(f"/api/v1/land/sites/{world['site'].pk}/").json()
    assert detail["indicators"]["terrains"]["now_ha"] == 7.0
    sold = next(t for t in detail["terrains"] if t["terr_id"] == world["sold"].terr_id)
    assert sold["availability"] == "taken" and "terr_acquereur" not in sold and "terr_m2_prix" not in sold
    assert "Acquéreur Fictif" not in str(detail)
    assert region.get(f"/api/v1/land/sites/{world['hidden'].pk}/").status_code == 404
    friche = region.get("/api/v1/land/friches/").json()["results"][0]
    assert "proprio_nom" not in friche
    owner = client_for(world["stras"])
    mine = owner.get(f"/api/v1/land/terrains/{world['sold'].pk}/").json()
    assert mine["terr_acquereur"] == "Acquéreur Fictif SAS" and mine["readiness"]["score"] >= 0
    assert owner.get("/api/v1/land/friches/").json()["results"][0]["proprio_nom"] == "M. Propriétaire Fictif"
    assert client_for(world["mulh"]).get(f"/api/v1/land/terrains/{world['sold'].pk}/").status_code == 404


def test_indicators_dashboard_and_layers(world):
    region = client_for(world["region"])
    ind = region.get(f"/api/v1/land/indicators/epci/{STRASBOURG}/").json()
    assert ind["terrains"]["now_ha"] == 7.0 and ind["terrains"]["taken_ha"] == 2.0
    assert region.get("/api/v1/land/indicators/planete/x/").status_code == 404
    assert region.get("/api/v1/land/indicators/perimeter/abc/").status_code == 404
    board = region.get("/api/v1/land/dashboard/").json()
    assert [(r["code"], r["now_ha"]) for r in board["epci"]] == [(STRASBOURG, 7.0)]
    layers = region.get("/api/v1/land/layers/").json()
    assert len(layers["terrains"]["features"]) == 2 and len(layers["sites"]["features"]) == 1
    colours = {f["properties"]["disponibilite"] for f in layers["terrains"]["features"]}
    assert colours == {"now", "taken"}
    assert "Acquéreur" not in str(layers)


def test_label_workflow_and_terrain_patch(world):
    owner, region = client_for(world["stras"]), client_for(world["region"])
    site = world["site"]
    proposed = owner.post(
        f"/api/v1/land/sites/{site.pk}/label-proposals/",
        {"label": "starest", "proposal_text": "Prête", "sector_priorities": ["batteries"]},
        format="json",
    )
    assert proposed.status_code == 201
    decision_id = proposed.json()["id"]
    assert (
        owner.post(
            f"/api/v1/land/label-decisions/{decision_id}/decision/",
            {"accept": True, "decision_text": "oui"},
            format="json",
        ).status_code
        == 403
    )
    decided = region.post(
        f"/api/v1/land/label-decisions/{decision_id}/decision/",
        {"accept": True, "decision_text": "Accordé", "valid_until": "2030-01-01"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == LabelDecision.Status.LABELLED
    url = f"/api/v1/land/terrains/{world['sold'].pk}/"
    bad = owner.patch(url, {"changes": {"terr_surf_brute": "deux"}}, format="json")
    assert bad.status_code == 400
    assert "champ « terr_surf_brute » : nombre attendu (valeur : « deux »)" in bad.json()["problems"][0]
    ok = owner.patch(url, {"changes": {"terr_etat_occup": "occupé"}}, format="json")
    assert ok.status_code == 200 and ok.json()["terr_etat_occup"] == "occupé"
    assert region.patch(url, {"changes": {"terr_etat_occup": "vacant"}}, format="json").status_code == 403


def test_instance_region_setting_sets_the_default_region(world, settings):
    """`TANDEM_REGION` is the region a dashboard opens on when none is asked for: Grand Est by default, the
    set region otherwise (here Île-de-France, where this world has no land), read in one place."""
    from tandem.decarbonation.selectors import default_region_code
    from tandem.organizations.perms import Actor

    owner = client_for(world["stras"])
    stras_actor = Actor.for_user(world["stras"])
    assert settings.TANDEM_REGION == "44"
    assert [r["code"] for r in owner.get("/api/v1/land/dashboard/").json()["epci"]] == [STRASBOURG]
    assert default_region_code(stras_actor) == "44" and not stras_actor.region_codes
    settings.TANDEM_REGION = "11"
    assert owner.get("/api/v1/land/dashboard/").json()["epci"] == []
    assert default_region_code(stras_actor) == "11"
    asked = owner.get("/api/v1/land/dashboard/", {"region": "44"}).json()
    assert [r["code"] for r in asked["epci"]] == [STRASBOURG]
