"""Property-based test of the OGC API against its own service description (`/ogc/api`, OpenAPI 3.0):
schemathesis generates requests from it (bbox, limit, offset, datetime, crs, identifiers…); every answer is
a documented status with a documented media type, never a server error."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from config.wsgi import application
from tandem.ogc.documents import openapi
from tandem.ogc.selectors import COLLECTIONS
from tests.ogc.builders import build_world

schema = schemathesis.openapi.from_dict(openapi("http://testserver/ogc", list(COLLECTIONS)))
schema.app = application


@pytest.fixture
def token(db):
    """As Django's test client does: requests must not close the connection holding the test transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield build_world()["metz_token"]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_ogc_api_answers_what_it_describes(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (case.path, case.query, response.status_code, response.text[:500])
    case.validate_response(
        response,
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.status_code_conformance,
            schemathesis.checks.content_type_conformance,
        ],
    )
