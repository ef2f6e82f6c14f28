"""Permission rules of industrial ecology, built on the foundation's layer (`tandem.organizations.perms`).

Who sees a flow or a synergy is decided there (`referent_shared_q`, `facilitator_shared_q`, driven by the
models' `REFERENT_COMPANY_FIELDS` and `FACILITATOR_COMMUNE_FIELDS`); here are the small named rules about
actions. Each is tested directly."""

from __future__ import annotations

from django.db.models import Q

from tandem.organizations.models import Organization
from tandem.organizations.perms import (
    Actor,
    can_create,
    contributor_org_ids,
    facilitator_shared_q,
    is_region_contributor,
    referent_shared_q,
)


def is_facilitator(actor: Actor) -> bool:
    """An « animateur EIT » of at least one organisation (or a platform administrator)."""
    return actor.is_platform_admin or bool(actor.facilitator_org_ids)


def can_record_flow(actor: Actor, *, owner: Organization, commune_code: str | None) -> bool:
    """May `actor` record (or import) a flow for `owner`, of an establishment placed in `commune_code`? The
    ordinary creation rule: the owner's contributors within its perimeter, or a delegate with write rights."""
    from tandem.eit.models import Flow

    return can_create(actor, Flow, owner=owner, commune_code=commune_code)


def synergy_commune_for(actor: Actor, owner: Organization, supplier_commune, receiver_commune):
    """The commune that places a new synergy for `owner`: the supplier's, unless only the receiver's lies in the
    owner's perimeter (an EPCI may follow a synergy whose supplier is outside it)."""
    from tandem.eit.models import Synergy

    if can_create(actor, Synergy, owner=owner, commune_code=supplier_commune):
        return supplier_commune
    if can_create(actor, Synergy, owner=owner, commune_code=receiver_commune):
        return receiver_commune
    return None


def can_read_regional_indicators(actor: Actor) -> bool:
    """The regional aggregates (synergies by stage and by EPCI, small counts merged) are for the Région's
    members and platform administrators; they never list a flow."""
    return actor.is_platform_admin or actor.is_region_member or is_region_contributor(actor)


def territory_epcis(actor: Actor):
    """The EPCIs an actor may pick as the territory of the EIT pages: those of their organisations' perimeters;
    every current EPCI for platform administrators (whatever the region: a national instance has them all)."""
    from tandem.territories.models import Epci

    if actor.is_platform_admin:
        return Epci.objects.filter(is_current=True)
    return Epci.objects.filter(is_current=True, communes__organizations__in=actor.org_ids).distinct()


def can_write_eit(actor: Actor) -> bool:
    """Whether to offer the forms that record flows and synergies (the services check each write)."""
    return actor.is_platform_admin or bool(contributor_org_ids(actor))


def estimated_flows_visible_q(actor: Actor) -> Q:
    """Who sees an estimated flow: it is made from public registry facts (NAF code, headcount band) but reads
    like a company's flow, so the same readers as a flow's minus the owner (there is none): the « animateurs
    EIT » of the organisations whose perimeter holds the establishment, the organisation of the company's
    référent, and platform administrators."""
    from tandem.eit.models import EstimatedFlow

    if actor.is_platform_admin:
        return Q()
    return facilitator_shared_q(actor, EstimatedFlow) | referent_shared_q(actor, EstimatedFlow)
