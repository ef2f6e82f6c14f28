"""Conventions: the alert before expiry is e-mailed once, by the daily periodic job, to the people who act
on the convention (contributors and administrators of the Région and of the partner), read back from a real
SMTP server; the delegations page names the convention that grounds a delegation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tandem.land.selectors import Territory
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.organizations.services import delegation_create
from tandem.steering.models import Convention
from tandem.steering.services import convention_create
from tandem.steering.tasks import conventions_alert_job
from tests.factories import epci_org, make_member, other_org, region_org
from tests.steering.builders import MULHOUSE, STRASBOURG
from tests.test_periodic_jobs import smtp_inbox  # noqa: F401 — the real SMTP server fixture

pytestmark = pytest.mark.django_db


def _member(org, role, address):
    user = make_member(org, role)
    user.email = address
    user.save()
    return user


def test_a_convention_near_its_end_is_alerted_once_to_those_who_act_on_it(smtp_inbox):  # noqa: F811
    today = dt.date.today()
    region, strasbourg, mulhouse = region_org(), epci_org(STRASBOURG), epci_org(MULHOUSE)
    author = _member(region, Role.ADMIN, "region-admin@example.fr")
    _member(region, Role.LECTEUR, "region-lecteur@example.fr")
    _member(strasbourg, Role.CONTRIBUTEUR, "strasbourg@example.fr")
    _member(mulhouse, Role.ADMIN, "mulhouse@example.fr")

    def convention(title, partner, ends_in_days, alert_days=60, renews=None):
        return convention_create(
            actor=Actor.for_user(author),
            owner=region,
            partner=partner,
            title=title,
            kind="delegation",
            territory=Territory("epci", partner.epci_id, partner.name),
            epci=partner.epci,
            starts_on=today - dt.timedelta(days=700),
            ends_on=today + dt.timedelta(days=ends_in_days),
            alert_days=alert_days,
            renews=renews,
        )

    due = convention("Délégation des aides — Strasbourg", strasbourg, 45)
    convention("Délégation des aides — Mulhouse (loin de l'échéance)", mulhouse, 200)
    renewed = convention("Ancienne convention Mulhouse", mulhouse, 10)
    convention("Convention renouvelée Mulhouse", mulhouse, 1000, renews=renewed)
    convention("Convention échue Mulhouse", mulhouse, -3)

    timestamp = int(dt.datetime.combine(today, dt.time(6, 30), tzinfo=dt.UTC).timestamp())
    assert conventions_alert_job(timestamp) == 2
    received = sorted((m["To"], m["Subject"], m.get_content()) for m in smtp_inbox.messages)
    assert [r[0] for r in received] == ["region-admin@example.fr", "strasbourg@example.fr"]
    for _to, subject, body in received:
        assert "« Délégation des aides — Strasbourg » arrive à échéance" in subject
        assert "dans 45 jours" in body and "n'est pas encore renouvelée" in body
        assert f"https://tandem.example.fr/pilotage/conventions/{due.pk}/" in body
        assert "Mulhouse" not in body
    assert Convention.objects.unscoped().get(pk=due.pk).alert_sent_at is not None

    # The next morning, nothing is sent again.
    assert conventions_alert_job(timestamp + 86400) == 0
    assert len(smtp_inbox.messages) == 2


def test_the_delegations_page_names_the_convention_grounding_a_delegation_to_its_parties_only(client):
    today = dt.date.today()
    region, strasbourg = region_org(), epci_org(STRASBOURG)
    agency = other_org("agence")
    epci_admin = make_member(strasbourg, Role.ADMIN)
    delegation = delegation_create(
        actor=Actor.for_user(epci_admin), delegator=strasbourg, delegate=agency, starts_on=today
    )
    convention_create(
        actor=Actor.for_user(make_member(region, Role.ADMIN)),
        owner=region,
        partner=strasbourg,
        title="Convention de délégation des aides 2026",
        kind="delegation",
        territory=Territory("epci", STRASBOURG, "Strasbourg"),
        epci=strasbourg.epci,
        starts_on=today,
        ends_on=today + dt.timedelta(days=900),
        delegations=[delegation],
    )
    client.force_login(epci_admin)
    html = client.get(reverse("www:delegation_list")).content.decode()
    assert "Convention de délégation des aides 2026" in html and "/pilotage/conventions/" in html
    # The agency sees the delegation it holds, not the convention it is no party to.
    client.force_login(make_member(agency, Role.ADMIN))
    html = client.get(reverse("www:delegation_list")).content.decode()
    assert strasbourg.name in html and "Convention de délégation des aides 2026" not in html
