"""The /foncier/ pages through Django's test client: lists and filters, the site sheet, personal fields,
terrain editing with the importer's validation, the import page and its report, labels, dashboard, downloads."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from tandem.core.models import AuditEvent
from tandem.imports.models import ImportRun
from tandem.land.models import Friche, LabelDecision, Site, Terrain
from tandem.organizations.models import Role, Visibility
from tandem.www.land import views as land_views
from tests.conftest import shared_file
from tests.factories import communes_of, epci_org, make_member, make_user, region_org
from tests.land.inventory_builders import make_site, make_terrain, write_inventory_files

pytestmark = pytest.mark.django_db
STRASBOURG, MULHOUSE = "246700488", "200066009"


@pytest.fixture
def world():
    stras, mulh, region = epci_org(STRASBOURG), epci_org(MULHOUSE), region_org()
    c = communes_of(STRASBOURG)
    site = make_site(
        stras,
        c[0],
        site_nom="ZAE du Port Fictif",
        visibility=Visibility.REGION,
        site_identif_date=dt.date(2024, 1, 1),
        site_actu_date=dt.date(2024, 1, 1),
    )
    sold = make_terrain(
        site,
        3.0,
        terr_stade_comm="vendu, commercialisation achevée",
        terr_acquereur="Société Acquéreuse Fictive",
        terr_vente_montant=450000.0,
        terr_identif_date=dt.date(2024, 1, 1),
        terr_actu_date=dt.date(2024, 1, 1),
    )
    free = make_terrain(site, 5.0, terr_identif_date=dt.date(2024, 1, 1), terr_actu_date=dt.date(2024, 1, 1))
    small = make_site(
        stras,
        c[1],
        site_nom="Petite zone artisanale",
        site_vocadomi="artisanale",
        visibility=Visibility.REGION,
    )
    make_terrain(small, 0.5)
    hidden = make_site(mulh, communes_of(MULHOUSE)[0], site_nom="Zone privée de Mulhouse")
    make_terrain(hidden, 9.0)
    return {
        "stras": stras,
        "mulh": mulh,
        "region": region,
        "site": site,
        "sold": sold,
        "free": free,
        "hidden": hidden,
        "contrib": make_member(stras, Role.CONTRIBUTEUR),
        "reader": make_member(stras, Role.LECTEUR),
        "region_user": make_member(region, Role.CONTRIBUTEUR),
        "mulh_user": make_member(mulh, Role.ADMIN),
    }


def test_list_filters_and_permissions(client, world):
    client.force_login(world["region_user"])
    page = client.get(reverse("www:land:site_list")).content.decode()
    assert "ZAE du Port Fictif" in page and "Petite zone artisanale" in page
    assert "Zone privée de Mulhouse" not in page
    # Figures are shown the French way.
    assert 'data-figure="sites-count">2<' in page and 'data-figure="available-ha">5,5<' in page
    # A page number past the end shows the last page, with the same figures (count and total read with the
    # page's rows), and unfiltered figures do not depend on the page.
    past = client.get(reverse("www:land:site_list"), {"page": 9}).content.decode()
    assert "ZAE du Port Fictif" in past and 'data-figure="sites-count">2<' in past
    assert 'data-figure="available-ha">5,5<' in past
    filtered = client.get(reverse("www:land:site_list"), {"vocation": "artisanale"}).content.decode()
    assert "Petite zone artisanale" in filtered and "ZAE du Port Fictif" not in filtered
    available = client.get(reverse("www:land:site_list"), {"min_available_ha": "2"}).content.decode()
    assert "ZAE du Port Fictif" in available and "Petite zone artisanale" not in available
    # Readiness: the planted zones declare no extension, so they score 15/100 (no known pollution).
    assert (
        "ZAE du Port Fictif"
        not in client.get(reverse("www:land:site_list"), {"min_readiness": 90}).content.decode()
    )
    assert (
        "ZAE du Port Fictif"
        in client.get(reverse("www:land:site_list"), {"min_readiness": 10}).content.decode()
    )
    world["free"].terr_cle_en_main = True
    world["free"].save()
    turnkey = client.get(reverse("www:land:site_list"), {"cle_en_main": "oui"}).content.decode()
    assert "ZAE du Port Fictif" in turnkey and "Petite zone artisanale" not in turnkey
    epci = client.get(
        reverse("www:land:site_list"), {"epci": STRASBOURG, "etat": "existant et actif"}
    ).content.decode()
    assert 'data-figure="sites-count">2<' in epci
    csv_text = client.get(reverse("www:land:download_sites_csv")).content.decode()
    assert csv_text.count("\n") == 3 and "Zone privée" not in csv_text
    geo = json.loads(client.get(reverse("www:land:download_geojson", args=["terrains"])).content)
    assert len(geo["features"]) == 3
    assert all("acquereur" not in json.dumps(f["properties"]) for f in geo["features"])
    assert AuditEvent.objects.filter(action="export", object_type="land.site").count() == 1


def test_site_sheet_hides_personal_fields_outside_the_owner_and_404s_for_others(client, world):
    url = reverse("www:land:site_detail", args=[world["site"].pk])
    client.force_login(world["contrib"])
    owner_page = client.get(url).content.decode()
    assert "Société Acquéreuse Fictive" in owner_page and "450\u202f000\u00a0€" in owner_page
    assert "450000" not in owner_page  # amounts are shown the French way, with their unit
    assert "Maturité et verrous" in owner_page and "Modifier" in owner_page
    # One vacancy figure: the producer's declared rate, the same in the tile and in the field list.
    world["site"].site_taux_vacance = 40.0
    world["site"].site_uf_nbre = 3.0
    world["site"].save()
    sheet = client.get(url)
    assert sheet.context["vacancy_percent"] == 40.0
    tile = re.search(r"<dt>Taux de vacance</dt><dd>([^<]*)<", sheet.content.decode()).group(1)
    assert tile == "40 %"
    fields = dict(sheet.context["site_fields"])
    assert fields["Taux de vacance"] == "40" and fields["Nombre d'unités foncières"] == "3"
    assert not any(label.endswith(")") and "(" in label and "_" in label for label in fields)
    client.force_login(world["region_user"])
    region_page = client.get(url).content.decode()
    assert "ZAE du Port Fictif" in region_page and "Société Acquéreuse Fictive" not in region_page
    assert "450\u202f000" not in region_page
    client.force_login(world["mulh_user"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("www:land:site_detail", args=[world["hidden"].pk])).status_code == 200


def test_terrain_edit_uses_the_importer_validation(client, world):
    free = world["free"]
    url = reverse("www:land:terrain_edit", args=[free.pk])
    client.force_login(world["reader"])
    assert client.get(url).status_code == 403
    client.force_login(world["mulh_user"])
    assert client.get(url).status_code == 404
    client.force_login(world["contrib"])
    form = client.get(url)
    assert form.status_code == 200
    fields = form.context["form"].fields
    assert fields["tdm_power_mw"].label == "Puissance électrique disponible (MW)"
    # The standard's numeric columns carry their unit, read from the schema's description.
    assert fields["terr_surf_brute"].label == "Superficie brute (ha)"
    assert fields["terr_vente_montant"].label == "Montant de la vente (€)"
    assert fields["terr_m2_prix"].label == "Prix au m² (€/m²)"
    assert not any(f.label.endswith(f"({name})") for name, f in fields.items())
    data = {k: v for k, v in form.context["form"].initial.items()}
    bad = client.post(url, {**data, "terr_surf_brute": "cinq", "terr_stade_comm": "bradé"})
    text = bad.content.decode()
    # Errors read as a form's, on their field, not as an import's (« ligne 1, champ … »).
    errors = bad.context["form"].errors
    assert errors["terr_surf_brute"] == ["nombre attendu (« cinq »)"]
    assert errors["terr_stade_comm"][0].startswith("valeur hors de la liste du standard")
    assert "ligne 1" not in text and "formulaire de modification" not in text
    free.refresh_from_db()
    assert free.terr_surf_brute == 5.0 and free.terr_stade_comm == "en vente"
    ok = client.post(url, {**data, "terr_stade_comm": "Réservé par option de réservation "}, follow=True)
    assert ok.redirect_chain[-1][0] == reverse("www:land:site_detail", args=[free.site_eco_id])
    free.refresh_from_db()
    assert free.terr_stade_comm == "réservé par option de réservation"
    assert free.terr_actu_date == dt.date.today()
    assert "valeur normalisée" in ok.content.decode()
    event = AuditEvent.objects.get(action="update", object_type="land.terrain", object_id=str(free.pk))
    assert event.details["changes"]["terr_stade_comm"] == ["en vente", "réservé par option de réservation"]


def test_import_page_runs_the_import_and_shows_the_report(client, world, tmp_path, monkeypatch):
    monkeypatch.setattr(land_views, "IMPORT_IN_BACKGROUND", False)
    paths = write_inventory_files(
        tmp_path,
        STRASBOURG,
        [{"terr_surf_brute": "4"}, {"terr_surf_brute": "2", "terr_etat_occup": "occupé"}],
    )
    client.force_login(world["contrib"])
    files = [open(p, "rb") for p in paths]  # noqa: SIM115
    try:
        response = client.post(
            reverse("www:land:import"),
            {"files": files, "epci": STRASBOURG, "visibility": Visibility.REGION, "sets": ""},
        )
    finally:
        for f in files:
            f.close()
    run = ImportRun.objects.latest("pk")
    assert response.status_code == 302 and response.url == reverse("www:imports:detail", args=[run.pk])
    assert run.status == ImportRun.Status.DONE, run.problems
    report = client.get(response.url).content.decode()
    assert 'id="import-report"' in report and "terrain-eco : 2 lue(s)" in report
    status = client.get(reverse("www:imports:status", args=[run.pk])).json()
    assert status["finished"] and status["percent"] == 100
    imported = Terrain.objects.unscoped().filter(site_eco__site_id__endswith="_ZAE1")
    assert imported.count() == 2 and set(imported.values_list("visibility", flat=True)) == {Visibility.REGION}
    # The Region now counts the new 4 ha on its dashboard.
    client.force_login(world["region_user"])
    board = client.get(reverse("www:land:dashboard")).content.decode()
    # The file is the EPCI's whole inventory: its zones absent from the file are removed in the new vintage,
    # so the Region now counts exactly the file's 4 ha for sale (the 2 ha terrain is occupied).
    assert 'data-figure="region-available-ha">4\u00a0ha<' in board
    # Another EPCI's user cannot read this import's report.
    client.force_login(world["mulh_user"])
    assert client.get(reverse("www:imports:detail", args=[run.pk])).status_code == 404

    # A newer file: a new vintage, and the site sheet shows what changed, field by field.
    paths = write_inventory_files(
        tmp_path / "v2",
        STRASBOURG,
        [{"terr_surf_brute": "5"}, {"terr_surf_brute": "2", "terr_etat_occup": "occupé"}],
    )
    client.force_login(world["contrib"])
    files = [open(p, "rb") for p in paths]  # noqa: SIM115
    try:
        client.post(reverse("www:land:import"), {"files": files, "epci": STRASBOURG, "visibility": "region"})
    finally:
        for f in files:
            f.close()
    site = Site.objects.unscoped().get(site_id__endswith="_ZAE1")
    sheet = client.get(reverse("www:land:site_detail", args=[site.pk])).content.decode()
    assert "terr_surf_brute : « 4 » → « 5 »" in sheet
    assert "n° 2" in sheet


def test_import_page_refuses_the_real_ddt08_file_with_its_missing_columns(client, world, monkeypatch):
    monkeypatch.setattr(land_views, "IMPORT_IN_BACKGROUND", False)
    admin = make_user(superuser=True)
    client.force_login(admin)
    with open(shared_file("real/land/ddt08_ardennes_friches.csv"), "rb") as handle:
        response = client.post(
            reverse("www:land:import"), {"files": [handle], "visibility": Visibility.REGION}
        )
    run = ImportRun.objects.latest("pk")
    assert run.status == ImportRun.Status.REFUSED
    page = client.get(response.url).content.decode()
    for column in ("site_identif_date", "site_actu_date", "urba_zaer", "source_nom"):
        assert column in page
    assert not Friche.objects.unscoped().exists()
    # The same form with the four columns filled for the whole file (« --set »): imported, with warnings.
    sets = (
        "site_identif_date=2025-12-15\nsite_actu_date=2025-12-15\nurba_zaer=inconnu\n"
        "source_nom=DDT des Ardennes, observatoire des friches"
    )
    with open(shared_file("real/land/ddt08_ardennes_friches.csv"), "rb") as handle:
        response = client.post(
            reverse("www:land:import"), {"files": [handle], "visibility": Visibility.REGION, "sets": sets}
        )
    run = ImportRun.objects.latest("pk")
    assert run.status == ImportRun.Status.DONE and run.options["set"]["urba_zaer"] == "inconnu"
    assert Friche.objects.unscoped().count() == 164
    page = client.get(response.url).content.decode()
    assert 'id="import-warnings"' in page and "’" in page
    # The Région (friches shared with it) counts them in the Ardennes.
    client.force_login(world["region_user"])
    ardennes = client.get(reverse("www:land:indicators", args=["departement", "08"])).content.decode()
    assert "164 friche(s)" in ardennes


def test_label_workflow_from_the_site_sheet(client, world):
    site = world["site"]
    client.force_login(world["contrib"])
    client.post(
        reverse("www:land:label_propose", args=[site.pk]),
        {"label": "starest", "proposal_text": "Zone prête", "sector_priorities": "batteries, hydrogène"},
    )
    decision = LabelDecision.objects.get()
    client.force_login(world["region_user"])
    assert "Zone prête" in client.get(reverse("www:land:labels")).content.decode()
    client.post(
        reverse("www:land:label_decide", args=[decision.pk]),
        {"accept": "oui", "decision_text": "Accordé en commission permanente", "valid_until": "2029-12-31"},
    )
    site.refresh_from_db()
    assert site.tdm_labels == ["STAR'EST"] and site.tdm_sector_priorities == ["batteries", "hydrogène"]
    client.force_login(world["contrib"])
    client.post(
        reverse("www:land:site_sectors", args=[site.pk]), {"sector_priorities": "batteries, chimie verte"}
    )
    site.refresh_from_db()
    assert site.tdm_sector_priorities == ["batteries", "chimie verte"]
    client.force_login(world["mulh_user"])
    assert (
        client.post(reverse("www:land:site_sectors", args=[site.pk]), {"sector_priorities": "x"}).status_code
        == 404
    )
    client.force_login(world["region_user"])
    listed = client.get(reverse("www:land:site_list"), {"label": "STAR'EST"}).content.decode()
    assert "ZAE du Port Fictif" in listed and "Petite zone artisanale" not in listed


def test_dashboard_and_indicator_pages(client, world):
    client.force_login(world["region_user"])
    board = client.get(reverse("www:land:dashboard"))
    text = board.content.decode()
    assert 'data-figure="region-available-ha">5,5\u00a0ha<' in text
    assert "<svg" in text and f'data-code="{STRASBOURG}"' in text and f'data-code="{MULHOUSE}"' not in text
    # SVG coordinates are plain numbers (not French-formatted), so the bars are drawn.
    assert re.search(r'<rect x="0(\.0)?" y="2" width="\d+(\.\d+)?" height="16" fill="#18753c">', text)
    board_map = board.context["map"]
    assert len(board_map["layers"]["epcis"]["features"]) == 1  # the EPCI shaded by its available land
    # The three land layers in one tile source: one request per tile carries the three MVT layers.
    assert [(t["name"], t["layers"]) for t in board_map["tiles"]] == [
        ("foncier", ["sites", "terrains", "friches"])
    ]
    assert board_map["tiles"][0]["url"] == "/foncier/tuiles/sites,terrains,friches/{z}/{x}/{y}.pbf"
    page = client.get(reverse("www:land:indicators", args=["departement", "67"])).content.decode()
    assert 'data-figure="available-ha">5,5\u00a0ha<' in page
    assert client.get(reverse("www:land:indicators", args=["commune", "67482"])).status_code == 404
    from tandem.organizations.perms import Actor
    from tandem.territories.perimeters import perimeter_create

    perimeter = perimeter_create(
        actor=Actor.for_user(world["region_user"]),
        owner=world["region"],
        name="Bande rhénane",
        members=communes_of(STRASBOURG)[:1],
    )
    board = client.get(reverse("www:land:dashboard")).content.decode()
    assert reverse("www:land:indicators", args=["perimeter", perimeter.pk]) in board
    page = client.get(reverse("www:land:indicators", args=["perimeter", perimeter.pk])).content.decode()
    assert 'data-figure="available-ha">5\u00a0ha<' in page
    map_page = client.get(reverse("www:land:map"), {"epci": STRASBOURG})
    land_map = map_page.context["map"]
    # The land layers are vector tiles narrowed by the page's filters; the map opens on the filtered sites.
    assert land_map["tiles"][0]["url"] == (
        f"/foncier/tuiles/sites,terrains,friches/{{z}}/{{x}}/{{y}}.pbf?epci={STRASBOURG}"
    )
    west, south, east, north = land_map["bounds"]
    sites = Site.objects.unscoped().filter(commune__epci_id=STRASBOURG)
    assert sites.count() == 2
    for site in sites:
        w, s_, e, n = site.geometry.extent
        assert west <= w and south <= s_ and east >= e and north >= n


def test_site_readiness_counts_the_pollution_of_its_friches(client, world):
    from tandem.land.selectors import site_list
    from tandem.organizations.perms import Actor
    from tests.land.inventory_builders import make_friche

    actor = Actor.for_user(world["contrib"])
    before = {s.pk: s.readiness.score for s in site_list(actor)}[world["site"].pk]
    make_friche(
        world["stras"],
        world["site"].commune_id,
        site_eco=world["site"],
        sol_pollution_existe="pollution avérée",
    )
    after = {s.pk: s.readiness for s in site_list(actor)}[world["site"].pk]
    assert after.score == before - 15
    assert any(b.category == "pollution" and b.lifts_on is None for b in after.blocks)
    client.force_login(world["contrib"])
    sheet = client.get(reverse("www:land:site_detail", args=[world["site"].pk])).content.decode()
    assert "dépollution à réaliser (pollution avérée)" in sheet


def test_cnig_download_in_the_standard_layout_without_personal_fields(client, world):
    import csv
    import io
    import zipfile

    client.force_login(world["region_user"])
    response = client.get(reverse("www:land:download_cnig"), {"format": "csv", "epci": STRASBOURG})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"site-eco.csv", "terrain-eco.csv", "pole-eco.csv", "etablissement.csv"} <= set(archive.namelist())
    text = archive.read("terrain-eco.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=text.split("\n")[0][len("terr_id")]))
    assert len(rows) == 3 and "Société Acquéreuse Fictive" not in text
    assert client.get(reverse("www:land:download_cnig"), {"format": "exe"}).status_code == 404
    client.force_login(world["contrib"])
    owner = zipfile.ZipFile(
        io.BytesIO(client.get(reverse("www:land:download_cnig"), {"epci": STRASBOURG}).content)
    )
    assert "Société Acquéreuse Fictive" in owner.read("terrain-eco.csv").decode("utf-8-sig")
