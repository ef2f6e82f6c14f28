"""Ids typed by a user (`²`, digits beyond PostgreSQL's bigint) answer a French 400 or a 404, never a 500."""

import pytest

from tandem.core.ids import id_or_404, parse_id
from tandem.organizations.models import Role
from tests.factories import epci_org, make_member

pytestmark = pytest.mark.django_db
OVERFLOW = "99999999999999999999999"


@pytest.fixture
def user():
    return make_member(epci_org("246700488"), Role.ADMIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("0", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (OVERFLOW, None),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", None),
    ],
)
def test_parse_id(text, expected):
    assert parse_id(text) == expected


def test_id_or_404_raises_not_found():
    from django.http import Http404

    with pytest.raises(Http404):
        id_or_404("²")


@pytest.mark.parametrize("value", ["²", OVERFLOW])
def test_api_terrains_site_filter_answers_a_french_400(client, user, value):
    client.force_login(user)
    response = client.get("/api/v1/land/terrains/", {"site": value})
    assert response.status_code == 400
    assert "Paramètre « site » invalide" in response.json()["detail"]


@pytest.mark.parametrize("value", ["²", OVERFLOW])
def test_web_perimeter_indicators_answer_404(client, user, value):
    client.force_login(user)
    response = client.get(f"/foncier/indicateurs/perimeter/{value}/")
    assert response.status_code == 404
    assert "introuvable" in response.content.decode().lower()


@pytest.mark.parametrize("value", ["²", OVERFLOW])
def test_api_perimeter_indicators_answer_404(client, user, value):
    client.force_login(user)
    response = client.get(f"/api/v1/land/indicators/perimeter/{value}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}


@pytest.mark.parametrize("value", ["²", OVERFLOW])
def test_switching_organization_with_a_bad_id_answers_a_french_400(client, user, value):
    client.force_login(user)
    response = client.post("/organisation/choisir/", {"organization": value})
    assert response.status_code == 400
    assert "organisation inconnue" in response.content.decode()


@pytest.mark.parametrize("value", ["²", OVERFLOW])
def test_removing_a_member_with_a_bad_id_answers_404(client, user, value):
    client.force_login(user)
    assert client.post("/organisation/membres/", {"remove": value}).status_code == 404


@pytest.mark.parametrize("value", ["²", OVERFLOW])
def test_api_prospect_detail_with_a_bad_id_answers_404(client, user, value):
    client.force_login(user)
    response = client.get(f"/api/v1/prospects/{value}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}
