"""Small builders for organisations, users and memberships used across the tests."""

import itertools

from django.contrib.auth import get_user_model

from tandem.organizations.models import Organization, Role
from tandem.organizations.services import membership_set, organization_create
from tandem.territories.models import Commune, Epci, Region

_counter = itertools.count(1)
PASSWORD = "mot-de-passe-de-test"


def make_user(username=None, *, superuser=False):
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_superuser=superuser, is_staff=superuser
    )


def make_member(org, role=Role.CONTRIBUTEUR, username=None):
    user = make_user(username)
    membership_set(organization=org, user=user, role=role)
    return user


def epci_org(siren: str) -> Organization:
    return organization_create(
        name=f"Test {siren}",
        kind=Organization.Kind.EPCI,
        slug=f"t-epci-{siren}",
        epci=Epci.objects.get(pk=siren),
    )


def region_org(code: str = "44") -> Organization:
    return organization_create(
        name="Test Région",
        kind=Organization.Kind.REGION,
        slug=f"t-region-{code}",
        region=Region.objects.get(pk=code),
    )


def other_org(kind: str, commune_codes=None) -> Organization:
    return organization_create(
        name=f"Test {kind} {next(_counter)}",
        kind=kind,
        slug=f"t-{kind}-{next(_counter)}",
        commune_codes=commune_codes or [],
    )


def communes_of(siren: str) -> list[str]:
    return list(Commune.objects.filter(epci_id=siren, is_current=True).values_list("pk", flat=True))
