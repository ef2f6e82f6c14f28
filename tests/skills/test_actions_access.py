"""The access matrix on jobs-and-skills actions, through HTTP: who reads an action on the territory page, who
records one for an EPCI, who moves it on. Expected answers are stated here, independently of the permission
layer: the owner EPCI and its full delegate see every action and their contributors write; the Région reads
what is shared with it; everyone in the network reads « tout le réseau »; nobody else sees a private action."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.organizations.models import Delegation, Organization, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.skills.models import SkillAction
from tandem.skills.services import skill_action_create
from tandem.skills.territory import territory_get
from tandem.territories.models import Commune
from tests.factories import communes_of, epci_org, make_member, make_user, other_org, region_org

STRASBOURG, MULHOUSE = "246700488", "200066009"
KINDS = ["region", "epci_owner", "epci_other", "agence_delegated", "agence_other", "operateur"]
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]
ACTORS = [(k, r) for k in KINDS for r in ROLES] + [("platform_admin", None), ("anonymous", None)]
VISIBILITIES = [Visibility.PRIVATE, Visibility.REGION, Visibility.NETWORK]


def sees(kind: str, visibility: str) -> bool:
    return (
        kind in ("epci_owner", "agence_delegated", "platform_admin")
        or visibility == Visibility.NETWORK
        or (visibility == Visibility.REGION and kind == "region")
    )


def writes(kind: str, role) -> bool:
    return kind == "platform_admin" or (
        kind in ("epci_owner", "agence_delegated") and role in (Role.CONTRIBUTEUR, Role.ADMIN)
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        orgs = {
            "region": region_org("44"),
            "epci_owner": epci_org(STRASBOURG),
            "epci_other": epci_org(MULHOUSE),
            "agence_delegated": other_org(
                Organization.Kind.AGENCE, commune_codes=communes_of(STRASBOURG)[:3]
            ),
            "agence_other": other_org(Organization.Kind.AGENCE),
            "operateur": other_org(Organization.Kind.OPERATEUR),
        }
        Delegation.objects.create(delegator=orgs["epci_owner"], delegate=orgs["agence_delegated"])
        users = {(k, r): make_member(org, r) for k, org in orgs.items() for r in ROLES}
        users[("platform_admin", None)] = make_user(superuser=True)
        ze = Commune.objects.get(pk="67482").zone_emploi_id
        territory = territory_get("ze", ze)
        owner = Actor.for_user(users[("epci_owner", Role.ADMIN)])
        actions = {
            v: skill_action_create(
                actor=owner,
                owner=orgs["epci_owner"],
                territory=territory,
                job_code="D2Z40",
                job_label="Chaudronniers, tôliers",
                kind=SkillAction.Kind.TRAINING,
                description=f"Session {v} zqk",
                visibility=v,
            )
            for v in VISIBILITIES
        }
    yield {"orgs": orgs, "users": users, "actions": actions, "territory": territory}
    with django_db_blocker.unblock():
        SkillAction.objects.unscoped().delete()
        Delegation.objects.all().delete()
        for user in users.values():
            user.delete()
        Organization.objects.filter(pk__in=[o.pk for o in orgs.values()]).delete()


def _client(world, kind, role) -> Client:
    client = Client()
    if kind != "anonymous":
        client.force_login(world["users"][(kind, role)])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_matrix_on_skill_actions(world, kind, role):
    client = _client(world, kind, role)
    territory = world["territory"]
    page = client.get(f"/competences/ze/{territory.code}/")
    if kind == "anonymous":
        assert page.status_code == 302 and "/connexion/" in page["Location"]
    else:
        assert page.status_code == 200
        text = page.content.decode()
        for visibility, action in world["actions"].items():
            assert (action.description in text) == sees(kind, visibility), visibility
    # moving an action on
    for visibility, action in world["actions"].items():
        response = client.post(f"/competences/actions/{action.pk}/", {"status": "running", "results": "zqk"})
        action.refresh_from_db()
        if kind == "anonymous":
            assert response.status_code == 302 and "/connexion/" in response["Location"]
        elif not sees(kind, visibility):
            assert response.status_code == 404
        assert (action.status == SkillAction.Status.RUNNING) == (
            kind != "anonymous" and sees(kind, visibility) and writes(kind, role)
        )
        SkillAction.objects.unscoped().filter(pk=action.pk).update(status=SkillAction.Status.PLANNED, results="")
    # recording one for the owner EPCI
    before = SkillAction.objects.unscoped().count()
    client.post(
        f"/competences/ze/{territory.code}/actions/",
        {
            "owner": world["orgs"]["epci_owner"].pk,
            "job_code": "D2Z40",
            "kind": "job_fair",
            "visibility": "network",
        },
    )
    created = SkillAction.objects.unscoped().count() - before
    assert created == (1 if kind != "anonymous" and writes(kind, role) else 0)
    SkillAction.objects.unscoped().exclude(pk__in=[a.pk for a in world["actions"].values()]).delete()
