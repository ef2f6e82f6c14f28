"""The /entreprises/ pages through HTTP: the shared timeline, the follow-up forms, signals, reviews."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.companies.followup import exchange_create, need_create
from tandem.companies.models import (
    CompanyAdvisor,
    Contact,
    Exchange,
    Need,
    ParcoursJourney,
    ParcoursStep,
    ProjectReview,
    Reminder,
    Signal,
    SolutionProvider,
)
from tandem.core.models import AuditEvent
from tandem.organizations.models import Visibility
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import PASSWORD, communes_of, epci_org, make_member, region_org

pytestmark = pytest.mark.django_db

PRIVATE_NOTE = "Le dirigeant envisage de vendre : ne pas ébruiter"


@pytest.fixture
def ctx(client):
    sxb = epci_org("246700488")
    mul = epci_org("200066009")
    region = region_org()
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN")
    return {
        "sxb": sxb,
        "mul": mul,
        "region": region,
        "company": company,
        "sxb_user": make_member(sxb, username="agent.sxb"),
        "mul_user": make_member(mul, username="agent.mul"),
        "region_user": make_member(region, username="agent.region"),
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_timeline_shows_another_organisations_exchange_without_its_private_note(client, ctx):
    exchange_create(
        actor=Actor.for_user(ctx["sxb_user"]),
        owner=ctx["sxb"],
        company=ctx["company"],
        kind="visit",
        happened_on=date(2025, 11, 3),
        topic="Projet d'extension",
        notes=PRIVATE_NOTE,
    )
    login(client, ctx["mul_user"])
    response = client.get(f"/entreprises/{ctx['company'].siren}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Échange avec {ctx['sxb'].name} le 03/11/2025" in html
    assert "Projet d&#x27;extension" not in html and PRIVATE_NOTE not in html  # neither subject nor notes
    assert "sans son sujet ni ses notes" in html
    assert "!!MISSING" not in html
    # The writer's organisation reads its note on the same page.
    client.logout()
    login(client, ctx["sxb_user"])
    assert PRIVATE_NOTE in client.get(f"/entreprises/{ctx['company'].siren}/").content.decode()


def test_advisor_flow_through_the_forms(client, ctx):
    siren = ctx["company"].siren
    login(client, ctx["sxb_user"])
    assert client.post(f"/entreprises/{siren}/referent/").status_code == 302
    referent = CompanyAdvisor.objects.unscoped().get(role="referent", ended_on=None)
    assert referent.user == ctx["sxb_user"] and referent.organization == ctx["sxb"]
    response = client.post(
        f"/entreprises/{siren}/echanges/",
        {
            "owner": ctx["sxb"].pk,
            "visibility": "private",
            "kind": "call",
            "happened_on": "2026-01-12",
            "topic": "Trésorerie",
            "notes": "Tension sur le BFR",
        },
    )
    assert response.status_code == 302
    assert Exchange.objects.unscoped().get().notes == "Tension sur le BFR"
    client.post(
        f"/entreprises/{siren}/besoins/",
        {
            "owner": ctx["sxb"].pk,
            "visibility": "region",
            "topic": "financing",
            "title": "Prêt rebond",
            "due_on": "2026-02-01",
        },
    )
    need = Need.objects.unscoped().get()
    assert need.assignee == ctx["sxb_user"] and need.visibility == "region"
    client.post(f"/entreprises/{siren}/besoins/{need.pk}/statut/", {"status": "done"})
    need.refresh_from_db()
    assert need.status == "done"
    client.post(
        f"/entreprises/{siren}/parcours/",
        {"owner": ctx["sxb"].pk, "step": "2_diagnostic", "on": "2026-01-20"},
    )
    assert ParcoursJourney.objects.unscoped().get().current_step == "2_diagnostic"
    client.post(
        f"/entreprises/{siren}/contacts/",
        {
            "owner": ctx["sxb"].pk,
            "visibility": "private",
            "full_name": "Alix Exemple",
            "purpose": "dirigeant",
            "source": "meeting",
        },
    )
    contact = Contact.objects.unscoped().get()
    client.post(f"/entreprises/{siren}/contacts/{contact.pk}/supprimer/")
    assert not Contact.objects.unscoped().exists()
    client.post(
        f"/entreprises/{siren}/signaux/",
        {
            "owner": ctx["sxb"].pk,
            "visibility": "network",
            "category": "succession",
            "observed_on": "2026-01-05",
            "description": "Dirigeant de 67 ans sans repreneur identifié",
        },
    )
    signal = Signal.objects.unscoped().get()
    assert (signal.source, signal.category, signal.owner) == ("advisor", "succession", ctx["sxb"])
    page = client.get(f"/entreprises/{siren}/").content.decode()
    assert "Prêt rebond" in page and "diagnostic 360°" in page and "Dirigeant de 67 ans" in page
    assert "!!MISSING" not in page


def test_another_epci_cannot_write_in_strasbourg(client, ctx):
    login(client, ctx["mul_user"])
    response = client.post(
        f"/entreprises/{ctx['company'].siren}/besoins/",
        {"owner": ctx["mul"].pk, "visibility": "private", "topic": "financing", "title": "x"},
    )
    assert response.status_code == 403 and "Vous ne pouvez pas" in response.content.decode()
    assert not Need.objects.unscoped().exists()
    # A private need of Strasbourg answers 404 to Mulhouse.
    login(client, ctx["sxb_user"])
    client.post(
        f"/entreprises/{ctx['company'].siren}/besoins/",
        {"owner": ctx["sxb"].pk, "visibility": "private", "topic": "financing", "title": "Prêt"},
    )
    need = Need.objects.unscoped().get()
    login(client, ctx["mul_user"])
    assert (
        client.post(
            f"/entreprises/{ctx['company'].siren}/besoins/{need.pk}/statut/", {"status": "done"}
        ).status_code
        == 404
    )


def test_list_shows_the_epci_perimeter_and_signals_can_be_handled(client, ctx):
    make_company(communes_of("200066009")[0], name="USINE FICTIVE DE MULHOUSE")
    signal = Signal.objects.create(
        owner=ctx["region"],
        visibility=Visibility.NETWORK,
        company=ctx["company"],
        commune_id="67482",
        source="bodacc",
        rule="bodacc.redressement/v1",
        category="collective_proceeding",
        observed_on=date(2026, 2, 3),
        description="Redressement judiciaire",
    )
    login(client, ctx["sxb_user"])
    html = client.get("/entreprises/").content.decode()
    assert "ATELIERS FICTIFS DU RHIN" in html and "USINE FICTIVE DE MULHOUSE" not in html
    assert 'data-count="1"' in html
    assert "!!MISSING" not in html
    signals = client.get("/entreprises/signaux/").content.decode()
    assert "Redressement judiciaire" in signals and "BODACC (procédure collective)" in signals
    # Mulhouse sees the network's signal only when it asks for the whole network.
    client.logout()
    login(client, ctx["mul_user"])
    assert "Redressement judiciaire" not in client.get("/entreprises/signaux/").content.decode()
    assert "Redressement judiciaire" in client.get("/entreprises/signaux/?tout=1").content.decode()
    client.logout()
    login(client, ctx["sxb_user"])
    client.post(f"/entreprises/signaux/{signal.pk}/traiter/", {"decision": "act", "action": "buyer_search"})
    signal.refresh_from_db()
    assert signal.status == "acted" and signal.action == "buyer_search"


def test_review_pages(client, ctx):
    late = make_company(communes_of("246700488")[1], name="BESOIN EN RETARD")
    login(client, ctx["sxb_user"])
    client.post(
        f"/entreprises/{late.siren}/besoins/",
        {
            "owner": ctx["sxb"].pk,
            "visibility": "private",
            "topic": "export",
            "title": "Salon",
            "due_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
        },
    )
    response = client.post(
        "/entreprises/revues/",
        {
            "owner": ctx["sxb"].pk,
            "held_on": timezone.localdate().isoformat(),
            "area": f"org:{ctx['sxb'].pk}",
            "stall_days": 120,
            "title": "",
        },
    )
    review = ProjectReview.objects.unscoped().get()
    assert response.status_code == 302 and response["Location"] == f"/entreprises/revues/{review.pk}/"
    client.post(f"/entreprises/revues/{review.pk}/compte-rendu/", {"minutes": "Tour de table"})
    client.post(
        f"/entreprises/revues/{review.pk}/action/", {"action-text": "Rappeler", "action-company": late.siren}
    )
    action = review.actions.get()
    client.post(f"/entreprises/revues/{review.pk}/action-faite-{action.pk}/")
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()
    html = client.get(f"/entreprises/revues/{review.pk}/").content.decode()
    assert 'data-rule="need_past_due"' in html and "BESOIN EN RETARD" in html and "Tour de table" in html
    assert "!!MISSING" not in html
    login(client, ctx["mul_user"])
    assert client.get(f"/entreprises/revues/{review.pk}/").status_code == 404
    assert AuditEvent.objects.filter(object_type="companies.projectreview").count() >= 3


def test_parcours_and_provider_pages(client, ctx):
    login(client, ctx["region_user"])
    response = client.post(
        "/entreprises/parcours/offreurs/",
        {"name": "Cabinet fictif", "domain": "numerique", "services": "ERP"},
    )
    assert response.status_code == 302
    html = client.get("/entreprises/parcours/offreurs/?reseau=numerique").content.decode()
    assert "Cabinet fictif" in html and "!!MISSING" not in html
    html = client.get("/entreprises/parcours/").content.decode()
    assert 'data-figure="parcours-total">0<' in html and "!!MISSING" not in html


def test_reminders_co_advisors_step_aid_and_closing_the_parcours(client, ctx):
    siren = ctx["company"].siren
    provider = SolutionProvider.objects.create(name="Cabinet fictif", domain="industrie")
    login(client, ctx["sxb_user"])
    client.post(
        f"/entreprises/{siren}/rappels/",
        {"owner": ctx["sxb"].pk, "remind_on": "2026-03-01", "text": "Relancer"},
    )
    reminder = Reminder.objects.unscoped().get()
    assert reminder.assignee == ctx["sxb_user"] and reminder.visibility == "private"
    assert "Relancer" in client.get("/entreprises/").content.decode()
    client.post(f"/entreprises/{siren}/rappels/{reminder.pk}/fait/")
    assert "Relancer" not in client.get("/entreprises/").content.decode()
    reminder.refresh_from_db()
    assert reminder.done_at is not None
    expert = make_member(ctx["sxb"], username="expert.sxb")
    client.post(
        f"/entreprises/{siren}/conseillers/",
        {"owner": ctx["sxb"].pk, "user": expert.pk, "role": "expert", "expertise": "énergie"},
    )
    advisor = CompanyAdvisor.objects.unscoped().get(role="expert")
    client.post(f"/entreprises/{siren}/conseillers/{advisor.pk}/fin/", {"note": "mission terminée"})
    advisor.refresh_from_db()
    assert advisor.ended_on == timezone.localdate()
    client.post(
        f"/entreprises/{siren}/parcours/",
        {"owner": ctx["sxb"].pk, "step": "1_sensibilisation", "on": "2026-01-05"},
    )
    step = ParcoursStep.objects.get()
    html = client.get(f"/entreprises/{siren}/").content.decode()
    assert f'id="step{step.pk}_provider"' in html and "!!MISSING" not in html
    client.post(
        f"/entreprises/{siren}/parcours/etapes/{step.pk}/",
        {"provider": provider.pk, "aid_granted": "on", "aid_label": "Diagnostic", "aid_amount_eur": "8000"},
    )
    step.refresh_from_db()
    assert step.provider == provider and step.aid_granted and step.aid_amount_eur == 8000
    client.post(f"/entreprises/{siren}/parcours/cloture/", {"status": "abandoned"})
    journey = ParcoursJourney.objects.unscoped().get()
    assert journey.status == "abandoned"
    step.refresh_from_db()
    assert step.status == "abandoned"


def test_an_exchange_shared_with_a_designated_organisation_shows_its_notes_there(client, ctx):
    login(client, ctx["sxb_user"])
    client.post(
        f"/entreprises/{ctx['company'].siren}/echanges/",
        {
            "owner": ctx["sxb"].pk,
            "visibility": "shared",
            "shared_with": [ctx["mul"].pk],
            "kind": "meeting",
            "happened_on": "2026-02-02",
            "topic": "Sous-traitance",
            "notes": "Cherche un sous-traitant à Mulhouse",
        },
    )
    assert list(Exchange.objects.unscoped().get().shared_with.all()) == [ctx["mul"]]
    client.logout()
    login(client, ctx["mul_user"])
    assert (
        "Cherche un sous-traitant à Mulhouse"
        in client.get(f"/entreprises/{ctx['company'].siren}/").content.decode()
    )
    client.logout()
    login(client, ctx["region_user"])
    html = client.get(f"/entreprises/{ctx['company'].siren}/").content.decode()
    assert "Cherche un sous-traitant" not in html and f"Échange avec {ctx['sxb'].name} le 02/02/2026" in html


def test_company_page_queries_do_not_grow_with_its_history(client, ctx):
    a = Actor.for_user(ctx["sxb_user"])
    company = ctx["company"]

    def add_history(day):
        exchange_create(
            actor=a,
            owner=ctx["sxb"],
            company=company,
            kind="call",
            happened_on=date(2026, 1, day),
            topic="Point",
        )
        need_create(
            actor=a, owner=ctx["sxb"], company=company, topic="export", title=f"Besoin {day}", assignee=a.user
        )
        Signal.objects.create(
            owner=ctx["sxb"],
            visibility=Visibility.NETWORK,
            company=company,
            commune_id="67482",
            source="advisor",
            category="financing",
            observed_on=date(2026, 1, day),
        )

    add_history(1)
    login(client, ctx["sxb_user"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/entreprises/{company.siren}/").status_code == 200
        return len(queries)

    before = count()
    for day in range(2, 8):
        add_history(day)
    # Only the per-signal permission check (whether one may handle it) grows, by a bounded amount per signal.
    assert count() <= before + 6 * 3


def test_the_region_prepares_a_review_of_an_epci_territory_with_what_it_may_see(client, ctx):
    late = make_company(communes_of("246700488")[2], name="BESOIN PARTAGE EN RETARD")
    hidden = make_company(communes_of("246700488")[3], name="BESOIN PRIVE EN RETARD")
    a = Actor.for_user(ctx["sxb_user"])
    past = timezone.localdate() - timedelta(days=2)
    need_create(
        actor=a,
        owner=ctx["sxb"],
        company=late,
        topic="export",
        title="Salon",
        due_on=past,
        visibility="region",
    )
    need_create(actor=a, owner=ctx["sxb"], company=hidden, topic="export", title="Salon", due_on=past)
    login(client, ctx["region_user"])
    form = client.get("/entreprises/revues/").content.decode()
    assert f'value="org:{ctx["sxb"].pk}"' in form
    client.post(
        "/entreprises/revues/",
        {
            "owner": ctx["region"].pk,
            "held_on": timezone.localdate().isoformat(),
            "area": f"org:{ctx['sxb'].pk}",
            "stall_days": 120,
        },
    )
    review = ProjectReview.objects.unscoped().get()
    assert review.area_organization == ctx["sxb"] and review.owner == ctx["region"]
    assert [(i.rule, i.company_id) for i in review.agenda.all()] == [("need_past_due", late.siren)]


def test_exchange_edit_page_shares_notes_later(client, ctx):
    ex = exchange_create(
        actor=Actor.for_user(ctx["sxb_user"]),
        owner=ctx["sxb"],
        company=ctx["company"],
        kind="call",
        happened_on=date(2026, 1, 6),
        topic="Export",
        notes=PRIVATE_NOTE,
    )
    url = f"/entreprises/{ctx['company'].siren}/echanges/{ex.pk}/"
    login(client, ctx["mul_user"])
    assert client.get(url).status_code == 404
    client.logout()
    login(client, ctx["sxb_user"])
    assert url in client.get(f"/entreprises/{ctx['company'].siren}/").content.decode()
    page = client.get(url).content.decode()
    assert "Export" in page and "!!MISSING" not in page
    response = client.post(url, {"topic": "Export", "notes": PRIVATE_NOTE, "visibility": "region"})
    assert response.status_code == 302
    client.logout()
    login(client, ctx["region_user"])
    assert PRIVATE_NOTE in client.get(f"/entreprises/{ctx['company'].siren}/").content.decode()
