"""Follow-up services: référents and handovers, contacts, exchanges, needs, projects, permissions."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from tandem.companies.followup import (
    advisor_assign,
    advisor_end,
    company_commune_for,
    contact_create,
    contact_delete,
    current_referent,
    exchange_create,
    exchange_update,
    need_create,
    need_status_set,
    project_answer,
    project_create,
)
from tandem.companies.models import CompanyAdvisor, Contact, Exchange
from tandem.companies.perms import can_hand_over_referent, can_see_exchange_existence
from tandem.companies.selectors_followup import company_timeline, establishments_for
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Organization, Role, Visibility
from tandem.organizations.perms import Actor, scope_queryset
from tests.companies.followup_builders import make_company, make_establishment
from tests.factories import communes_of, epci_org, make_member, other_org, region_org

pytestmark = pytest.mark.django_db

STRASBOURG = "246700488"
MULHOUSE = "200066009"


@pytest.fixture
def world():
    strasbourg = epci_org(STRASBOURG)
    mulhouse = epci_org(MULHOUSE)
    region = region_org()
    agence = other_org(Organization.Kind.AGENCE)
    Delegation.objects.create(delegator=strasbourg, delegate=agence, scope=Delegation.Scope.WRITE)
    company = make_company("67482", name="ATELIERS FICTIFS DU RHIN")  # Strasbourg
    return {
        "strasbourg": strasbourg,
        "mulhouse": mulhouse,
        "region": region,
        "agence": agence,
        "company": company,
        "sxb_user": make_member(strasbourg),
        "mul_user": make_member(mulhouse),
        "region_user": make_member(region),
        "agence_user": make_member(agence),
        "sxb_reader": make_member(strasbourg, Role.LECTEUR),
    }


def actor(user):
    return Actor.for_user(user)


def test_referent_handover_keeps_dated_history(world):
    company, sxb = world["company"], world["strasbourg"]
    first = advisor_assign(
        actor=actor(world["sxb_user"]),
        company=company,
        user=world["sxb_user"],
        organization=sxb,
        started_on=date(2025, 1, 6),
    )
    assert first.commune_id == "67482" and first.visibility == Visibility.NETWORK
    second_user = make_member(sxb)
    second = advisor_assign(
        actor=actor(world["sxb_user"]),
        company=company,
        user=second_user,
        organization=sxb,
        started_on=date(2025, 9, 1),
        handover_note="départ en retraite",
    )
    first.refresh_from_db()
    assert first.ended_on == date(2025, 9, 1) and first.handover_note == "départ en retraite"
    assert current_referent(company) == second
    assert CompanyAdvisor.objects.unscoped().filter(company=company, role="referent").count() == 2
    assert AuditEvent.objects.filter(object_type="companies.companyadvisor").count() == 3


def test_database_guarantees_one_current_referent(world):
    company, sxb = world["company"], world["strasbourg"]
    advisor_assign(actor=actor(world["sxb_user"]), company=company, user=world["sxb_user"], organization=sxb)
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyAdvisor.objects.create(
            owner=sxb,
            company=company,
            user=world["sxb_user"],
            organization=sxb,
            role="referent",
            started_on=date.today(),
        )


def test_another_epci_cannot_take_over_but_the_region_can(world):
    company = world["company"]
    current = advisor_assign(
        actor=actor(world["sxb_user"]),
        company=company,
        user=world["sxb_user"],
        organization=world["strasbourg"],
    )
    assert not can_hand_over_referent(actor(world["mul_user"]), current)
    with pytest.raises(NotAllowed):
        advisor_assign(
            actor=actor(world["mul_user"]),
            company=company,
            user=world["mul_user"],
            organization=world["mulhouse"],
        )
    assert can_hand_over_referent(actor(world["region_user"]), current)
    new = advisor_assign(
        actor=actor(world["region_user"]),
        company=company,
        user=world["region_user"],
        organization=world["region"],
        started_on=date.today() + timedelta(days=1),
    )
    assert current_referent(company) == new


def test_co_advisors_and_experts_end_but_a_referent_is_replaced(world):
    company, sxb = world["company"], world["strasbourg"]
    a = actor(world["sxb_user"])
    referent = advisor_assign(actor=a, company=company, user=world["sxb_user"], organization=sxb)
    expert = advisor_assign(
        actor=a, company=company, user=make_member(sxb), organization=sxb, role="expert", expertise="énergie"
    )
    with pytest.raises(UserError):
        advisor_end(actor=a, advisor=referent)
    advisor_end(actor=a, advisor=expert, note="mission terminée")
    expert.refresh_from_db()
    assert expert.ended_on == date.today()


def test_reader_and_outsider_cannot_write(world):
    company = world["company"]
    with pytest.raises(NotAllowed):
        exchange_create(
            actor=actor(world["sxb_reader"]),
            owner=world["strasbourg"],
            company=company,
            kind="call",
            happened_on=date.today(),
            topic="Point trésorerie",
        )
    # Mulhouse cannot write in Strasbourg's perimeter on its own behalf.
    with pytest.raises(NotAllowed):
        need_create(
            actor=actor(world["mul_user"]),
            owner=world["mulhouse"],
            company=company,
            topic="financing",
            title="Prêt",
        )


def test_agency_writes_for_the_epci_through_its_delegation(world):
    need = need_create(
        actor=actor(world["agence_user"]),
        owner=world["strasbourg"],
        company=world["company"],
        topic="financing",
        title="Prêt de trésorerie",
        due_on=date(2026, 1, 15),
    )
    assert need.owner == world["strasbourg"] and need.commune_id == "67482"
    need_status_set(actor=actor(world["agence_user"]), need=need, status="done", on=date(2026, 1, 10))
    need.refresh_from_db()
    assert need.closed_on == date(2026, 1, 10)


def test_commune_prefers_an_establishment_in_the_owner_perimeter(world):
    company = world["company"]
    mulhouse_commune = communes_of(MULHOUSE)[0]
    make_establishment(company, mulhouse_commune, nic="00029")
    assert company_commune_for(company, world["mulhouse"]) == mulhouse_commune
    assert company_commune_for(company, world["strasbourg"]) == "67482"
    assert company_commune_for(company) == "67482"


def test_contact_deletion_is_real_and_audited_without_personal_data(world):
    a = actor(world["sxb_user"])
    contact = contact_create(
        actor=a,
        owner=world["strasbourg"],
        company=world["company"],
        full_name="Alix Exemple",
        email="alix@example.org",
        purpose="interlocuteur pour le projet d'extension",
        source="meeting",
    )
    with pytest.raises(NotAllowed):
        contact_delete(actor=actor(world["mul_user"]), contact=contact)
    contact_delete(actor=a, contact=contact)
    assert not Contact.objects.unscoped().exists()
    event = AuditEvent.objects.get(object_type="companies.contact", action="delete")
    text = f"{event.object_repr} {event.details}"
    assert "Alix" not in text and "example.org" not in text and world["company"].siren in text


def test_contact_requires_a_purpose(world):
    with pytest.raises(UserError, match="finalité"):
        contact_create(
            actor=actor(world["sxb_user"]),
            owner=world["strasbourg"],
            company=world["company"],
            full_name="Alix Exemple",
            purpose=" ",
            source="meeting",
        )


def test_private_note_stays_private_but_the_exchange_shows_in_the_timeline(world):
    ex = exchange_create(
        actor=actor(world["sxb_user"]),
        owner=world["strasbourg"],
        company=world["company"],
        kind="visit",
        happened_on=date(2025, 11, 3),
        topic="Projet d'extension",
        notes="Marge en baisse, dirigeant inquiet",
    )
    outsider = actor(world["mul_user"])
    assert not scope_queryset(outsider, Exchange.objects.unscoped().all()).exists()
    assert can_see_exchange_existence(outsider)
    events = [e for e in company_timeline(outsider, world["company"]) if e.kind == "exchange"]
    assert len(events) == 1
    # The subject is as private as the notes: others learn who met the company, and when.
    assert events[0].title == f"Échange avec {world['strasbourg'].name} le 03/11/2025"
    assert events[0].detail == "" and events[0].private
    mine = [e for e in company_timeline(actor(world["sxb_user"]), world["company"]) if e.kind == "exchange"]
    assert mine[0].detail == "Marge en baisse, dirigeant inquiet" and not mine[0].private
    # Shared with the Région: the Région reads the note.
    ex.visibility = Visibility.REGION
    ex.save()
    region_events = [
        e for e in company_timeline(actor(world["region_user"]), world["company"]) if e.kind == "exchange"
    ]
    assert region_events[0].detail == "Marge en baisse, dirigeant inquiet"


def test_exchange_cannot_be_in_the_future(world):
    with pytest.raises(UserError, match="futur"):
        exchange_create(
            actor=actor(world["sxb_user"]),
            owner=world["strasbourg"],
            company=world["company"],
            kind="call",
            happened_on=date.today() + timedelta(days=2),
            topic="x",
        )


def test_land_need_requires_a_surface_and_can_be_answered(world):
    a = actor(world["sxb_user"])
    with pytest.raises(UserError, match="surface"):
        project_create(
            actor=a, owner=world["strasbourg"], company=world["company"], kind="land", title="Terrain"
        )
    project = project_create(
        actor=a,
        owner=world["strasbourg"],
        company=world["company"],
        kind="land",
        title="Terrain de 2 ha",
        surface_needed_m2=20_000,
    )
    project_answer(actor=a, project=project, answer="Trois terrains proposés en ZAE")
    project.refresh_from_db()
    assert project.status == "answered" and project.answered_on == date.today()


def test_epci_lists_the_establishments_of_its_perimeter_only(world):
    make_company(communes_of(MULHOUSE)[0], name="USINE FICTIVE DE MULHOUSE")
    sxb = list(establishments_for(actor(world["sxb_user"])))
    assert [e.company.name for e in sxb] == ["ATELIERS FICTIFS DU RHIN"]
    assert {e.company.name for e in establishments_for(actor(world["region_user"]))} >= {
        "ATELIERS FICTIFS DU RHIN",
        "USINE FICTIVE DE MULHOUSE",
    }
    # The agency sees what its delegation covers.
    assert [e.company.name for e in establishments_for(actor(world["agence_user"]))] == [
        "ATELIERS FICTIFS DU RHIN"
    ]
    assert [e.siret for e in establishments_for(actor(world["sxb_user"]), q=world["company"].siren)] == [
        world["company"].siren + "00011"
    ]


def test_exchange_shared_later_by_its_organisation_only(world):
    ex = exchange_create(
        actor=actor(world["sxb_user"]),
        owner=world["strasbourg"],
        company=world["company"],
        kind="meeting",
        happened_on=date(2026, 1, 6),
        topic="Export",
        notes="Vise l'Allemagne",
    )
    # The agency may correct it through its delegation, but not decide who reads it.
    exchange_update(actor=actor(world["agence_user"]), exchange=ex, topic="Export vers l'Allemagne")
    with pytest.raises(NotAllowed, match="décide"):
        exchange_update(actor=actor(world["agence_user"]), exchange=ex, visibility=Visibility.NETWORK)
    with pytest.raises(NotAllowed):
        exchange_update(actor=actor(world["mul_user"]), exchange=ex, notes="x")
    exchange_update(actor=actor(world["sxb_user"]), exchange=ex, shared_with=[world["mulhouse"]])
    assert scope_queryset(actor(world["mul_user"]), Exchange.objects.unscoped().all()).get() == ex
    event = AuditEvent.objects.filter(object_type="companies.exchange", action="update").first()
    assert event.details == {"fields": ["shared_with"]} and "Allemagne" not in str(event.details)
