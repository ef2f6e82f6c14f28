"""Permission rules specific to company follow-up, built on the foundation's layer
(`tandem.organizations.perms`), never around it. Each is a small named function, tested directly."""

from __future__ import annotations

from tandem.organizations.models import Organization
from tandem.organizations.perms import (
    Actor,
    can_change,
    contributor_org_ids,
    is_region_contributor,
    scope_queryset,
)


def is_contributor(actor: Actor) -> bool:
    """Contributor (or more) in at least one organisation."""
    return actor.is_platform_admin or bool(contributor_org_ids(actor))


def can_read_registry(actor: Actor) -> bool:
    """The registry (public data) is for members of the network: anyone with an organisation."""
    return actor.is_authenticated and (actor.is_platform_admin or bool(actor.org_ids))


def can_see_exchange_existence(actor: Actor) -> bool:
    """Whether `actor` may know that an organisation met a company, and when.

    This is the one thing the shared timeline tells every member of the network: it is what lets them
    coordinate. The subject and the notes stay governed by `scope_queryset` (private to the writer's
    organisation unless shared: a subject such as « difficultés de trésorerie » is as sensitive as the notes);
    anonymous users and people without any organisation learn nothing.
    """
    return actor.is_platform_admin or (actor.is_authenticated and bool(actor.org_ids))


def exchanges_known_to(actor: Actor, queryset):
    """The exchanges of `queryset` whose existence — organisation and date, never the subject nor the notes —
    `actor` may know (`can_see_exchange_existence`): every one for members of the network, otherwise only
    those `scope_queryset` admits. Whoever shows more than « échange avec … le … » asks `scope_queryset`."""
    if can_see_exchange_existence(actor):
        return queryset.unscoped()
    return scope_queryset(actor, queryset)


def can_hand_over_referent(actor: Actor, current) -> bool:
    """Who may replace the current référent of a company: whoever may change that assignment (its
    organisation, or a delegate with write rights), and contributors of the Région, which coordinates the
    network of référents."""
    if current is None:
        return is_contributor(actor)
    return can_change(actor, current) or is_region_contributor(actor)


def can_handle_signal(actor: Actor, signal) -> bool:
    """May `actor` acknowledge, act on or dismiss `signal`?

    Advisor signals follow the ordinary rule (`can_change`). Alerts raised from open data (BODACC, SIRENE,
    a model) belong to the network: a contributor handles those placed in a perimeter their organisation
    covers (its communes, or a delegation with write rights), and the Région's contributors handle them all.
    """
    if not scope_queryset(actor, type(signal).objects.filter(pk=signal.pk)).exists():
        return False
    if can_change(actor, signal):
        return True
    if signal.source == signal.Source.ADVISOR:
        return False
    if is_region_contributor(actor):
        return True
    if (
        signal.commune_id
        and Organization.objects.filter(
            pk__in=contributor_org_ids(actor), communes=signal.commune_id
        ).exists()
    ):
        return True
    for grant in actor.grants:
        if not grant.can_write or not signal.commune_id:
            continue
        if grant.commune_codes:
            if signal.commune_id in grant.commune_codes:
                return True
        elif Organization.objects.filter(pk=grant.delegator_id, communes=signal.commune_id).exists():
            return True
    return False


def can_manage_providers(actor: Actor) -> bool:
    """The register of solution providers is kept by the Région (contributors) and platform administrators."""
    return actor.is_platform_admin or is_region_contributor(actor)


def sees_regional_parcours_target(actor: Actor) -> bool:
    """The Parcours 2030 target is the Région's: it is not split between territories, so an EPCI or an agency
    does not measure its own companies against it; Région members and platform administrators see it."""
    return actor.is_platform_admin or actor.is_region_member


def actor_communes(actor: Actor):
    """The communes of the perimeters the actor works in — their organisations' and their delegations' — as
    a queryset of codes, to filter by a subquery (an agency's perimeter is thousands of communes: no list of
    literals). None means no restriction (platform administrators and Région members see the whole
    registry)."""
    from django.db.models import Q

    from tandem.territories.models import Commune

    if actor.is_platform_admin or actor.is_region_member:
        return None
    whole = [g.delegator_id for g in actor.grants if not g.commune_codes]
    some = set().union(*(g.commune_codes for g in actor.grants if g.commune_codes))
    where = Q(organizations__in=[*actor.org_ids, *whole])
    if some:
        where |= Q(pk__in=some)
    return Commune.objects.filter(where).values("pk")


def actor_commune_codes(actor: Actor):
    """`actor_communes` as a set of codes (None: no restriction)."""
    communes = actor_communes(actor)
    return None if communes is None else set(communes.values_list("pk", flat=True))
