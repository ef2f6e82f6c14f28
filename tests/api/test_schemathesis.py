"""Property-based API test: schemathesis generates requests from /api/v1/openapi.json; no server error."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from config.wsgi import application
from tandem.organizations.models import Role
from tests.factories import epci_org, make_member


def _served_schema() -> dict:
    """The schema `/api/v1/openapi.json` serves (to signed-in users only, so it is generated here, as the
    view does, rather than fetched anonymously)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = application
schema.location = "/api/v1/openapi.json"


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: requests must not close the connection holding the test transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(db, keep_test_connection):
    org = epci_org("246700488")
    user = make_member(org, Role.ADMIN)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_has_no_server_error(case, auth_header):
    response = case.call(headers=auth_header)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])
