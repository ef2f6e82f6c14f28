"""Permission rules of the catalogue and of need routing, built on the foundation's layer
(`tandem.organizations.perms`). Each is a small named function."""

from __future__ import annotations

from tandem.organizations.models import ROLE_RANK, Role
from tandem.organizations.perms import Actor, can_change, is_region_contributor, scope_queryset


def can_read_catalogue(actor: Actor) -> bool:
    """The catalogue is for every signed-in user of the instance."""
    return actor.is_authenticated


def can_edit_catalogue(actor: Actor) -> bool:
    """Operators, offices and schemes are kept by the Région (contributors) and platform administrators."""
    return actor.is_platform_admin or is_region_contributor(actor)


def can_route_need(actor: Actor, need) -> bool:
    """Sending a need to a partner is a change of the need: its organisation's contributors (or a delegate with
    write rights)."""
    return can_change(actor, need)


def can_answer_routing(actor: Actor, routing) -> bool:
    """The partner organisation answers a routing sent to it (contributors and above), while it is open."""
    if routing.partner_id is None or routing.status not in routing.OPEN_STATUSES:
        return False
    if not scope_queryset(actor, type(routing).objects.filter(pk=routing.pk)).exists():
        return False
    return actor.is_platform_admin or actor.rank_in(routing.partner_id) >= ROLE_RANK[Role.CONTRIBUTEUR]
