"""A company's land need opens a search on the land inventory with the prospects' site matching engine,
among the candidates the advisor may see."""

import pytest

from tandem.companies.followup import project_create, project_land_search_open
from tandem.core.errors import UserError
from tandem.organizations.models import Visibility
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import PASSWORD, epci_org, make_member
from tests.prospects.builders import make_site, make_terrain

pytestmark = pytest.mark.django_db


def test_land_need_ranks_the_visible_terrains(client):
    mulhouse, strasbourg = epci_org("200066009"), epci_org("246700488")
    user = make_member(mulhouse)
    actor = Actor.for_user(user)
    zae = make_site(mulhouse, "68224", visibility=Visibility.NETWORK)
    small = make_terrain(zae, 1.0, cell=(0, 0), visibility=Visibility.NETWORK)
    big = make_terrain(zae, 6.0, cell=(5, 5), visibility=Visibility.NETWORK)
    hidden = make_terrain(make_site(strasbourg, "67482"), 40)  # private to Strasbourg
    company = make_company("68224", naf="25.62B")
    project = project_create(
        actor=actor,
        owner=mulhouse,
        company=company,
        kind="land",
        title="Nouvelle usine",
        surface_needed_m2=30_000,
    )
    results = project_land_search_open(actor=actor, project=project)
    ids = [r["object_id"] for r in results if r["kind"] == "terrain"]
    assert big.pk in ids and hidden.pk not in ids
    first = results[0]
    assert first["object_id"] == big.pk and first["status"] != "exclu"
    small_row = next((r for r in results if r["object_id"] == small.pk), None)
    assert small_row is None or small_row["status"] == "exclu"
    project.refresh_from_db()
    assert project.land_search_ref.endswith(f"{len(results)} site(s) proposé(s)")

    client.login(username=user.username, password=PASSWORD)
    html = client.post(
        f"/entreprises/{company.siren}/projets/{project.pk}/recherche-fonciere/"
    ).content.decode()
    assert f'data-candidate="{first["id"]}"' in html and "!!MISSING" not in html

    investment = project_create(
        actor=actor, owner=mulhouse, company=company, kind="investment", title="Robot"
    )
    with pytest.raises(UserError, match="foncier"):
        project_land_search_open(actor=actor, project=investment)
