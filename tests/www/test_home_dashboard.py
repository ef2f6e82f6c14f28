"""The home page as a dashboard (like Deveco's): my companies and reminders, prospects waiting for my proposal,
labels to decide, needs overdue, imports finished — each block filled through the permission layer, and
shown only to the roles that can act on it."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from tandem.companies.followup import advisor_assign, need_create, reminder_create
from tandem.imports.models import ImportRun
from tandem.land.labels import label_propose
from tandem.organizations.models import Organization, Role, Visibility
from tandem.organizations.perms import Actor
from tandem.prospects import services as prospects
from tests.companies.followup_builders import make_company
from tests.factories import PASSWORD, communes_of, epci_org, make_member, other_org, region_org
from tests.land.inventory_builders import make_site
from tests.prospects.builders import make_site as make_zae
from tests.prospects.builders import make_terrain

pytestmark = pytest.mark.django_db
STRASBOURG, MULHOUSE = "246700488", "200066009"


def block(html: str, name: str) -> str | None:
    """The text of the dashboard block `name`, or None when the page has no such block."""
    found = re.search(rf'<section class="card" id="block-{name}".*?</section>', html, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split()) if found else None


@pytest.fixture
def world():
    sxb, mul, region = epci_org(STRASBOURG), epci_org(MULHOUSE), region_org()
    agency = other_org(Organization.Kind.AGENCE_INVESTISSEMENT)
    people = {
        "sxb": make_member(sxb, Role.CONTRIBUTEUR, "agent.sxb"),
        "sxb_reader": make_member(sxb, Role.LECTEUR, "lecteur.sxb"),
        "mul": make_member(mul, Role.CONTRIBUTEUR, "agent.mul"),
        "region": make_member(region, Role.CONTRIBUTEUR, "agent.region"),
        "agency": make_member(agency, Role.CONTRIBUTEUR, "charge.agence"),
    }
    return {
        "sxb": sxb,
        "mul": mul,
        "region": region,
        "agency": agency,
        **{f"u_{k}": v for k, v in people.items()},
    }


def home(client, user) -> str:
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_companies_reminders_and_overdue_needs_are_the_advisors_own(client, world):
    sxb, agent = world["sxb"], world["u_sxb"]
    actor = Actor.for_user(agent)
    today = timezone.localdate()
    followed = make_company(communes_of(STRASBOURG)[0], name="FONDERIE SUIVIE")
    make_company(communes_of(STRASBOURG)[1], name="VOISINE NON SUIVIE")
    advisor_assign(actor=actor, company=followed, user=agent, organization=sxb)
    reminder_create(
        actor=actor,
        owner=sxb,
        company=followed,
        assignee=agent,
        remind_on=today + timedelta(days=2),
        text="Relancer",
    )
    reminder_create(
        actor=actor,
        owner=sxb,
        company=followed,
        assignee=agent,
        remind_on=today + timedelta(days=30),
        text="Plus tard",
    )
    need_create(
        actor=actor,
        owner=sxb,
        company=followed,
        topic="land",
        title="Bâtiment de 2 000 m²",
        due_on=today - timedelta(days=3),
    )
    need_create(
        actor=actor,
        owner=sxb,
        company=followed,
        topic="land",
        title="Extension à venir",
        due_on=today + timedelta(days=30),
    )

    html = home(client, agent)
    companies = block(html, "companies")
    assert "FONDERIE SUIVIE" in companies and "VOISINE NON SUIVIE" not in companies
    assert "Relancer" in companies and "Plus tard" not in companies  # within seven days only
    assert (today + timedelta(days=2)).strftime("%d/%m/%Y") in companies
    needs = block(html, "needs")
    assert "Bâtiment de 2 000 m²" in needs and "Extension à venir" not in needs
    assert (today - timedelta(days=3)).strftime("%d/%m/%Y") in needs

    # Another EPCI sees neither the company as its own, nor the private need of Strasbourg.
    other = home(client, world["u_mul"])
    assert "FONDERIE SUIVIE" not in other
    assert "Aucun besoin en retard" in block(other, "needs")


def test_prospects_waiting_for_my_proposal_until_my_organisation_proposes(client, world):
    sxb = world["sxb"]
    lead = Actor.for_user(world["u_agency"])
    prospect = prospects.prospect_create(
        actor=lead, owner=world["agency"], code_name="Projet Sterne", surface_min_ha=1
    )
    prospects.prospect_share(actor=lead, prospect=prospect, organizations=[sxb], members=[world["u_sxb"]])

    assert "Projet Sterne" in block(home(client, world["u_sxb"]), "prospects")
    assert "Projet Sterne" not in home(client, world["u_mul"])  # not shared with Mulhouse
    assert block(home(client, world["u_sxb_reader"]), "prospects") is None  # a reader proposes nothing
    assert (
        block(home(client, world["u_agency"]), "prospects") is None
    )  # the owner answers, it does not propose

    terrain = make_terrain(make_zae(sxb, communes_of(STRASBOURG)[0]), 3)
    prospects.proposal_create(
        actor=Actor.for_user(world["u_sxb"]),
        prospect=prospect,
        organization=sxb,
        kind="terrain",
        object_id=terrain.pk,
    )
    assert "Projet Sterne" not in home(client, world["u_sxb"])


def test_labels_to_decide_are_the_regions_only(client, world):
    site = make_site(world["sxb"], communes_of(STRASBOURG)[0], visibility=Visibility.PRIVATE)
    label_propose(actor=Actor.for_user(world["u_sxb"]), site=site, proposal_text="Zone prête")
    labels = block(home(client, world["u_region"]), "labels")
    assert site.site_nom in labels and "STAR'EST" in labels and world["sxb"].name in labels
    assert block(home(client, world["u_sxb"]), "labels") is None  # the EPCI proposes, the Région decides


def test_finished_imports_are_those_the_user_may_read(client, world):
    mine = ImportRun.objects.create(
        owner=world["sxb"],
        organization=world["sxb"],
        kind=ImportRun.Kind.LAND,
        created_by=world["u_sxb"],
        status=ImportRun.Status.DONE,
        files=[{"name": "inventaire-strasbourg.csv"}],
    )
    ImportRun.objects.create(
        owner=world["mul"],
        organization=world["mul"],
        kind=ImportRun.Kind.LAND,
        created_by=world["u_mul"],
        status=ImportRun.Status.REFUSED,
        files=[{"name": "inventaire-mulhouse.csv"}],
        errors_count=3,
    )
    ImportRun.objects.create(
        owner=world["sxb"],
        organization=world["sxb"],
        kind=ImportRun.Kind.LAND,
        created_by=world["u_sxb"],
        status=ImportRun.Status.RUNNING,
        files=[{"name": "en-cours.csv"}],
    )
    imports = block(home(client, world["u_sxb"]), "imports")
    assert "inventaire-strasbourg.csv" in imports and "terminé" in imports
    assert "inventaire-mulhouse.csv" not in imports and "en-cours.csv" not in imports
    assert f"/imports/{mine.pk}/" in home(client, world["u_sxb"])
    assert "3 erreurs" in block(home(client, world["u_mul"]), "imports")
    # A reader reads its organisation's reports but is not offered an import it may not start.
    reader = home(client, world["u_sxb_reader"])
    assert "inventaire-strasbourg.csv" in block(reader, "imports") and 'href="/foncier/import/"' not in reader
    assert block(home(client, world["u_region"]), "imports") is not None  # the Région imports for the region
