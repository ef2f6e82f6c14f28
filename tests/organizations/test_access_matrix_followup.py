"""The access matrix on company follow-up, through HTTP: exchanges (their subject and private notes), needs,
projects, signals, the Parcours de Transformation and the référent, for every role of every organisation kind.

The objects belong to the Strasbourg EPCI and are placed in Strasbourg, outside the partial delegation's
communes. Expected answers come from `tests/organizations/matrix.py`, stated independently of the permission
layer; the follow-up's own rules are stated here: every member of the network learns that an exchange took
place (« Échange avec … le … ») but reads its subject and notes only if the exchange is visible to them; the
référent is known to the whole network; a Parcours is shared with the Région by the programme itself.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tandem.companies.followup import advisor_assign, exchange_create, need_create, project_create
from tandem.companies.fragility import signal_create
from tandem.companies.models import Company, Establishment
from tandem.companies.parcours import parcours_step_move
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.organizations.scoping import unscoped
from tests.companies.followup_builders import make_company
from tests.factories import communes_of
from tests.organizations.matrix import (
    STRASBOURG,
    VISIBILITIES,
    actor_ids,
    actors,
    client_for,
    matrix_world,
    norm,
    read_status,
    sees,
    write_status,
)

COMMUNE = "67482"  # Strasbourg, outside the partial delegation's communes
KINDS = ["region", "epci_owner", "epci_other", "agence_delegated", "agence_partial", "operateur"]
ACTORS = actors(KINDS)
HAPPENED_ON = date(2025, 11, 3)


def _remove_company(holder) -> None:
    company = holder.get("company")
    if company is not None:
        with unscoped():
            Establishment.objects.filter(company=company).delete()
            Company.objects.filter(pk=company.pk).delete()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    def partial():
        return [c for c in communes_of(STRASBOURG) if c != COMMUNE][:2]

    holder = {}
    with matrix_world(
        django_db_blocker, KINDS, partial_communes=partial, cleanup=[lambda: _remove_company(holder)]
    ) as world:
        with django_db_blocker.unblock():
            orgs = world["orgs"]
            owner_user = world["users"][("epci_owner", Role.ADMIN)]
            owner, actor = orgs["epci_owner"], Actor.for_user(owner_user)
            company = holder["company"] = make_company(COMMUNE, name="ENTREPRISE MATRICE ZQF")
            objects = {}
            for visibility in VISIBILITIES:
                shared = [orgs["epci_other"]] if visibility == "shared" else ()
                common = {"actor": actor, "owner": owner, "company": company, "visibility": visibility}
                objects[visibility] = {
                    "exchange": exchange_create(
                        **common,
                        shared_with=shared,
                        kind="meeting",
                        happened_on=HAPPENED_ON,
                        topic=f"Sujet {visibility} zqf",
                        notes=f"Notes privées {visibility} zqf",
                    ),
                    "need": need_create(
                        **common, shared_with=shared, topic="financing", title=f"Besoin {visibility} zqf"
                    ),
                    "project": project_create(
                        **common, shared_with=shared, kind="investment", title=f"Projet {visibility} zqf"
                    ),
                    "signal": signal_create(
                        **common,
                        category="loss_of_activity",
                        observed_on=HAPPENED_ON,
                        description=f"Signal {visibility} zqf",
                    ),
                }
                if visibility == "shared":
                    objects[visibility]["signal"].shared_with.add(orgs["epci_other"])
            journey = parcours_step_move(actor=actor, company=company, step="2_diagnostic", owner=owner)
            referent = advisor_assign(actor=actor, company=company, user=owner_user, organization=owner)
        yield {**world, "company": company, "objects": objects, "journey": journey, "referent": referent}


def _page(client, company) -> str | None:
    response = client.get(f"/entreprises/{company.pk}/")
    return response.content.decode() if response.status_code == 200 else None


def _status(client, world, visibility: str, action: str, page: str | None) -> int:
    objects, company = world["objects"][visibility], world["company"]
    exchange, need, project, signal = (objects[k] for k in ("exchange", "need", "project", "signal"))
    if action in ("exchange", "exchange_subject", "need", "project", "signal") and page is None:
        return 401 if client.get(f"/entreprises/{company.pk}/").status_code == 302 else 404
    if action == "exchange":
        api = norm(client.get(f"/api/v1/exchanges/{exchange.pk}/"))
        listed = client.get("/api/v1/exchanges/", {"page_size": 1000}).json()["results"]
        assert (api == 200) == any(e["id"] == exchange.pk for e in listed), api
        return api
    if action == "exchange_subject":
        # Everyone in the network learns that the meeting took place; the subject and the notes only those
        # who see the exchange — in the page and in the API's timeline alike.
        timeline = client.get(f"/api/v1/companies/{company.pk}/timeline/").content.decode()
        shown = [exchange.topic in text or exchange.notes in text for text in (page, timeline)]
        assert shown[0] == shown[1], shown
        if not shown[0]:
            assert f"Échange avec {world['orgs']['epci_owner'].name} le 03/11/2025" in page
        return 200 if shown[0] else 404
    if action == "need":
        api = norm(client.get(f"/api/v1/needs/{need.pk}/"))
        # The whole network's needs, whatever their status: only visibility may hide one.
        every = {"tout": "1", "statut": "tous"}
        in_page = need.title in page
        in_list = need.title in client.get("/entreprises/besoins/", every).content.decode()
        in_export = need.title in client.get("/entreprises/besoins/export.csv", every).content.decode()
        assert (api == 200) == in_page == in_list == in_export, (api, in_page, in_list, in_export)
        return api
    if action == "need_update":
        url = f"/entreprises/{company.pk}/besoins/{need.pk}/statut/"
        return norm(client.post(url, {"status": "in_progress"}))
    if action == "project":
        return 200 if project.title in page else 404
    if action == "project_update":
        url = f"/entreprises/{company.pk}/projets/{project.pk}/reponse/"
        return norm(client.post(url, {"answer": "Réponse de la matrice"}))
    if action == "signal":
        return 200 if signal.description in page else 404
    if action == "signal_update":
        url = f"/api/v1/signals/{signal.pk}/decision/"
        return norm(
            client.post(url, {"decision": "acknowledge", "note": ""}, content_type="application/json")
        )
    raise AssertionError(action)


ACTIONS = [
    "exchange",
    "exchange_subject",
    "need",
    "need_update",
    "project",
    "project_update",
    "signal",
    "signal_update",
]


def expected(kind: str, role, visibility: str, action: str) -> int:
    if action.endswith("_update"):
        return write_status(kind, role, visibility)
    return read_status(kind, visibility)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=actor_ids(ACTORS))
def test_matrix_on_followup(world, kind, role):
    client = client_for(world, kind, role)
    page = _page(client, world["company"])
    mismatches = []
    for visibility, action in itertools.product(VISIBILITIES, ACTIONS):
        want, got = expected(kind, role, visibility, action), _status(client, world, visibility, action, page)
        if got != want:
            mismatches.append(f"{visibility}/{action}: attendu {want}, obtenu {got}")
    assert not mismatches, mismatches


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "role"), ACTORS, ids=actor_ids(ACTORS))
def test_matrix_on_parcours_and_referent(world, kind, role):
    """The Parcours is shared with the Région by the programme; the référent is known to the whole network."""
    client = client_for(world, kind, role)
    journey, referent = world["journey"], world["referent"]
    api = norm(client.get(f"/api/v1/parcours-journeys/{journey.pk}/"))
    assert api == read_status(kind, "region")
    export = client.get("/entreprises/parcours/export.csv")
    if kind == "anonymous":
        assert norm(export) == 401
        return
    assert (world["company"].display_name in export.content.decode()) == sees(kind, "region")
    page = client.get(f"/entreprises/{world['company'].pk}/").content.decode()
    assert f'data-referent="{referent.user.username}"' in page
