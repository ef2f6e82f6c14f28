"""Steering pages and the quarterly report: French pages, confidential prospects never named, small counts
hidden, the report generated through the job queue (PDF read back, XLSX and CSV)."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from tandem.core.files import generated_file_build
from tandem.core.models import GeneratedFile
from tandem.land.selectors import Territory
from tandem.organizations.models import Role
from tandem.steering.registry import Period
from tandem.steering.services import snapshot_take
from tests.factories import make_member, region_org
from tests.steering import builders as b
from tests.tiles import read_tile, tile_of

pytestmark = pytest.mark.django_db
Q1 = Period(2026, 1)
NAMES = ("Projet Alpha", "Projet Bravo", "Projet Charlie", "Projet Delta", "Projet Echo")


@pytest.fixture
def region_reader():
    return make_member(region_org(), Role.LECTEUR)


def test_dashboard_in_french_with_history_and_no_prospect_name(client, prospects, followup, region_reader):
    epci = Territory("epci", b.STRASBOURG, "Eurométropole de Strasbourg")
    snapshot_take(territory=epci, period=Q1)
    client.force_login(region_reader)
    html = client.get(
        reverse("www:steering:dashboard", args=["epci", b.STRASBOURG]) + "?periode=2026-T1"
    ).content.decode()
    assert "Foncier économique disponible immédiatement" in html and "Prospects reçus" in html
    assert "T1 2026 : 3" in html  # the frozen value of prospects received, shown in the history
    for name in NAMES:
        assert name not in html
    # One project lost in the quarter: hidden, never « 1 ».
    row = html.split('data-indicator="prospects.lost"')[1].split("</tr>")[0]
    assert "moins de 3" in row
    assert "prospects.received" not in html.replace('data-indicator="prospects.received"', "")


def test_index_lists_the_territories_of_the_reader(client, region_reader):
    client.force_login(region_reader)
    html = client.get(reverse("www:steering:index")).content.decode()
    assert "Tableau de bord régional" in html and "Départements" in html and "Bas-Rhin" in html


def test_pages_refuse_anonymous_and_unknown_territories(client, region_reader):
    assert client.get(reverse("www:steering:index")).status_code == 302
    client.force_login(region_reader)
    assert client.get(reverse("www:steering:dashboard", args=["epci", "000000000"])).status_code == 404
    assert client.get(reverse("www:steering:dashboard", args=["pays", "FR"])).status_code == 404


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_quarterly_report_through_the_job_queue(
    client, prospects, followup, region_reader, settings, tmp_path, fmt
):
    settings.MEDIA_ROOT = tmp_path
    epci = Territory("epci", b.STRASBOURG, "Eurométropole de Strasbourg")
    snapshot_take(territory=epci, period=Q1)
    client.force_login(region_reader)
    response = client.post(
        reverse("www:steering:territory_report", args=["epci", b.STRASBOURG]),
        {"periode": "2026-T1", "format": fmt},
    )
    generated = GeneratedFile.objects.get(created_by=region_reader)
    assert response.status_code == 302 and generated.kind == f"steering.report_{fmt}"
    assert generated.job_id is not None  # queued for the worker
    generated_file_build(file_id=generated.pk)  # what the job's child process runs
    download = client.get(reverse("www:generated_file_download", args=[generated.pk]))
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    if fmt == "pdf":
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert "Rapport trimestriel de pilotage" in text and "T1 2026" in text
        assert "Prospects reçus" in text and "moins de 3" in text
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
        assert rows["Prospects reçus"][3] == 3 and rows["Prospects reçus"][4] == "figée"
        assert rows["Projets perdus"][3] == "moins de 3"
        text = repr(list(rows))
    else:
        rows = {r[0]: r for r in csv.reader(io.StringIO(data.decode()), delimiter=";")}
        assert rows["Entreprises suivies"][3] == "4"
        text = data.decode()
    for name in NAMES:
        assert name not in text


def test_unfrozen_quarter_is_marked_provisional(prospects, region_reader):
    from tandem.organizations.perms import Actor
    from tandem.steering.reports import report_rows

    rows = report_rows(
        Actor.for_user(region_reader),
        Territory("epci", b.STRASBOURG, "Strasbourg"),
        Period.of(dt.date.today()),
    )
    assert rows and all(r["status"] == "provisoire (non figée)" for r in rows)


def test_a_region_admin_corrects_a_frozen_value_with_its_reason(client, land):
    from tandem.steering.models import IndicatorSnapshot

    epci = Territory("epci", b.STRASBOURG, "Eurométropole de Strasbourg")
    snapshot_take(territory=epci, period=Q1)
    frozen = IndicatorSnapshot.objects.get(indicator="land.available_now_ha", territory_key=b.STRASBOURG)
    url = reverse("www:steering:snapshot_correct", args=[frozen.pk])
    client.force_login(make_member(land["stras"], Role.ADMIN))
    assert client.post(url, {"reason": "saisie"}).status_code == 403
    client.force_login(make_member(region_org(), Role.ADMIN))
    assert client.post(url, {"reason": ""}).status_code == 302  # refused: a reason is required
    assert (
        IndicatorSnapshot.objects.filter(indicator=frozen.indicator, territory_key=b.STRASBOURG).count() == 1
    )
    client.post(url, {"reason": "terrain vendu saisi en retard"})
    versions = IndicatorSnapshot.objects.filter(indicator=frozen.indicator, territory_key=b.STRASBOURG)
    assert sorted(versions.values_list("version", "is_current")) == [(1, False), (2, True)]
    html = client.get(reverse("www:steering:dashboard", args=["epci", b.STRASBOURG]) + "?periode=2026-T1")
    assert "corrigée : terrain vendu saisi en retard" in html.content.decode()


def test_the_dashboard_map_shades_each_epci_by_its_last_frozen_value(client, land, region_reader, tmp_path):
    """The map's EPCI layer (vector tile) carries each EPCI's last frozen value in French and its shade; an
    EPCI never frozen is grey. The dashboard page draws it, opened on the territory."""
    snapshot_take(territory=Territory("epci", b.STRASBOURG, "Eurométropole de Strasbourg"), period=Q1)
    snapshot_take(territory=Territory("epci", b.MULHOUSE, "Mulhouse Alsace Agglomération"), period=Q1)
    client.force_login(region_reader)
    html = client.get(reverse("www:steering:dashboard", args=["epci", b.STRASBOURG])).content.decode()
    assert "EPCI colorés selon" in html and "/carte/tuiles/epcis/" in html and 'id="map"' in html
    z, x, y = tile_of(7.5, 48.2, 7)  # Alsace: Strasbourg and Mulhouse
    url = "/carte/tuiles/epcis/{z}/{x}/{y}.pbf?indicateur=land.available_now_ha"
    rows = {row["code"]: row for row in read_tile(tmp_path, client, url, z, x, y)["epcis"][0]}
    # Strasbourg: 5 + 2 ha available now (conftest); Mulhouse: 4 ha, but private — the snapshot is the
    # territory's whole figure, as frozen by the system.
    assert rows[b.STRASBOURG]["libelle"] == "Foncier économique disponible immédiatement : 7 ha"
    assert rows[b.MULHOUSE]["libelle"] == "Foncier économique disponible immédiatement : 4 ha"
    assert rows[b.STRASBOURG]["couleur"] != rows[b.MULHOUSE]["couleur"]  # the higher value, the darker
    never = next(row for code, row in rows.items() if code not in (b.STRASBOURG, b.MULHOUSE))
    assert never["couleur"] == "#eeeeee" and never["libelle"].endswith("non figé")
    # Outside the organisations' members, no tile.
    client.logout()
    assert client.get(url.format(z=z, x=x, y=y)).status_code == 302


def test_the_dashboard_offers_no_quarter_yet_to_come_and_counts_read_as_bare_numbers(
    client, prospects, followup, region_reader
):
    client.force_login(region_reader)
    html = client.get(reverse("www:steering:dashboard", args=["epci", b.STRASBOURG])).content.decode()
    today = dt.date.today()
    current = Period(today.year, (today.month - 1) // 3 + 1)
    upcoming = (
        Period(current.year + 1, 1) if current.quarter == 4 else Period(current.year, current.quarter + 1)
    )
    select = html.split('id="id_periode"')[1].split("</select>")[0]
    assert f'value="{current.slug}"' in select
    assert f'value="{upcoming.slug}"' not in select
    assert " nombre<" not in html and " nombre " not in html
    row = html.split('data-indicator="prospects.received"')[1].split("</tr>")[0]
    assert "nombre" not in row and "Prospects reçus" in row
