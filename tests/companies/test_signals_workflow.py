"""Signals workflow: acknowledge, act with an action of the taxonomy, dismiss with a reason; who may."""

from datetime import date

import pytest

from tandem.companies.models import Signal
from tandem.companies.perms import can_handle_signal
from tandem.companies.signals_workflow import signal_acknowledge, signal_act, signal_dismiss
from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.organizations.models import Visibility
from tandem.organizations.perms import Actor
from tests.companies.followup_builders import make_company
from tests.factories import epci_org, make_member, region_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    region = region_org()
    sxb = epci_org("246700488")
    mul = epci_org("200066009")
    company = make_company("67482")
    signal = Signal.objects.create(
        owner=region,
        visibility=Visibility.NETWORK,
        company=company,
        commune_id="67482",
        source="bodacc",
        rule="bodacc.redressement/v1",
        category="collective_proceeding",
        observed_on=date(2026, 2, 3),
        description="BODACC : jugement d'ouverture d'une procédure de redressement judiciaire",
    )
    return {
        "signal": signal,
        "sxb": Actor.for_user(make_member(sxb)),
        "mul": Actor.for_user(make_member(mul)),
        "region": Actor.for_user(make_member(region)),
        "sxb_org": sxb,
        "company": company,
    }


def test_local_epci_acknowledges_then_acts(ctx):
    signal = ctx["signal"]
    assert can_handle_signal(ctx["sxb"], signal) and not can_handle_signal(ctx["mul"], signal)
    assert can_handle_signal(ctx["region"], signal)
    with pytest.raises(NotAllowed):
        signal_acknowledge(actor=ctx["mul"], signal=signal)
    signal_acknowledge(actor=ctx["sxb"], signal=signal, note="Dirigeant appelé")
    with pytest.raises(UserError, match="inconnue"):
        signal_act(actor=ctx["sxb"], signal=signal, action="prière")
    signal_act(actor=ctx["sxb"], signal=signal, action="mediation", note="Saisine de la médiation du crédit")
    signal.refresh_from_db()
    assert (signal.status, signal.action, signal.status_changed_by) == ("acted", "mediation", ctx["sxb"].user)
    with pytest.raises(UserError, match="déjà traité"):
        signal_dismiss(actor=ctx["sxb"], signal=signal, reason="resolved")
    assert AuditEvent.objects.filter(object_type="companies.signal", action="update").count() == 2


def test_dismissal_needs_a_reason(ctx):
    signal = ctx["signal"]
    with pytest.raises(UserError, match="motif"):
        signal_dismiss(actor=ctx["region"], signal=signal, reason="")
    with pytest.raises(UserError, match="Précisez"):
        signal_dismiss(actor=ctx["region"], signal=signal, reason="other")
    signal_dismiss(actor=ctx["region"], signal=signal, reason="already_known", note="Suivi par la CCI")
    signal.refresh_from_db()
    assert signal.status == "dismissed" and signal.dismissal_reason == "already_known"


def test_a_private_advisor_signal_is_handled_by_its_owner_only(ctx):
    signal = Signal.objects.create(
        owner=ctx["sxb_org"],
        visibility=Visibility.PRIVATE,
        company=ctx["company"],
        commune_id="67482",
        source="advisor",
        rule="advisor",
        category="succession",
        observed_on=date(2026, 1, 5),
    )
    assert not can_handle_signal(ctx["region"], signal)
    assert not can_handle_signal(ctx["mul"], signal)
    signal_acknowledge(actor=ctx["sxb"], signal=signal)
    signal.refresh_from_db()
    assert signal.status == "acknowledged"
