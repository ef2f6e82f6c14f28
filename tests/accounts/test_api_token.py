"""A user creates, replaces and revokes their own access token on a French page; the key is shown once, opens
the OGC API (and the REST API) until replaced or revoked, and never reaches the audit log."""

import re

import pytest
from django.test import Client

from tandem.core.models import AuditEvent
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db


def ogc_status(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/ogc/collections").status_code


def test_create_replace_and_revoke_a_token():
    user = make_member(epci_org("200039709"))
    client = Client()
    client.force_login(user)
    page = client.get("/compte/jeton/").content.decode()
    assert "Vous n'avez pas de jeton." in page and "http://testserver/ogc/" in page

    created = client.post("/compte/jeton/", {"action": "creer"}).content.decode()
    key = re.search(r'<code id="token-key">([0-9a-f]{40})</code>', created).group(1)
    assert f"Authorization: Token {key}" in created
    assert ogc_status(key) == 200
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/").json()["username"] == user.username
    later = client.get("/compte/jeton/").content.decode()
    assert key not in later and "Vous avez un jeton actif" in later  # shown once

    replaced = client.post("/compte/jeton/", {"action": "creer"}).content.decode()
    new_key = re.search(r'<code id="token-key">([0-9a-f]{40})</code>', replaced).group(1)
    assert new_key != key and ogc_status(key) == 401 and ogc_status(new_key) == 200

    response = client.post("/compte/jeton/", {"action": "revoquer"}, follow=True)
    assert "Jeton révoqué" in response.content.decode()
    assert ogc_status(new_key) == 401
    assert client.post("/compte/jeton/", {"action": "autre"}).status_code == 400

    events = AuditEvent.objects.filter(user=user, object_type="authtoken.token")
    assert sorted(events.values_list("action", flat=True)) == ["create", "create", "delete"]
    assert not any(k in str(e.details) + e.object_repr for e in events for k in (key, new_key))


def test_the_page_is_for_signed_in_users():
    response = Client().get("/compte/jeton/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]
