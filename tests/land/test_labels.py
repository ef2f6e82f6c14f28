"""STAR'EST label workflow through the permission layer: the EPCI proposes, the Région decides, all audited."""

import datetime as dt

import pytest

from tandem.core.errors import NotAllowed, UserError
from tandem.core.models import AuditEvent
from tandem.land.labels import label_decide, label_propose, label_withdraw, site_sector_priorities_set
from tandem.land.models import LabelDecision, Site
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor, scope_queryset
from tests.factories import communes_of, epci_org, make_member, region_org
from tests.land.inventory_builders import make_site

pytestmark = pytest.mark.django_db
STRASBOURG, MULHOUSE = "246700488", "200066009"


@pytest.fixture
def actors():
    stras, mulh, region = epci_org(STRASBOURG), epci_org(MULHOUSE), region_org()
    site = make_site(stras, communes_of(STRASBOURG)[0], visibility=Visibility.PRIVATE)
    return {
        "site": site,
        "region": region,
        "epci_contrib": Actor.for_user(make_member(stras, Role.CONTRIBUTEUR)),
        "epci_reader": Actor.for_user(make_member(stras, Role.LECTEUR)),
        "other_epci": Actor.for_user(make_member(mulh, Role.ADMIN)),
        "region_contrib": Actor.for_user(make_member(region, Role.CONTRIBUTEUR)),
        "region_reader": Actor.for_user(make_member(region, Role.LECTEUR)),
    }


def test_epci_proposes_and_region_labels(actors):
    site = actors["site"]
    region = actors["region_contrib"]
    # A private site is not visible to the Région before it is proposed.
    assert not scope_queryset(region, Site.objects.unscoped().filter(pk=site.pk)).exists()
    proposal = label_propose(
        actor=actors["epci_contrib"],
        site=site,
        proposal_text="Zone de 40 ha viabilisée, raccordée au poste source.",
        sector_priorities=["batteries", " hydrogène ", ""],
        on=dt.date(2026, 3, 2),
    )
    assert proposal.status == LabelDecision.Status.PROPOSED
    assert proposal.sector_priorities == ["batteries", "hydrogène"]
    assert scope_queryset(region, Site.objects.unscoped().filter(pk=site.pk)).exists()
    with pytest.raises(UserError, match="déjà en attente"):
        label_propose(actor=actors["epci_contrib"], site=site)

    decided = label_decide(
        actor=region,
        decision=proposal,
        accept=True,
        decision_text="Délibération CP-2026-04 : label STAR'EST accordé.",
        valid_until=dt.date(2029, 4, 1),
        on=dt.date(2026, 4, 10),
    )
    assert decided.status == LabelDecision.Status.LABELLED
    assert decided.decided_by_org == actors["region"] and decided.decided_on == dt.date(2026, 4, 10)
    site.refresh_from_db()
    assert site.tdm_labels == ["STAR'EST"]
    assert site.tdm_sector_priorities == ["batteries", "hydrogène"]
    steps = list(
        AuditEvent.objects.filter(object_type="land.labeldecision")
        .order_by("at")
        .values_list("details__step", flat=True)
    )
    assert steps == ["proposition", "décision"]
    with pytest.raises(UserError, match="déjà été traitée"):
        label_decide(actor=region, decision=proposal, accept=False, decision_text="non")
    with pytest.raises(UserError, match="déjà labellisé"):
        label_propose(actor=actors["epci_contrib"], site=site)
    label_withdraw(actor=region, decision=decided, reason="Projet abandonné")
    site.refresh_from_db()
    assert site.tdm_labels == []


def test_only_the_right_people_propose_and_decide(actors):
    site = actors["site"]
    for who in ("epci_reader", "other_epci", "region_contrib"):
        with pytest.raises(NotAllowed, match="Vous ne pouvez pas proposer"):
            label_propose(actor=actors[who], site=site)
    proposal = label_propose(actor=actors["epci_contrib"], site=site)
    for who in ("epci_contrib", "region_reader", "other_epci"):
        with pytest.raises(NotAllowed, match="Vous ne pouvez pas décider"):
            label_decide(actor=actors[who], decision=proposal, accept=True, decision_text="oui")
    with pytest.raises(UserError, match="texte de la décision est obligatoire"):
        label_decide(actor=actors["region_contrib"], decision=proposal, accept=False, decision_text="  ")
    refused = label_decide(
        actor=actors["region_contrib"], decision=proposal, accept=False, decision_text="Réseaux insuffisants."
    )
    assert refused.status == LabelDecision.Status.REFUSED and refused.valid_until is None
    site.refresh_from_db()
    assert site.tdm_labels == []
    site_sector_priorities_set(actor=actors["epci_contrib"], site=site, sectors=["agroalimentaire"])
    site.refresh_from_db()
    assert site.tdm_sector_priorities == ["agroalimentaire"]
    with pytest.raises(NotAllowed):
        site_sector_priorities_set(actor=actors["other_epci"], site=site, sectors=["x"])
