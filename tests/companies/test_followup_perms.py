"""The follow-up permission rules (tandem/companies/perms.py), tested directly."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tandem.companies.perms import (
    actor_commune_codes,
    can_manage_providers,
    can_see_exchange_existence,
    is_contributor,
)
from tandem.organizations.models import Delegation, Organization, Role
from tandem.organizations.perms import Actor
from tests.factories import communes_of, epci_org, make_member, make_user, other_org, region_org

pytestmark = pytest.mark.django_db


def test_exchange_existence_is_known_to_members_of_the_network_only():
    assert not can_see_exchange_existence(Actor.for_user(AnonymousUser()))
    assert not can_see_exchange_existence(Actor.for_user(make_user()))
    reader = make_member(epci_org("246700488"), Role.LECTEUR)
    assert can_see_exchange_existence(Actor.for_user(reader))
    assert not is_contributor(Actor.for_user(reader))
    assert can_see_exchange_existence(Actor.system_actor())


def test_only_region_contributors_keep_the_provider_register():
    region = region_org()
    assert can_manage_providers(Actor.for_user(make_member(region)))
    assert not can_manage_providers(Actor.for_user(make_member(region, Role.LECTEUR)))
    assert not can_manage_providers(Actor.for_user(make_member(epci_org("246700488"))))


def test_commune_scope_of_the_company_list():
    sxb = epci_org("246700488")
    agence = other_org(Organization.Kind.AGENCE)
    partial = communes_of("246700488")[:3]
    delegation = Delegation.objects.create(delegator=sxb, delegate=agence, scope=Delegation.Scope.READ)
    delegation.communes.set(partial)
    assert actor_commune_codes(Actor.for_user(make_member(sxb))) == set(communes_of("246700488"))
    assert actor_commune_codes(Actor.for_user(make_member(agence))) == set(partial)
    assert actor_commune_codes(Actor.for_user(make_member(region_org()))) is None
    assert actor_commune_codes(Actor.for_user(make_user())) == set()
