"""Follow-up API: timeline without others' private notes, scoped lists, exchange creation, signal decisions."""

from datetime import date

import pytest
from rest_framework.authtoken.models import Token

from tandem.companies.followup import exchange_create
from tandem.companies.models import Signal
from tandem.companies.parcours import parcours_step_move
from tandem.organizations.models import Visibility
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member, region_org

pytestmark = pytest.mark.django_db


def _client(client, user):
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=user).key}"
    return client


def test_api_timeline_lists_and_decisions(client):
    sxb, mul, region = epci_org("246700488"), epci_org("200066009"), region_org()
    sxb_user, mul_user = make_member(sxb), make_member(mul)
    region_user = make_member(region)
    company = make_company("67482")
    exchange_create(
        actor=Actor.for_user(sxb_user),
        owner=sxb,
        company=company,
        kind="call",
        happened_on=date(2026, 1, 8),
        topic="Trésorerie",
        notes="Note privée",
    )
    parcours_step_move(actor=Actor.for_user(sxb_user), company=company, step="2_diagnostic", owner=sxb)
    api = _client(client, mul_user)
    events = api.get(f"/api/v1/companies/{company.siren}/timeline/").json()
    exchange = next(e for e in events if e["kind"] == "exchange")
    assert exchange["title"] == f"Échange avec {sxb.name} le 08/01/2026"  # no subject: it is private too
    assert exchange["detail"] == "" and exchange["private"] is True
    assert api.get("/api/v1/exchanges/").json()["count"] == 0
    assert api.get("/api/v1/parcours-journeys/").json()["count"] == 0
    assert api.get("/api/v1/companies/000000000/timeline/").status_code == 404
    created = api.post(
        "/api/v1/exchanges/",
        {
            "company": company.siren,
            "owner": sxb.pk,
            "kind": "call",
            "happened_on": "2026-01-09",
            "topic": "x",
        },
        content_type="application/json",
    )
    # Mulhouse cannot write on Strasbourg's behalf: refused by the permission layer (403), not bad input.
    assert created.status_code == 403 and "Vous ne pouvez pas" in created.json()["detail"]

    api = _client(client, region_user)
    assert api.get("/api/v1/parcours-journeys/").json()["count"] == 1
    indicators = api.get("/api/v1/parcours/indicators/").json()
    assert indicators["total"] == 1 and indicators["steps"][1]["reached"] == 1
    signal = Signal.objects.create(
        owner=region,
        visibility=Visibility.NETWORK,
        company=company,
        commune_id="67482",
        source="bodacc",
        category="collective_proceeding",
        observed_on=date(2026, 2, 1),
    )
    response = api.post(
        f"/api/v1/signals/{signal.pk}/decision/",
        {"decision": "dismiss", "reason": "false_positive"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    again = api.post(
        f"/api/v1/signals/{signal.pk}/decision/", {"decision": "acknowledge"}, content_type="application/json"
    )
    assert again.status_code == 400 and "Seul un signal nouveau" in again.json()["detail"]

    api = _client(client, sxb_user)
    created = api.post(
        "/api/v1/exchanges/",
        {
            "company": company.siren,
            "owner": sxb.pk,
            "kind": "visit",
            "happened_on": "2026-01-09",
            "topic": "Visite",
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["visibility"] == "private"
    assert api.get("/api/v1/exchanges/").json()["count"] == 2


def test_malformed_siren_answers_404(client):
    user = make_member(epci_org("246700488"))
    api = _client(client, user)
    assert api.get("/api/v1/companies/12%0034/timeline/").status_code == 404
    client.force_login(user)
    assert api.get("/entreprises/12%0034/").status_code == 404
