"""Content-Security-Policy on every page (and no inline script, style or handler left in the templates for it
to block), HSTS over HTTPS, the OpenAPI schema for signed-in users only."""

import re

import pytest
from django.urls import reverse

from tandem.core.middleware import DOCUMENT_CSP
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.perimeters import perimeter_create
from tests.factories import communes_of, epci_org, make_member, region_org
from tests.land.inventory_builders import make_site, make_terrain

pytestmark = pytest.mark.django_db
STRASBOURG = "246700488"
INLINE = [
    # A script without src (JSON data blocks from `json_script` are not run, so CSP does not concern them).
    re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),  # onclick=, onchange=, onsubmit=…
    re.compile(r"javascript:", re.I),
]


def _directives(header: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.fixture
def user():
    stras = epci_org(STRASBOURG)
    region = region_org()
    user = make_member(stras, Role.ADMIN)
    from tandem.organizations.services import membership_set

    membership_set(organization=region, user=user, role=Role.LECTEUR)  # two organisations: the switcher shows
    site = make_site(stras, communes_of(STRASBOURG)[0], visibility=Visibility.REGION)
    make_terrain(site, 4.0)
    perimeter_create(
        actor=Actor.for_user(user), owner=stras, name="Zone test", members=communes_of(STRASBOURG)[:2]
    )
    return user


def test_every_page_carries_a_strict_policy_and_no_inline_code(client, user):
    from tandem.territories.models import Perimeter

    client.force_login(user)
    perimeter = Perimeter.objects.unscoped().get(name="Zone test")
    pages = [
        "/",
        "/connexion/",
        reverse("www:perimeter_detail", args=[perimeter.pk]),
        reverse("www:land:site_list"),
        reverse("www:land:map"),
        reverse("www:land:dashboard"),
        reverse("www:land:indicators", args=["epci", STRASBOURG]),
        reverse("www:member_list"),
        "/entreprises/",
        "/prospects/",
        "/admin/",
    ]
    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == "script-src 'self'", url
        assert policy["style-src"] == "style-src 'self'", url
        assert (
            policy["object-src"] == "object-src 'none'"
            and policy["frame-ancestors"] == "frame-ancestors 'none'"
        )
        assert "unsafe" not in response["Content-Security-Policy"]
        html = response.content.decode()
        for pattern in INLINE:
            assert not pattern.search(html), (url, pattern.pattern, pattern.search(html))
    # The base-map tiles are the one outside origin allowed: fetched (connect-src) and drawn (img-src) by
    # MapLibre, whose worker is a module script of Tandem's own and whose images are decoded from blob: URLs.
    policy = _directives(client.get("/")["Content-Security-Policy"])
    assert policy["img-src"] == "img-src 'self' data: blob: https://data.geopf.fr"
    assert policy["connect-src"] == "connect-src 'self' https://data.geopf.fr"
    assert policy["worker-src"] == "worker-src 'self'"


def test_the_policy_follows_the_tile_setting():
    from tandem.core.middleware import content_security_policy

    none = _directives(content_security_policy(""))
    assert none["connect-src"] == "connect-src 'self'" and none["img-src"] == "img-src 'self' data: blob:"
    other = _directives(content_security_policy("https://tuiles.example.org/{z}/{x}/{y}.png"))
    assert other["connect-src"] == "connect-src 'self' https://tuiles.example.org"
    assert _directives(content_security_policy("javascript:alert(1)"))["connect-src"] == "connect-src 'self'"


def test_api_responses_carry_the_policy_too(client, user):
    client.force_login(user)
    assert "default-src 'self'" in client.get("/api/v1/me/")["Content-Security-Policy"]


def test_the_document_policy_constant_runs_no_script():
    policy = _directives(DOCUMENT_CSP)
    assert policy["default-src"] == "default-src 'none'" and "script-src" not in policy


def test_hsts_over_https_outside_debug(client):
    response = client.get("/connexion/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/connexion/")  # never over plain HTTP


def test_openapi_schema_is_for_signed_in_users_only(client, user):
    assert client.get("/api/v1/openapi.json").status_code == 401
    client.force_login(user)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and "/api/v1/land/terrains/" in response.json()["paths"]
