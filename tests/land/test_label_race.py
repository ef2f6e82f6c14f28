"""Twenty label proposals for one site at once, on PostgreSQL with real threads: exactly one stays pending,
the others get the French message; the database itself refuses a second pending proposal."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from tandem.core.errors import UserError
from tandem.land.labels import label_propose
from tandem.land.models import LabelDecision
from tandem.land.models.labels import PENDING_PROPOSAL_MESSAGE
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tests.factories import epci_org, make_member
from tests.land.inventory_builders import make_site

STRASBOURG = "246700488"
THREADS = 20


@pytest.fixture
def site_and_user(grand_est_geography):
    org = epci_org(STRASBOURG)
    site = make_site(org, "67482", visibility=Visibility.PRIVATE)
    return site, make_member(org, Role.CONTRIBUTEUR)


def test_concurrent_proposals_leave_exactly_one_pending(site_and_user):
    site, user = site_and_user
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def propose():
        try:
            barrier.wait(timeout=30)
            label_propose(actor=Actor.for_user(user), site=site, proposal_text="zone prête")
            result = "ok"
        except UserError as exc:
            result = exc.message
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=propose) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == THREADS
    assert outcomes.count("ok") == 1
    assert outcomes.count(PENDING_PROPOSAL_MESSAGE) == THREADS - 1
    assert LabelDecision.objects.filter(site=site, status=LabelDecision.Status.PROPOSED).count() == 1


def test_the_database_refuses_a_second_pending_proposal(site_and_user):
    site, user = site_and_user
    first = label_propose(actor=Actor.for_user(user), site=site)
    values = {
        "site": site,
        "label": first.label,
        "proposed_by_org_id": site.owner_id,
        "proposed_on": first.proposed_on,
    }
    with pytest.raises(IntegrityError, match="land_label_one_pending_proposal"), transaction.atomic():
        LabelDecision.objects.create(**values)
    # A decided proposal no longer blocks a new one.
    LabelDecision.objects.filter(pk=first.pk).update(status=LabelDecision.Status.REFUSED)
    assert LabelDecision.objects.create(**values).status == LabelDecision.Status.PROPOSED
