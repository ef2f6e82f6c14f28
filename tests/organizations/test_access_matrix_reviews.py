"""The access matrix on project reviews, through HTTP, and what their agendas show to each reader.

Reviews carry no commune: a delegation limited to some communes cannot place them, so it covers none. An agenda
is a list of references checked for each reader when it is read: another organisation's private follow-up
never shows in the page, the API or the CSV export, whoever prepared the review and whoever it is shared with.
The expected answers are stated plainly here, independently of `tandem.organizations.perms`.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tandem.companies.followup import need_create
from tandem.companies.models import Company, Establishment, Need
from tandem.companies.reviews import review_create
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import communes_of
from tests.organizations.matrix import matrix_world

STRASBOURG, MULHOUSE = "246700488", "200066009"
COMPANY_COMMUNE = "67482"  # Strasbourg: outside the partial delegation's two communes
PRIVATE_TITLE = "Besoin privé zqw"
REGION_TITLE = "Besoin régional zqw"

KINDS = [
    "region",
    "epci_owner",
    "epci_other",
    "agence_delegated",
    "agence_partial",
    "agence_other",
    "operateur",
]
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]
ACTORS = [(k, r) for k in KINDS for r in ROLES] + [("platform_admin", None), ("anonymous", None)]
VISIBILITIES = ["private", "shared", "region", "network"]
ACTIONS = ["read", "list", "export", "update"]


def expected(kind: str, role, visibility: str, action: str) -> int:
    if kind == "anonymous":
        return 401
    if kind == "platform_admin":
        return 200
    sees = (
        kind in ("epci_owner", "agence_delegated")  # agence_partial: its communes cannot hold a review
        or visibility == "network"
        or (visibility == "region" and kind == "region")
        or (visibility == "shared" and kind == "epci_other")
    )
    if not sees:
        return 404
    if action != "update":
        return 200
    writer = kind in ("epci_owner", "agence_delegated") and role in (Role.CONTRIBUTEUR, Role.ADMIN)
    return 200 if writer else 403


def sees_private_need(kind: str) -> bool:
    """The EPCI's private need: its own members, its full delegate, platform administrators."""
    return kind in ("epci_owner", "agence_delegated", "platform_admin")


def _remove_company(world):
    company = world.get("company")
    if company is not None:
        Need.objects.unscoped().filter(company=company).delete()
        Establishment.objects.filter(company=company).delete()
        Company.objects.filter(pk=company.pk).delete()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def partial():
        return [c for c in communes_of(STRASBOURG) if c != COMPANY_COMMUNE][:2]

    holder = {}
    with matrix_world(
        django_db_blocker, KINDS, partial_communes=partial, cleanup=[lambda: _remove_company(holder)]
    ) as world:
        with django_db_blocker.unblock():
            orgs, users = world["orgs"], world["users"]
            owner = Actor.for_user(users[("epci_owner", Role.ADMIN)])
            company = make_company(COMPANY_COMMUNE, name="ENTREPRISE REVUE ZQW")
            past = timezone.localdate() - timedelta(days=10)
            need_create(
                actor=owner,
                owner=orgs["epci_owner"],
                company=company,
                topic="financing",
                title=PRIVATE_TITLE,
                due_on=past,
            )
            need_create(
                actor=owner,
                owner=orgs["epci_owner"],
                company=company,
                topic="export",
                title=REGION_TITLE,
                due_on=past,
                visibility=Visibility.REGION,
            )
            reviews = {}
            for n, visibility in enumerate(VISIBILITIES):
                reviews[visibility] = review_create(
                    actor=owner,
                    owner=orgs["epci_owner"],
                    organization=orgs["epci_owner"],
                    held_on=timezone.localdate() + timedelta(days=n),
                    title=f"Revue {visibility} zqw",
                    visibility=visibility,
                    shared_with=[orgs["epci_other"]] if visibility == "shared" else (),
                )
            holder["company"] = company
        yield {**world, "reviews": reviews, "company": company}


def _client(world, kind, role) -> Client:
    client = Client()
    if kind != "anonymous":
        client.force_login(world["users"][(kind, role)])
    return client


def _norm(response) -> int:
    if response.status_code == 302 and "/connexion/" in response["Location"]:
        return 401
    return response.status_code


def _agenda_texts(client, review) -> tuple[str, str, str]:
    """What the reader gets of the agenda: the page, the API and the CSV export."""
    page = client.get(f"/entreprises/revues/{review.pk}/").content.decode()
    api = client.get(f"/api/v1/reviews/{review.pk}/").content.decode()
    csv = client.get(f"/entreprises/revues/{review.pk}/export.csv").content.decode()
    return page, api, csv


def _status(client, review, action) -> int:
    if action == "read":
        web = _norm(client.get(f"/entreprises/revues/{review.pk}/"))
        rest = _norm(client.get(f"/api/v1/reviews/{review.pk}/"))
        assert web == rest, (web, rest)
        return web
    if action == "list":
        rest = client.get("/api/v1/reviews/", {"page_size": 1000})
        if _norm(rest) != 200:
            return _norm(rest)
        in_api = any(item["id"] == review.pk for item in rest.json()["results"])
        in_web = review.title in client.get("/entreprises/revues/").content.decode()
        assert in_api == in_web, (in_api, in_web)
        return 200 if in_api else 404
    if action == "export":
        return _norm(client.get(f"/entreprises/revues/{review.pk}/export.csv"))
    response = client.post(f"/entreprises/revues/{review.pk}/compte-rendu/", {"minutes": "Compte rendu"})
    # The web answers a successful update with a redirect to the review.
    return (
        200 if response.status_code == 302 and "/connexion/" not in response["Location"] else _norm(response)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_matrix_on_reviews(world, kind, role):
    client = _client(world, kind, role)
    mismatches = []
    for visibility, action in itertools.product(VISIBILITIES, ACTIONS):
        review = world["reviews"][visibility]
        want, got = expected(kind, role, visibility, action), _status(client, review, action)
        if got != want:
            mismatches.append(f"{visibility}/{action}: attendu {want}, obtenu {got}")
        if action == "read" and got == 200:
            # The agenda, prepared by the EPCI, lists its private need: only those who may see the need read
            # its title; the need shared with the Région is there for the Région too.
            texts = _agenda_texts(client, review)
            if any(PRIVATE_TITLE in t for t in texts) != sees_private_need(kind):
                mismatches.append(
                    f"{visibility}/agenda: besoin privé {'montré' if not sees_private_need(kind) else 'absent'}"
                )
            region_need = sees_private_need(kind) or kind == "region"
            if all(REGION_TITLE in t for t in texts) != region_need:
                mismatches.append(f"{visibility}/agenda: besoin partagé avec la Région mal filtré")
    assert not mismatches, mismatches


@pytest.mark.django_db
def test_agenda_prepared_by_a_delegate_read_by_the_region(world):
    """The issue's case: an agency with a delegation prepares a review over the EPCI (owned by the agency, seen
    by the Région by default); the Région reads it without the EPCI's private need, the agency with it."""
    agency = world["orgs"]["agence_delegated"]
    review = review_create(
        actor=Actor.for_user(world["users"][("agence_delegated", Role.CONTRIBUTEUR)]),
        owner=agency,
        organization=world["orgs"]["epci_owner"],
        held_on=timezone.localdate(),
        title="Revue zqw-agence",
    )
    assert review.visibility == Visibility.REGION
    assert review.agenda.count() == 2  # two references, no text
    for kind, sees in (("region", False), ("agence_delegated", True), ("epci_other", None)):
        client = _client(world, kind, Role.LECTEUR)
        if sees is None:
            assert client.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
            continue
        page, api, csv = _agenda_texts(client, review)
        assert REGION_TITLE in page and REGION_TITLE in api and REGION_TITLE in csv
        for text in (page, api, csv):
            assert (PRIVATE_TITLE in text) == sees
        assert len(client.get(f"/api/v1/reviews/{review.pk}/").json()["agenda"]) == (2 if sees else 1)
    # A need made private after the review was prepared disappears from the Région's agenda at once.
    Need.objects.unscoped().filter(title=REGION_TITLE).update(visibility=Visibility.PRIVATE)
    try:
        page, api, csv = _agenda_texts(_client(world, "region", Role.LECTEUR), review)
        assert REGION_TITLE not in page + api + csv
    finally:
        Need.objects.unscoped().filter(title=REGION_TITLE).update(visibility=Visibility.REGION)


@pytest.mark.django_db
def test_a_delegate_does_not_decide_who_sees_the_owner_review(world):
    delegate = Actor.for_user(world["users"][("agence_delegated", Role.CONTRIBUTEUR)])
    epci = world["orgs"]["epci_owner"]
    # Prepared for the EPCI by its delegate: private to the EPCI unless the EPCI shares it.
    review = review_create(
        actor=delegate, owner=epci, organization=epci, held_on=timezone.localdate(), title="Revue zqw-agence"
    )
    assert review.visibility == Visibility.PRIVATE and not review.shared_with.exists()
    assert _client(world, "region", Role.LECTEUR).get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    client = _client(world, "agence_delegated", Role.CONTRIBUTEUR)
    response = client.post(
        "/entreprises/revues/",
        {
            "owner": epci.pk,
            "held_on": timezone.localdate().isoformat(),
            "title": "Revue zqw-agence",
            "area": f"org:{epci.pk}",
            "stall_days": 120,
            "shared_with": [world["orgs"]["region"].pk],
        },
    )
    assert response.status_code == 403
    assert "décide avec qui la revue est partagée" in response.content.decode()
