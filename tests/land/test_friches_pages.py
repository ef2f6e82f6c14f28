"""Friche pages under /foncier/friches/: list with filters and pagination, sheet (parcels, pollution, ADEME/BASOL
links, history of vintages), edit page with the importer's validation, the map popup's link; every read through
the permission layer."""

import csv
import json

import pytest
from django.urls import reverse

from tandem.core.models import AuditEvent
from tandem.land.models import Friche
from tandem.land.services import land_import
from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tests.conftest import shared_file
from tests.factories import epci_org, make_member, other_org
from tests.land.test_import_friches import DDT08, SETS
from tests.tiles import read_tile, tile_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ddt_world():
    codes = list(Commune.objects.filter(departement_id="08", is_current=True).values_list("pk", flat=True))
    ddt = other_org(Organization.Kind.ETAT, commune_codes=codes)
    report = land_import(
        paths=[shared_file(DDT08)], actor=Actor.system_actor(), sets=SETS, producer_id=ddt.pk
    )
    assert report.errors == []
    with open(shared_file(DDT08), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "ddt": ddt,
        "rows": rows,
        "agent": make_member(ddt, Role.CONTRIBUTEUR),
        "reader": make_member(ddt, Role.LECTEUR),
        "outsider": make_member(epci_org("200041630"), Role.ADMIN),
    }


def test_list_filters_paginates_and_hides_what_is_not_visible(client, ddt_world):
    rows = ddt_world["rows"]
    client.force_login(ddt_world["reader"])
    page = client.get(reverse("www:land:friche_list"))
    assert page.context["count"] == 164 and page.context["page"].paginator.num_pages == 4
    assert len(page.context["page"].object_list) == 50
    second = client.get(reverse("www:land:friche_list"), {"page": 4})
    assert len(second.context["page"].object_list) == 164 - 150
    by_status = client.get(reverse("www:land:friche_list"), {"statut": "friche reconvertie"})
    assert by_status.context["count"] == sum(1 for r in rows if r["site_statut"] == "friche reconvertie") > 0
    one = rows[0]
    searched = client.get(reverse("www:land:friche_list"), {"q": one["site_id"]})
    assert [f.site_id for f in searched.context["page"]] == [one["site_id"]]
    # Another organisation sees none of the DDT's private inventory: no row, 404 on a sheet.
    client.force_login(ddt_world["outsider"])
    assert client.get(reverse("www:land:friche_list")).context["count"] == 0
    friche = Friche.objects.unscoped().get(site_id=one["site_id"])
    assert client.get(reverse("www:land:friche_detail", args=[friche.pk])).status_code == 404
    assert client.get(reverse("www:land:friche_edit", args=[friche.pk])).status_code == 404


def test_sheet_shows_parcels_pollution_links_and_history(client, ddt_world):
    row = next(r for r in ddt_world["rows"] if r["unite_fonciere_refcad"].count("|") >= 1)
    friche = Friche.objects.unscoped().get(site_id=row["site_id"])
    friche.site_ademe_url = "https://fiches-ademe.example.org/site/1"
    friche.sol_depollution_fiche = "javascript:alert(1)"
    friche.unite_fonciere_surface = 19000
    friche.save()
    client.force_login(ddt_world["reader"])
    response = client.get(reverse("www:land:friche_detail", args=[friche.pk]))
    text = response.content.decode()
    parcels = [p for p in row["unite_fonciere_refcad"].split("|") if p.strip()]
    assert [p["idpar"] for p in response.context["parcels"]] == [p.strip() for p in parcels]
    assert all(p.strip() in text for p in parcels)
    assert 'href="https://fiches-ademe.example.org/site/1"' in text
    assert 'href="javascript:' not in text and "Fiche de dépollution (BASOL) : javascript:alert(1)" in text
    assert [v.action for v in response.context["history"]] == ["added"]
    assert "ajouté" in text
    assert "Modifier" not in text  # a reader does not edit
    # Figures read the French way; the geometry is drawn on the map, never printed as WKT.
    fields = dict(response.context["fields"])
    assert not any("POINT" in str(v) or "POLYGON" in str(v) for v in fields.values())
    assert fields["Surface de l'unité foncière"] == "19\u202f000"
    assert "19\u202f000 m²" in text
    # The map's friche feature links to this sheet.
    layers = response.context["map"]["layers"]
    assert layers["friches"]["features"][0]["properties"]["lien"] == reverse(
        "www:land:friche_detail", args=[friche.pk]
    )


def test_map_popup_links_to_the_friche_sheet(client, ddt_world, tmp_path):
    """The land map's friche tiles hold every friche (164, no cap) and each feature's link opens its sheet."""
    client.force_login(ddt_world["reader"])
    page = client.get(reverse("www:land:map")).content.decode()
    config = json.loads(page.split('<script id="map-data" type="application/json">')[1].split("</script>")[0])
    # The land map's one tile source of sites, terrains and friches.
    friches_url = next(t["url"] for t in config["tiles"] if "friches" in t.get("layers", [t["name"]]))
    rows, _ = read_tile(tmp_path, client, friches_url, 0, 0, 0)["friches"]
    assert len(rows) == 164
    friche = Friche.objects.unscoped().get(site_id=ddt_world["rows"][0]["site_id"])
    z, x, y = tile_of(friche.centroid_lon, friche.centroid_lat, 14)
    rows, _ = read_tile(tmp_path, client, friches_url, z, x, y)["friches"]
    feature = next(r for r in rows if r["code"] == friche.site_id)
    link = config["links"]["friches"].format(**feature)
    assert link == reverse("www:land:friche_detail", args=[friche.pk])
    assert client.get(link).status_code == 200


def test_edit_uses_the_importer_validation_with_form_errors(client, ddt_world):
    friche = Friche.objects.unscoped().get(site_id=ddt_world["rows"][0]["site_id"])
    url = reverse("www:land:friche_edit", args=[friche.pk])
    client.force_login(ddt_world["reader"])
    assert client.get(url).status_code == 403
    client.force_login(ddt_world["agent"])
    form = client.get(url)
    assert form.status_code == 200
    data = dict(form.context["form"].initial)
    bad = client.post(url, {**data, "sol_pollution_existe": "peut-être", "unite_fonciere_surface": "grand"})
    errors = bad.context["form"].errors
    assert errors["sol_pollution_existe"][0].startswith("valeur hors de la liste du standard")
    assert "unite_fonciere_surface" in errors and "ligne 1" not in bad.content.decode()
    friche.refresh_from_db()
    assert friche.sol_pollution_existe != "peut-être"
    ok = client.post(url, {**data, "sol_pollution_existe": "pollution avérée"}, follow=True)
    assert ok.redirect_chain[-1][0] == reverse("www:land:friche_detail", args=[friche.pk])
    friche.refresh_from_db()
    assert friche.sol_pollution_existe == "pollution avérée"
    event = AuditEvent.objects.get(action="update", object_type="land.friche", object_id=str(friche.pk))
    assert event.details["changes"]["sol_pollution_existe"][1] == "pollution avérée"
