"""Role × object access to conventions and quarterly reports, through HTTP.

`expected()` states the rules plainly, independently of `tandem.steering.perms`: the Région (owner) and the
partner organisation see a convention and its reports; the Région's contributors set objectives and validate
sent reports; the partner's contributors comment and send them; readers only read; everyone else gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tandem.land.selectors import Territory
from tandem.organizations.models import Role
from tandem.organizations.perms import Actor
from tandem.steering.models import QuarterlyReport
from tandem.steering.registry import Period
from tandem.steering.services import convention_create, report_open, report_submit
from tests.factories import epci_org, make_member, make_user, other_org, region_org
from tests.steering.builders import MULHOUSE, STRASBOURG

pytestmark = pytest.mark.django_db
KINDS = ["region", "partner", "epci_other", "agence"]
ACTORS = [(k, r) for k in KINDS for r in (Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN)] + [
    ("platform_admin", None),
    ("anonymous", None),
]
ACTIONS = [
    "read",
    "list",
    "objective",
    "open_report",
    "report_read",
    "comment",
    "submit",
    "validate",
    "pdf",
    "create",
]
Q = Period(2026, 3)


def expected(kind: str, role: str | None, action: str) -> int:
    if kind == "anonymous":
        return 302  # to the login page
    admin = kind == "platform_admin"
    writer = role in (Role.CONTRIBUTEUR, Role.ADMIN)
    if action == "create":
        return 200 if admin or (kind == "region" and writer) else 403
    if action == "list":
        return 200  # the list is open to members; its content is checked apart
    sees = admin or kind in ("region", "partner")
    if not sees:
        return 404
    if action in ("read", "report_read"):
        return 200
    if action == "pdf":
        return 302
    if action == "objective":
        return 302 if admin or (kind == "region" and writer) else 403
    if action == "open_report":
        return 302 if admin or writer else 403
    if action in ("comment", "submit"):
        return 302 if admin or (kind == "partner" and writer) else 403
    if action == "validate":
        return 302 if admin or (kind == "region" and writer) else 403
    raise AssertionError(action)


@pytest.fixture
def world():
    region = region_org()
    partner = epci_org(STRASBOURG)
    orgs = {
        "region": region,
        "partner": partner,
        "epci_other": epci_org(MULHOUSE),
        "agence": other_org("agence"),
    }
    author = make_member(region, Role.ADMIN)
    convention = convention_create(
        actor=Actor.for_user(author),
        owner=region,
        partner=partner,
        title="Convention de délégation des aides",
        kind="delegation",
        territory=Territory("epci", STRASBOURG, "Eurométropole de Strasbourg"),
        epci=partner.epci,
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    draft = report_open(actor=Actor.for_user(author), convention=convention, period=Q)
    sent = report_open(actor=Actor.for_user(author), convention=convention, period=Q.previous())
    partner_writer = make_member(partner, Role.CONTRIBUTEUR)
    report_submit(actor=Actor.for_user(partner_writer), report=sent)
    return {"orgs": orgs, "convention": convention, "draft": draft, "sent": sent}


def _client(world, kind, role) -> Client:
    client = Client()
    if kind == "anonymous":
        return client
    user = make_user(superuser=True) if kind == "platform_admin" else make_member(world["orgs"][kind], role)
    client.force_login(user)
    return client


@pytest.mark.parametrize(("kind", "role"), ACTORS)
def test_convention_and_report_access(world, kind, role):
    client = _client(world, kind, role)
    c, draft, sent = world["convention"], world["draft"], world["sent"]
    requests = {
        "read": ("get", f"/pilotage/conventions/{c.pk}/", {}),
        "list": ("get", "/pilotage/conventions/", {}),
        "objective": (
            "post",
            f"/pilotage/conventions/{c.pk}/objectif/",
            {"indicator": "companies.followed", "year": 2026, "target": 40, "weight": 50},
        ),
        "open_report": ("post", f"/pilotage/conventions/{c.pk}/rapports/", {"periode": "2026-T4"}),
        "report_read": ("get", f"/pilotage/rapports/{draft.pk}/", {}),
        "comment": ("post", f"/pilotage/rapports/{draft.pk}/commentaire/", {"comment": "Bon trimestre."}),
        "submit": ("post", f"/pilotage/rapports/{draft.pk}/transmettre/", {}),
        "validate": ("post", f"/pilotage/rapports/{sent.pk}/valider/", {}),
        "pdf": ("post", f"/pilotage/rapports/{draft.pk}/pdf/", {}),
        "create": ("get", "/pilotage/conventions/nouvelle/", {}),
    }
    got = {}
    for action in ACTIONS:
        method, url, data = requests[action]
        got[action] = getattr(client, method)(url, data).status_code
    want = {action: expected(kind, role, action) for action in ACTIONS}
    assert got == want
    # Listing shows the convention exactly to those who see it.
    if kind != "anonymous":
        listed = "Convention de délégation des aides" in client.get("/pilotage/conventions/").content.decode()
        assert listed == (kind in ("region", "partner", "platform_admin"))
    draft.refresh_from_db()
    sent.refresh_from_db()
    changed = kind != "anonymous"  # an anonymous 302 is the login redirect
    if changed and want["submit"] == 302:
        assert draft.status == QuarterlyReport.Status.SUBMITTED
    else:
        assert draft.status == QuarterlyReport.Status.DRAFT
    assert sent.status == (
        QuarterlyReport.Status.VALIDATED
        if changed and want["validate"] == 302
        else QuarterlyReport.Status.SUBMITTED
    )
