"""Builders of the steering tests: a small hand-built territory (land, prospects, follow-up) whose expected
figures are written down by hand in the tests, never computed by the code under test."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tandem.companies.models import CompanyAdvisor, Exchange, Need, ParcoursJourney
from tandem.organizations.models import Visibility
from tandem.prospects.models import Proposal, Prospect, StatusChange
from tandem.territories.models import Epci
from tests.companies.followup_builders import make_company

STRASBOURG, MULHOUSE = "246700488", "200066009"


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 12))


def make_prospect(
    owner, name: str, *, epcis=(STRASBOURG,), created: dt.date, members=(), **fields
) -> Prospect:
    prospect = Prospect.objects.create(owner=owner, code_name=name, surface_min_ha=5, **fields)
    Prospect.objects.unscoped().filter(pk=prospect.pk).update(created_at=at(created))
    prospect.preferred_epcis.set(Epci.objects.filter(pk__in=epcis))
    prospect.members.set(members)
    return prospect


def set_status(prospect: Prospect, status: str, day: dt.date) -> None:
    change = StatusChange.objects.create(prospect=prospect, status=status)
    StatusChange.objects.filter(pk=change.pk).update(at=at(day))
    Prospect.objects.unscoped().filter(pk=prospect.pk).update(status=status)


def make_proposal(prospect: Prospect, organization, site, day: dt.date) -> Proposal:
    proposal = Proposal.objects.create(prospect=prospect, organization=organization, kind="site", site=site)
    Proposal.objects.filter(pk=proposal.pk).update(created_at=at(day))
    return proposal


def follow(
    owner, user, commune: str, *, role=CompanyAdvisor.Role.REFERENT, since=dt.date(2025, 1, 1), until=None
):
    company = make_company(commune)
    return CompanyAdvisor.objects.create(
        owner=owner,
        visibility=Visibility.REGION,
        company=company,
        commune_id=commune,
        user=user,
        organization=owner,
        role=role,
        started_on=since,
        ended_on=until,
    )


def make_need(owner, company, commune, *, created: dt.date, due=None, closed=None) -> Need:
    need = Need.objects.create(
        owner=owner,
        visibility=Visibility.REGION,
        company=company,
        commune_id=commune,
        topic=Need.Topic.FINANCING,
        title="Besoin de test",
        status=Need.Status.DONE if closed else Need.Status.OPEN,
        due_on=due,
        closed_on=closed,
    )
    Need.objects.unscoped().filter(pk=need.pk).update(created_at=at(created))
    return need


def make_exchange(owner, company, commune, day: dt.date) -> Exchange:
    return Exchange.objects.create(
        owner=owner,
        visibility=Visibility.REGION,
        company=company,
        commune_id=commune,
        kind=Exchange.Kind.choices[0][0],
        happened_on=day,
        topic="Rendez-vous",
    )


def make_journey(owner, company, commune, entered: dt.date) -> ParcoursJourney:
    return ParcoursJourney.objects.create(
        owner=owner,
        visibility=Visibility.REGION,
        company=company,
        commune_id=commune,
        entered_on=entered,
        current_step="2_diagnostic",
    )
