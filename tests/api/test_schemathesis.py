"""Property-based API test: schemathesis generates requests from the schema /api/v1/openapi.json serves and
checks every response against it — no server error, a documented status code, the documented content type, a
body that conforms to the documented schema — for an EPCI administrator of the demo (organisations, sites,
terrains, friches, companies, prospects, flows generated over the real geography), so the responses carry data
rather than empty lists. The OGC API has the same checks against its own description in
tests/ogc/test_openapi.py (its world: two EPCIs' land objects with every visibility).

The demo is the test run's demo template (the `demo` fixture, tests/demo_db.py); each operation runs in a
transaction rolled back at its end (pytest-django), so nothing leaks to other tests."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from config.wsgi import application

MAX_EXAMPLES = 8  # per operation (91 operations): the suite's time stays bounded
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
DEMO_USER = "epci1.admin"


def _served_api_schema() -> dict:
    """The schema `/api/v1/openapi.json` serves (to signed-in users only, so it is generated here, as the
    view does, rather than fetched anonymously)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


api_schema = schemathesis.openapi.from_dict(_served_api_schema())
api_schema.app = application
api_schema.location = "/api/v1/openapi.json"


@pytest.fixture
def auth_header(demo, db):
    """The token of an EPCI administrator of the demo. As Django's test client does: requests must not close the
    connection holding the test transaction."""
    from django.contrib.auth import get_user_model

    token = Token.objects.create(user=get_user_model().objects.get(username=DEMO_USER)).key
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Token {token}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _check(case, auth_header):
    response = case.call(headers=auth_header)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    case.validate_response(response, checks=CHECKS, headers=auth_header)


@pytest.mark.django_db
@api_schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_responses_conform_to_the_schema(case, auth_header):
    _check(case, auth_header)
