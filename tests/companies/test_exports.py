"""CSV and XLSX exports go through the permission layer, hide protected fields and are audited."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tandem.companies.followup import need_create
from tandem.companies.parcours import parcours_step_move
from tandem.companies.reviews import review_create
from tandem.core.models import AuditEvent
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company, make_establishment
from tests.factories import PASSWORD, communes_of, epci_org, make_member, region_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    sxb = epci_org("246700488")
    mul = epci_org("200066009")
    region = region_org()
    rhin = make_company("67482", name="ATELIERS FICTIFS DU RHIN")
    protected = make_establishment(rhin, "67482", nic="00037")
    protected.diffusion = "P"
    protected.street_name = "RUE PROTEGEE"
    protected.save()
    make_company(communes_of("200066009")[0], name="USINE FICTIVE DE MULHOUSE")
    return {
        "sxb": sxb,
        "mul": mul,
        "sxb_user": make_member(sxb),
        "mul_user": make_member(mul),
        "region_user": make_member(region),
        "rhin": rhin,
    }


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))


def test_establishment_csv_is_limited_to_the_perimeter_and_hides_protected_fields(client, ctx):
    client.login(username=ctx["sxb_user"].username, password=PASSWORD)
    rows = _csv(client.get("/entreprises/export.csv"))
    assert rows[0][:3] == ["siret", "siren", "denomination"]
    body = rows[1:]
    assert sorted(r[0] for r in body) == [ctx["rhin"].siren + "00011", ctx["rhin"].siren + "00037"]
    protected = next(r for r in body if r[0].endswith("00037"))
    assert protected[9] == "" and "RUE PROTEGEE" not in str(rows)
    open_row = next(r for r in body if r[0].endswith("00011"))
    assert open_row[9] == "RUE DE L'EXEMPLE"
    event = AuditEvent.objects.get(action="export", object_type="companies.establishment")
    assert event.details == {"format": "csv", "count": 2}


def test_establishment_xlsx_for_the_region_covers_both_epcis(client, ctx):
    client.login(username=ctx["region_user"].username, password=PASSWORD)
    response = client.get("/entreprises/export.xlsx?q=FICTI")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    names = sorted({row[2] for row in sheet.iter_rows(min_row=2, values_only=True)})
    assert names == ["ATELIERS FICTIFS DU RHIN", "USINE FICTIVE DE MULHOUSE"]
    assert client.get("/entreprises/export.pdf").status_code == 404


def test_a_large_establishment_export_is_prepared_as_a_job_with_the_same_rows(
    client, ctx, settings, tmp_path
):
    from django.urls import reverse

    from tandem.core.files import generated_file_build
    from tandem.core.models import GeneratedFile

    settings.MEDIA_ROOT = tmp_path
    client.login(username=ctx["region_user"].username, password=PASSWORD)
    at_once = _csv(client.get("/entreprises/export.csv?q=FICTI"))
    settings.TANDEM_EXPORT_SYNC_MAX_ROWS = 1
    response = client.get("/entreprises/export.csv?q=FICTI")
    generated = GeneratedFile.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "www:generated_file_detail", args=[generated.pk]
    )
    assert generated.params == {
        "q": "FICTI",
        "naf": "",
        "state": "A",
        "whole_registry": False,
        "format": "csv",
    }
    generated_file_build(file_id=generated.pk)  # what the job's child process runs
    download = client.get(reverse("www:generated_file_download", args=[generated.pk]))
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    by_job = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode()), delimiter=";"))
    assert by_job == at_once
    assert {r[2] for r in by_job[1:]} == {"ATELIERS FICTIFS DU RHIN", "USINE FICTIVE DE MULHOUSE"}
    assert AuditEvent.objects.filter(action="export", object_type="companies.establishment").count() == 2


def test_parcours_export_lists_only_visible_journeys(client, ctx):
    journey = parcours_step_move(
        actor=Actor.for_user(ctx["sxb_user"]),
        company=ctx["rhin"],
        step="1_sensibilisation",
        owner=ctx["sxb"],
        on=date(2025, 4, 1),
    )
    client.login(username=ctx["region_user"].username, password=PASSWORD)
    rows = _csv(client.get("/entreprises/parcours/export.csv"))
    assert [r[0] for r in rows[1:]] == [ctx["rhin"].siren]
    assert rows[1][2:5] == ["2025-04-01", "sensibilisation", "en cours"]
    journey.visibility = "private"
    journey.save()
    assert len(_csv(client.get("/entreprises/parcours/export.csv"))) == 1
    client.logout()
    client.login(username=ctx["mul_user"].username, password=PASSWORD)
    assert len(_csv(client.get("/entreprises/parcours/export.csv"))) == 1


def test_needs_page_and_export_follow_the_territory_and_the_status(client, ctx):
    a = Actor.for_user(ctx["sxb_user"])
    late = need_create(
        actor=a,
        owner=ctx["sxb"],
        company=ctx["rhin"],
        topic="financing",
        title="Prêt en retard",
        due_on=timezone.localdate() - timedelta(days=3),
        visibility="network",
    )
    need_create(
        actor=a,
        owner=ctx["sxb"],
        company=ctx["rhin"],
        topic="export",
        title="Salon à venir",
        due_on=timezone.localdate() + timedelta(days=30),
    )
    client.login(username=ctx["sxb_user"].username, password=PASSWORD)
    html = client.get("/entreprises/besoins/?statut=en-retard").content.decode()
    assert f'data-need="{late.pk}"' in html and "Salon à venir" not in html and "en retard" in html
    assert "!!MISSING" not in html
    rows = _csv(client.get("/entreprises/besoins/export.csv"))
    assert [r[3] for r in rows[1:]] == ["Prêt en retard", "Salon à venir"]
    client.logout()
    client.login(username=ctx["mul_user"].username, password=PASSWORD)
    assert len(_csv(client.get("/entreprises/besoins/export.csv"))) == 1
    rows = _csv(client.get("/entreprises/besoins/export.csv?tout=1"))
    assert [r[3] for r in rows[1:]] == ["Prêt en retard"]  # shared with the network; the other stays private


def test_review_agenda_export(client, ctx):
    a = Actor.for_user(ctx["sxb_user"])
    need_create(
        actor=a,
        owner=ctx["sxb"],
        company=ctx["rhin"],
        topic="financing",
        title="Prêt en retard",
        due_on=timezone.localdate() - timedelta(days=3),
    )
    review = review_create(actor=a, owner=ctx["sxb"], organization=ctx["sxb"], held_on=timezone.localdate())
    client.login(username=ctx["sxb_user"].username, password=PASSWORD)
    rows = _csv(client.get(f"/entreprises/revues/{review.pk}/export.csv"))
    assert rows[0] == ["rubrique", "siren", "denomination", "objet", "date"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("besoins en retard", ctx["rhin"].siren)]
    sheet = load_workbook(
        io.BytesIO(client.get(f"/entreprises/revues/{review.pk}/export.xlsx").content)
    ).active
    assert sheet.cell(row=2, column=2).value == ctx["rhin"].siren
    client.logout()
    client.login(username=ctx["mul_user"].username, password=PASSWORD)
    assert client.get(f"/entreprises/revues/{review.pk}/export.csv").status_code == 404
