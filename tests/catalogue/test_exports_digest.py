"""Exports of the catalogue search and of the routing indicators (CSV and XLSX through the one export writer,
formula-like cells neutralised, what the reader may see only); immediate or daily-digest e-mails, chosen by each
user, the digest sent once by the periodic job and read back from a real SMTP server."""

import csv
import io
import time
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from tandem.accounts import tasks as account_tasks
from tandem.accounts.models import DigestItem
from tandem.catalogue.importers import tee_import
from tandem.catalogue.models import Office, Operator, Scheme, Subject
from tandem.catalogue.services import routing_close, routing_send, routing_take
from tandem.companies.followup import need_create
from tandem.companies.models import Need
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.conftest import shared_file
from tests.factories import PASSWORD, epci_org, make_member, other_org, region_org
from tests.test_periodic_jobs import smtp_inbox  # noqa: F401 — the real SMTP server fixture

STRASBOURG = "246700488"
pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_scheme_search_exports_in_csv_and_xlsx():
    tee_import(folder=shared_file("real/catalogue/tee"), actor=Actor.system_actor())
    Scheme.objects.create(
        slug="formule-fictive",
        source=Scheme.Source.REGION,
        title='=HYPERLINK("http://exemple.invalid","Cheque vert fictif")',
        national=True,
        is_demo=True,
    )
    reader = client_for(make_member(epci_org(STRASBOURG)))
    rows = read_csv(reader.get("/catalogue/export.csv?q=cheque+vert&region=44"))
    assert rows[0][:5] == ["Dispositif", "Identifiant", "Source", "Type d'aide", "Opérateur de contact"]
    by_slug = {row[1]: row for row in rows[1:]}
    cheque = by_slug["cheque-vert-grand-est"]
    assert cheque[0] == "Chèque Vert Grand Est" and cheque[3] == "financement" and cheque[6] == "Grand Est"
    assert by_slug["formule-fictive"][0].startswith("'=HYPERLINK")  # neutralised, shown as text
    page = reader.get("/catalogue/?q=cheque+vert&region=44").content.decode()
    assert page.count("<tr>") - 1 == len(rows) - 1  # the export holds what the search lists

    sheet = read_xlsx(reader.get("/catalogue/export.xlsx?q=cheque+vert&region=44"))
    assert sheet[0] == rows[0] and sorted(r[1] for r in sheet[1:]) == sorted(by_slug)
    assert reader.get("/catalogue/export.pdf").status_code == 404
    assert Client().get("/catalogue/export.csv").status_code == 302  # sign in first


def _routed_and_granted():
    recruit = Subject.objects.create(slug="recruter", label="Recruter")
    operator = Operator.objects.create(name="Opérateur fictif (démo)", slug="fictif", is_demo=True)
    operator.subjects.add(recruit)
    partner_org = other_org(Organization.Kind.OPERATEUR)
    office = Office.objects.create(
        operator=operator, key="f67", name="Antenne 67 (démo)", organization=partner_org
    )
    office.departements.add("67")
    strasbourg = epci_org(STRASBOURG)
    referent, partner = make_member(strasbourg), make_member(partner_org)
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN", headcount_band="11")
    need = need_create(
        actor=Actor.for_user(referent, strasbourg.pk),
        owner=strasbourg,
        company=company,
        topic=Need.Topic.RECRUITMENT,
        title="Recruter deux soudeurs",
    )
    return office, strasbourg, referent, partner, need


def test_routing_indicators_export_counts_what_the_reader_sees():
    office, strasbourg, referent, partner, need = _routed_and_granted()
    routing = routing_send(actor=Actor.for_user(referent, strasbourg.pk), need=need, office=office)
    partner_actor = Actor.for_user(partner, office.organization_id)
    routing_take(actor=partner_actor, routing=routing)
    routing_close(actor=partner_actor, routing=routing, outcome="granted", amount_eur=Decimal("8000"))

    region = client_for(make_member(region_org("44")))
    rows = read_csv(region.get("/catalogue/indicateurs/export.csv?region=44"))
    header = rows[0]
    assert header[:4] == ["Partenaire", "Territoire", "Besoins orientés", "Orientations envoyées"]
    total = dict(zip(header, rows[1], strict=True))
    assert total["Partenaire"] == "Tous les partenaires" and total["Territoire"] == "Grand Est"
    assert (total["Orientations envoyées"], total["Aides accordées"]) == ("1", "1")
    assert Decimal(total["Montant des aides accordées (€)"]) == Decimal("8000")
    per_partner = dict(zip(header, rows[2], strict=True))
    assert per_partner["Partenaire"] == office.organization.name and per_partner["Sans réponse"] == "0"

    sheet = read_xlsx(region.get("/catalogue/indicateurs/export.xlsx?region=44"))
    assert sheet[0] == header and sheet[1][3] == 1 and Decimal(str(sheet[1][-1])) == Decimal("8000")
    # Another EPCI sees no routing of Strasbourg's: its export counts nothing.
    other = client_for(make_member(epci_org("200066009")))
    assert read_csv(other.get("/catalogue/indicateurs/export.csv"))[1][3] == "0"


def test_daily_digest_or_immediate_e_mails_as_each_user_chose(smtp_inbox):  # noqa: F811
    office, strasbourg, referent, partner, need = _routed_and_granted()
    referent.email, partner.email = "referente@example.fr", "partenaire@example.fr"
    referent.save()
    partner.save()
    page = client_for(partner)
    assert "À chaque événement" in page.get("/compte/notifications/").content.decode()
    assert page.post("/compte/notifications/", {"frequence": "weekly"}).status_code == 200
    assert page.post("/compte/notifications/", {"frequence": "daily"}).status_code == 302
    partner.refresh_from_db()
    assert partner.email_frequency == "daily"

    routing = routing_send(actor=Actor.for_user(referent, strasbourg.pk), need=need, office=office)
    assert smtp_inbox.messages == []  # the partner chose the digest: nothing at once
    routing_take(actor=Actor.for_user(partner, office.organization_id), routing=routing)
    [taken] = smtp_inbox.messages  # the référent chose nothing: immediate
    assert taken["To"] == "referente@example.fr"
    second_need = need_create(
        actor=Actor.for_user(referent, strasbourg.pk),
        owner=strasbourg,
        company=need.company,
        topic=Need.Topic.RECRUITMENT,
        title="Former un tuteur",
    )
    routing_send(actor=Actor.for_user(referent, strasbourg.pk), need=second_need, office=office)
    assert len(smtp_inbox.messages) == 1 and DigestItem.objects.filter(user=partner).count() == 2

    assert account_tasks.email_digests_job(int(time.time())) == 1
    [digest] = smtp_inbox.messages[1:]
    assert digest["To"] == "partenaire@example.fr"
    assert digest["Subject"] == "Tandem : résumé du jour (2 notifications)"
    body = digest.get_content()
    assert "Recruter deux soudeurs" in body and "Former un tuteur" in body
    assert f"https://tandem.example.fr/catalogue/orientations/{routing.pk}/" in body
    assert "https://tandem.example.fr/compte/notifications/" in body
    assert account_tasks.email_digests_job(int(time.time())) == 0  # once
    assert len(smtp_inbox.messages) == 2
