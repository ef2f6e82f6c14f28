"""Decarbonation pages and the role × object access matrix, on the real EUTL extract's Grand Est accounts."""

import csv
import math

import pytest

from tandem.companies.models import Company, Establishment
from tandem.core.errors import NotAllowed
from tandem.decarbonation import selectors as sel
from tandem.decarbonation.importers import eutl_import
from tandem.decarbonation.models import EstablishmentLink, Installation, MajorEmitter, Project
from tandem.decarbonation.perms import aid_amounts_visible
from tandem.decarbonation.services import links_refresh, major_emitters_set, project_create
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor, scope_queryset
from tests.factories import PASSWORD, epci_org, make_member, make_user, region_org

from .conftest import EUTL, read_csv

GE = ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")
STRASBOURG_EPCI, METZ_EPCI = "246700488", "200039709"


@pytest.fixture
def grand_est(db, tmp_path):
    """The real EUTL accounts of Grand Est (installations file rows whose postcode is in its départements)."""
    rows = [r for r in read_csv(EUTL) if r["MainActivityTypeCode"] != "10" and r["ZipCode"][:2] in GE]
    path = tmp_path / "installations_grand_est.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    eutl_import(path=path)
    return rows


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_region_user_dashboard_site_link_and_project_move_the_trajectory(client, grand_est):
    region = region_org("44")
    user = make_member(region, Role.CONTRIBUTEUR)
    login(client, user)
    page = client.get("/decarbonation/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="courbe-cible"' in text and 'id="courbe-mesure"' in text
    assert "Objectif : −5\u202f300\u202f000 tCO2e" in text or "Objectif : −5 300 000 tCO2e" in text
    assert "proposition par défaut" in text  # no list chosen by the Région yet
    # the biggest GE emitter of 2022 is on the dashboard
    biggest = max(
        (r for r in grand_est if r["VerifiedEmissions_2022"].isdigit()),
        key=lambda r: int(r["VerifiedEmissions_2022"]),
    )
    inst = Installation.objects.get(ets_accounts__eutl_id=biggest["InstallationOrAircraftOperatorID"])
    assert f'href="/decarbonation/installations/{inst.pk}/"' in text
    # an ambiguous establishment link, confirmed from the review list
    siren = inst.siren
    Company.objects.get_or_create(siren=siren, defaults={"name": inst.operator_name})
    for nic in ("00011", "00022"):
        Establishment.objects.create(
            siret=siren + nic, company_id=siren, nic=nic, state="A", postcode=inst.postcode
        )
    links_refresh(installation_ids=[inst.pk])
    review = client.get("/decarbonation/liens/").content.decode()
    assert inst.name in review and siren + "00011" in review and siren + "00022" in review
    candidate = inst.links.get(establishment_id=siren + "00022")
    client.post(f"/decarbonation/liens/{candidate.pk}/confirmer/")
    candidate.refresh_from_db()
    assert candidate.status == EstablishmentLink.Status.CONFIRMED
    # a project with its expected tCO2e: the projected trajectory moves by that much
    actor = Actor.for_user(user)
    territory = sel.territory_get(actor, "region", "44")
    before = sel.trajectory(actor, territory).projected
    sheet = client.get(f"/decarbonation/installations/{inst.pk}/").content.decode()
    assert inst.name in sheet and "Enregistrer un projet" in sheet
    # EUTL's English (activities, account statuses) never reaches the page
    from tests.www.test_crawl import FORBIDDEN, visible_text

    text = visible_text(sheet)
    assert not [p.pattern for p in FORBIDDEN if p.search(text)]
    assert "Combustion of" not in text and "Production of" not in text and "open" not in text.split()
    response = client.post(
        f"/decarbonation/installations/{inst.pk}/projet/",
        {
            "owner": region.pk,
            "title": "Électrification du four",
            "lever": "electrification",
            "status": "study",
            "expected_t_per_year": "50000",
            "start_year": "2026",
            "visibility": "region",
        },
    )
    assert response.status_code == 302
    project = Project.objects.unscoped().get()
    assert project.company_id == siren  # through the confirmed link: it joins the company's timeline
    after = sel.trajectory(actor, territory).projected
    assert after[2026] == pytest.approx(before[2026] - 50_000)
    assert after[2025] == pytest.approx(before[2025])
    company_page = client.get(f"/entreprises/{siren}/").content.decode()
    assert "Projet de décarbonation : Électrification du four" in company_page


@pytest.mark.django_db
def test_access_matrix(client, grand_est):
    region = region_org("44")
    strasbourg, metz = epci_org(STRASBOURG_EPCI), epci_org(METZ_EPCI)
    people = {
        "région lecteur": make_member(region, Role.LECTEUR),
        "région contributeur": make_member(region, Role.CONTRIBUTEUR),
        "EPCI contributeur": make_member(strasbourg, Role.CONTRIBUTEUR),
        "autre EPCI lecteur": make_member(metz, Role.LECTEUR),
        "administrateur plateforme": make_user(superuser=True),
    }
    actors = {name: Actor.for_user(user) for name, user in people.items()}
    site = Installation.objects.create(name="Chaufferie test", commune_id="67482", departement_code="67")
    private = project_create(
        actor=actors["EPCI contributeur"],
        owner=strasbourg,
        installation=site,
        title="Récupération de chaleur",
        lever="heat_recovery",
        status="aid_requested",
        expected_t_per_year=800,
        start_year=2027,
        aid_requested_eur=120000,
    )
    network = project_create(
        actor=actors["EPCI contributeur"],
        owner=strasbourg,
        installation=site,
        title="Biomasse",
        lever="biomass",
        status="aid_requested",
        expected_t_per_year=500,
        start_year=2027,
        aid_requested_eur=90000,
        visibility=Visibility.NETWORK,
    )
    expected = {
        # name: (sheet readable, confirms links, sees private project, sees network project, its aid amounts, edits major list)
        "région lecteur": (True, False, False, True, True, False),
        "région contributeur": (True, True, False, True, True, True),
        "EPCI contributeur": (True, False, True, True, True, False),
        "autre EPCI lecteur": (True, False, False, True, False, False),
        "administrateur plateforme": (True, True, True, True, True, True),
    }
    inst = Installation.objects.exclude(siren="").filter(in_ets=True).first()
    for name, user in people.items():
        actor = actors[name]
        client.logout()
        login(client, user)
        sheet = client.get(f"/decarbonation/installations/{site.pk}/")
        visible = set(scope_queryset(actor, Project.objects.all()).values_list("pk", flat=True))
        link = EstablishmentLink(
            installation=inst, establishment_id="00000000000000", method="manual", score=1, status="proposed"
        )
        Company.objects.get_or_create(siren="000000000")
        Establishment.objects.get_or_create(
            siret="00000000000000", defaults={"company_id": "000000000", "nic": "00000", "state": "A"}
        )
        link.save()
        confirmed = client.post(f"/decarbonation/liens/{link.pk}/confirmer/")
        link.refresh_from_db()
        try:
            major_emitters_set(actor=actor, region_code="44", installation_ids=[inst.pk])
            edits = True
        except NotAllowed:
            edits = False
        got = (
            sheet.status_code == 200 and "Chaufferie test" in sheet.content.decode(),
            link.status == "confirmed",
            private.pk in visible,
            network.pk in visible,
            aid_amounts_visible(actor, network),
            edits,
        )
        assert got == expected[name], name
        assert confirmed.status_code == 302
        link.delete()
        MajorEmitter.objects.all().delete()
    # the aid under instruction is not printed for the other EPCI
    client.logout()
    login(client, people["autre EPCI lecteur"])
    sheet = client.get(f"/decarbonation/installations/{site.pk}/").content.decode()
    assert "en instruction (non communiqué)" in sheet and "90\u202f000" not in sheet and "90 000" not in sheet
    client.logout()
    assert client.get(f"/decarbonation/installations/{site.pk}/").status_code == 302  # anonymous: login page


@pytest.mark.django_db
def test_exports_major_list_and_tiles(client, grand_est):
    region = region_org("44")
    contributor = make_member(region, Role.CONTRIBUTEUR)
    login(client, contributor)
    csv_text = client.get("/decarbonation/installations/export.csv?type=departement&code=57").content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("identifiant Tandem;code AIOT;nom")
    assert len(lines) - 1 == Installation.objects.filter(departement_code="57").count()
    xlsx = client.get("/decarbonation/installations/export.xlsx?type=departement&code=57")
    assert xlsx.content[:2] == b"PK"
    # the default proposal, then the Région's own list
    page = client.get("/decarbonation/gros-emetteurs/").content.decode()
    assert "Proposition par défaut" in page and page.count('name="installation"') >= 15
    proposal, own = sel.major_emitters("44")
    assert not own and len(proposal) == 15
    chosen = proposal[:3]
    client.post("/decarbonation/gros-emetteurs/", {"installation": [str(i) for i in chosen]})
    listed, own = sel.major_emitters("44")
    assert own and sorted(listed) == sorted(chosen)
    assert "Liste arrêtée par la Région" in client.get("/decarbonation/gros-emetteurs/").content.decode()
    segments = sel.segment_of_installations("44", [chosen[0], proposal[5]])
    assert segments == {chosen[0]: sel.MAJOR, proposal[5]: sel.ETS}
    # a vector tile over the biggest GE site holds it; anonymous callers get nothing
    from tandem.core.tiles import tile_bounds

    inst = Installation.objects.get(pk=proposal[0])
    z = 8
    x = int((inst.point.x + 180) / 360 * 2**z)
    lat = math.radians(inst.point.y)
    y = int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * 2**z)
    west, south, east, north = tile_bounds(z, x, y)
    assert west <= inst.point.x <= east and south <= inst.point.y <= north
    tile = client.get(f"/carte/tuiles/installations/{z}/{x}/{y}.pbf")
    assert tile.status_code == 200 and inst.name.encode() in tile.content
    client.logout()
    assert client.get(f"/carte/tuiles/installations/{z}/{x}/{y}.pbf").status_code == 302
