"""Project reviews: the agenda lists exactly the companies each rule should select; unfinished actions are
carried forward to the next review of the same area."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tandem.companies.followup import need_create, project_answer, project_create
from tandem.companies.models import AgendaRule, CompanyProject, ParcoursStep, Signal
from tandem.companies.parcours import parcours_step_move
from tandem.companies.reviews import (
    review_action_add,
    review_action_done,
    review_agenda_rebuild,
    review_create,
    review_decision_add,
    review_minutes_set,
)
from tandem.core.errors import NotAllowed
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.perimeters import perimeter_create
from tests.companies.followup_builders import make_company
from tests.factories import communes_of, epci_org, make_member, other_org

pytestmark = pytest.mark.django_db

STRASBOURG, MULHOUSE = "246700488", "200066009"


def _signal(company, owner, *, status="new", observed_on):
    commune = company.establishments.get(is_head_office=True).commune_id
    return Signal.objects.create(
        owner=owner,
        visibility=Visibility.NETWORK,
        company=company,
        commune_id=commune,
        source="bodacc",
        rule="bodacc.redressement/v1",
        category="collective_proceeding",
        observed_on=observed_on,
        status=status,
    )


def test_agenda_lists_exactly_what_each_rule_selects():
    sxb = epci_org(STRASBOURG)
    mul = epci_org(MULHOUSE)
    user = make_member(sxb)
    a = Actor.for_user(user)
    mul_actor = Actor.for_user(make_member(mul))
    held_on = timezone.localdate()
    inside = communes_of(STRASBOURG)
    outside = communes_of(MULHOUSE)[0]
    previous = review_create(actor=a, owner=sxb, organization=sxb, held_on=held_on - timedelta(days=60))
    since = previous.held_on

    expected: set[tuple[str, str]] = set()

    # 1. Needs past due: an open one (selected); a done one, a future one, one outside the area (not).
    late = make_company(inside[0], name="BESOIN EN RETARD")
    need_create(
        actor=a, owner=sxb, company=late, topic="financing", title="Prêt", due_on=held_on - timedelta(days=3)
    )
    expected.add((AgendaRule.NEED_PAST_DUE, late.pk))
    done = make_company(inside[1], name="BESOIN TRAITE")
    n = need_create(
        actor=a, owner=sxb, company=done, topic="financing", title="Prêt", due_on=held_on - timedelta(days=3)
    )
    n.status = "done"
    n.save()
    future = make_company(inside[2], name="BESOIN A VENIR")
    need_create(
        actor=a, owner=sxb, company=future, topic="export", title="Salon", due_on=held_on + timedelta(days=5)
    )
    far = make_company(outside, name="BESOIN A MULHOUSE")
    need_create(
        actor=mul_actor,
        owner=mul,
        company=far,
        topic="financing",
        title="Prêt",
        due_on=held_on - timedelta(days=9),
    )

    # 2. Open fragility signals: new and acknowledged (selected); dismissed, or outside the area (not).
    fragile = make_company(inside[3], name="SIGNAL NOUVEAU")
    _signal(fragile, sxb, observed_on=held_on - timedelta(days=20))
    expected.add((AgendaRule.SIGNAL_OPEN, fragile.pk))
    known = make_company(inside[4], name="SIGNAL PRIS EN COMPTE")
    _signal(known, sxb, status="acknowledged", observed_on=held_on - timedelta(days=200))
    expected.add((AgendaRule.SIGNAL_OPEN, known.pk))
    dismissed = make_company(inside[5], name="SIGNAL ECARTE")
    _signal(dismissed, sxb, status="dismissed", observed_on=held_on - timedelta(days=20))
    _signal(make_company(outside, name="SIGNAL A MULHOUSE"), mul, observed_on=held_on - timedelta(days=20))

    # 3. Parcours steps in progress for more than 120 days (selected); recent or completed (not).
    stalled = make_company(inside[6], name="PARCOURS BLOQUE")
    parcours_step_move(
        actor=a, company=stalled, step="2_diagnostic", owner=sxb, on=held_on - timedelta(days=200)
    )
    expected.add((AgendaRule.PARCOURS_STALLED, stalled.pk))
    moving = make_company(inside[7], name="PARCOURS RECENT")
    parcours_step_move(
        actor=a, company=moving, step="1_sensibilisation", owner=sxb, on=held_on - timedelta(days=200)
    )
    parcours_step_move(actor=a, company=moving, step="2_diagnostic", on=held_on - timedelta(days=30))
    assert ParcoursStep.objects.filter(status="done").count() == 1

    # 4. Land or premises needs without answer (selected); answered, or not a land need (not).
    land = make_company(inside[8], name="FONCIER SANS REPONSE")
    project_create(
        actor=a, owner=sxb, company=land, kind="premises", title="Atelier 800 m²", surface_needed_m2=800
    )
    expected.add((AgendaRule.LAND_UNANSWERED, land.pk))
    answered = make_company(inside[9], name="FONCIER REPONDU")
    p = project_create(
        actor=a, owner=sxb, company=answered, kind="land", title="2 ha", surface_needed_m2=20_000
    )
    project_answer(actor=a, project=p, answer="Deux terrains proposés")
    invest = make_company(inside[10], name="INVESTISSEMENT")
    project_create(actor=a, owner=sxb, company=invest, kind="investment", title="Robot")
    assert CompanyProject.objects.unscoped().count() == 3

    # 5. Establishments created or closed since the last review (selected); before it (not).
    new = make_company(inside[11], name="CREE RECEMMENT", created_on=since + timedelta(days=1))
    expected.add((AgendaRule.ESTABLISHMENT_CREATED, new.pk))
    make_company(inside[12], name="CREE AVANT", created_on=since - timedelta(days=1))
    shut = make_company(inside[13], name="FERME RECEMMENT", closed_on=held_on - timedelta(days=2))
    expected.add((AgendaRule.ESTABLISHMENT_CLOSED, shut.pk))
    make_company(inside[14], name="FERME AVANT", closed_on=since - timedelta(days=10))
    make_company(outside, name="CREE A MULHOUSE", created_on=held_on - timedelta(days=1))

    review = review_create(actor=a, owner=sxb, organization=sxb, held_on=held_on, stall_days=120)
    assert review.previous == previous and review.since == since
    got = {(item.rule, item.company_id) for item in review.agenda.all()}
    assert got == expected
    assert review.agenda.count() == len(expected)


def test_review_records_minutes_decisions_and_carries_unfinished_actions():
    sxb = epci_org(STRASBOURG)
    agence = other_org(Organization.Kind.AGENCE)
    user = make_member(sxb)
    a = Actor.for_user(user)
    perimeter = perimeter_create(
        actor=a,
        owner=sxb,
        name="Secteur nord (fictif)",
        members=communes_of(STRASBOURG)[:5],
        visibility=Visibility.PRIVATE,
    )
    company = make_company(communes_of(STRASBOURG)[0])
    first = review_create(
        actor=a, owner=sxb, perimeter=perimeter, held_on=date(2026, 3, 1), shared_with=[agence]
    )
    assert first.since == date(2026, 3, 1) - timedelta(days=90)
    review_minutes_set(actor=a, review=first, minutes="Tour de table des dossiers.")
    review_decision_add(actor=a, review=first, text="Proposer un diagnostic 360°", company=company)
    open_action = review_action_add(
        actor=a,
        review=first,
        text="Appeler le dirigeant",
        company=company,
        assignee=user,
        due_on=date(2026, 3, 15),
    )
    finished = review_action_add(
        actor=a, review=first, text="Envoyer la fiche aide", assignee_organization=sxb
    )
    review_action_done(actor=a, action=finished, on=date(2026, 3, 5))
    with pytest.raises(NotAllowed):
        review_minutes_set(actor=Actor.for_user(make_member(agence)), review=first, minutes="x")

    second = review_create(actor=a, owner=sxb, perimeter=perimeter, held_on=date(2026, 6, 1))
    assert second.previous == first and second.since == date(2026, 3, 1)
    carried = list(second.actions.all())
    assert [(c.text, c.carried_from_id, c.assignee_id, c.due_on) for c in carried] == [
        ("Appeler le dirigeant", open_action.pk, user.pk, date(2026, 3, 15))
    ]
    review_agenda_rebuild(actor=a, review=second)
    # Another area's review is not the previous one.
    other = review_create(actor=a, owner=sxb, organization=sxb, held_on=date(2026, 7, 1))
    assert other.previous is None and not other.actions.exists()
