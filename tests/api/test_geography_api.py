import pytest
from rest_framework.authtoken.models import Token

from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_token(client):
    token = Token.objects.create(user=make_user())
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_communes_of_grand_est_with_count(client_token):
    response = client_token.get("/api/v1/communes/", {"region": "44"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5_115
    assert len(body["results"]) == 100
    assert body["results"][0]["code"] == "08001"


def test_epcis_of_grand_est_with_count(client_token):
    body = client_token.get("/api/v1/epcis/", {"region": "44", "page_size": 200}).json()
    assert body["count"] == 150
    sirens = {e["siren"] for e in body["results"]}
    assert "246700488" in sirens and len(sirens) == 150


def test_epci_detail_has_members_and_geometry(client_token):
    body = client_token.get("/api/v1/epcis/246700488/").json()
    assert body["name"] == "Eurométropole de Strasbourg"
    assert len(body["communes"]) == 33
    assert {"code": "67482", "name": "Strasbourg"}.items() <= body["communes"][
        [c["code"] for c in body["communes"]].index("67482")
    ].items()
    assert body["regions"] == ["44"]
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_unknown_epci_is_404_in_french(client_token):
    response = client_token.get("/api/v1/epcis/999999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}


def test_authentication_is_required(client):
    assert client.get("/api/v1/communes/").status_code == 401


def test_session_authentication_works_too(client):
    client.force_login(make_user())
    assert client.get("/api/v1/epcis/", {"region": "44"}).json()["count"] == 150


def test_openapi_schema_lists_geography_endpoints(client):
    client.force_login(make_user())
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/communes/", "/api/v1/epcis/", "/api/v1/epcis/{siren}/", "/api/v1/perimeters/"):
        assert path in schema["paths"]


def test_nul_byte_in_a_parameter_is_a_400_not_a_server_error(client_token):
    response = client_token.get("/api/v1/communes/", {"q": "Stras\x00bourg"})
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()
    assert client_token.get("/api/v1/perimeters/", {"q": "\x00"}).status_code == 400


def test_nul_byte_in_a_form_field_is_a_400(client):
    client.force_login(make_user())
    response = client.post(
        "/organisation/choisir/", "organization=1%00", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
