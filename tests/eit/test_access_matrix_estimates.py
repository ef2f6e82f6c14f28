"""Access matrix of estimated flows, through HTTP (`/api/v1/eit/estimated-flows/<id>/`): every role of the
organisations around one establishment, as « animateur EIT » or not. The expected answer is stated plainly in
`expected()`, independently of `tandem.eit.perms`: the territory's facilitators and the organisation of the
company's référent see it, platform administrators too; everyone else gets 404, the anonymous 401."""

import pytest
from django.test import Client

from tandem.companies.followup import advisor_assign
from tandem.eit.estimates import estimated_flows_refresh
from tandem.eit.models import EstimatedFlow
from tandem.organizations.models import Organization, Role
from tests.eit.builders import STRASBOURG, actor_of, facilitator, located_company
from tests.factories import epci_org, make_member, make_user, other_org, region_org

pytestmark = pytest.mark.django_db
KINDS = ["epci_territory", "epci_other", "region", "referent_agency", "agency_other"]
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]


def expected(kind: str, role, is_facilitator: bool) -> int:
    if kind == "anonymous":
        return 401
    if kind == "platform_admin" or kind == "referent_agency":
        return 200
    if kind == "epci_territory" and is_facilitator:
        return 200
    return 404


def test_estimated_flows_access_matrix(ewc):
    orgs = {
        "epci_territory": epci_org("246700488"),
        "epci_other": epci_org("200039865"),
        "region": region_org(),
        "referent_agency": other_org(Organization.Kind.AGENCE),
        "agency_other": other_org(Organization.Kind.AGENCE),
    }
    company, _ = located_company(STRASBOURG, name="ACIERIE MATRICE", lat=48.58, lon=7.75)
    referent = make_member(orgs["referent_agency"])
    advisor_assign(actor=actor_of(referent), company=company, user=referent, organization=orgs["referent_agency"])
    estimated_flows_refresh()
    estimate = EstimatedFlow.objects.filter(establishment__company=company).first()
    assert estimate is not None
    url = f"/api/v1/eit/estimated-flows/{estimate.pk}/"
    cases = [("anonymous", None, False, None), ("platform_admin", None, False, make_user(superuser=True))]
    for kind in KINDS:
        if kind == "region":
            facilitator_flags = (False,)  # the Région reads aggregates: no facilitator there in this matrix
        else:
            facilitator_flags = (False, True)
        for role in ROLES:
            for flag in facilitator_flags:
                user = make_member(orgs[kind], role=role)
                if flag:
                    facilitator(orgs[kind], user)
                cases.append((kind, role, flag, user))
    wrong = []
    for kind, role, flag, user in cases:
        client = Client()
        if user is not None:
            client.force_login(user)
        status = client.get(url).status_code
        if status != expected(kind, role, flag):
            wrong.append((kind, role, flag, status))
    assert wrong == []
