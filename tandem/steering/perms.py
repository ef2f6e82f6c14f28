"""Who reads and writes the steering (small named functions, tested directly).

Decision (issue 17): steering figures are aggregates of a territory, never objects. Any member of an
organisation reads the dashboards of every territory: frozen values are computed over the whole territory
and every count of objects goes through the small-count rule (`registry.indicator_value`), so nothing names
or singles out a project; the « live » column too is the territory's (the same numbers for every reader,
computed once per territory and data version: `selectors.territory_live_raw`), under the same rule. Per reader
remain only which territories they may open (a custom perimeter they may not see: 404) and that rule.
Corrections of a frozen value are for the Région's administrators and platform administrators."""

from __future__ import annotations

from tandem.organizations.models import Organization, Role
from tandem.organizations.perms import Actor


def can_read_steering(actor: Actor) -> bool:
    return actor.is_platform_admin or (actor.is_authenticated and bool(actor.org_ids))


def region_admin_org_ids(actor: Actor) -> set[int]:
    return {
        org_id
        for org_id, role in actor.roles.items()
        if role == Role.ADMIN and actor.kinds.get(org_id) == Organization.Kind.REGION
    }


def can_correct_snapshot(actor: Actor) -> bool:
    return actor.is_platform_admin or bool(region_admin_org_ids(actor))


def _rank_at_least_contributor(actor: Actor, org_id: int | None) -> bool:
    return actor.roles.get(org_id) in (Role.CONTRIBUTEUR, Role.ADMIN)


def can_manage_conventions(actor: Actor) -> bool:
    """Create conventions and set their objectives: the Région's contributors and administrators."""
    from tandem.organizations.perms import is_region_contributor

    return actor.is_platform_admin or is_region_contributor(actor)


def can_change_convention(actor: Actor, convention) -> bool:
    return actor.is_platform_admin or _rank_at_least_contributor(actor, convention.owner_id)


def can_write_report(actor: Actor, report) -> bool:
    """The partner's contributors write the comment and send a report still in preparation."""
    return report.status == report.Status.DRAFT and (
        actor.is_platform_admin or _rank_at_least_contributor(actor, report.convention.partner_id)
    )


def can_validate_report(actor: Actor, report) -> bool:
    """The Région (owner of the convention) validates a report the partner sent."""
    return report.status == report.Status.SUBMITTED and can_change_convention(actor, report.convention)


def can_open_report(actor: Actor, convention) -> bool:
    return (
        actor.is_platform_admin
        or _rank_at_least_contributor(actor, convention.partner_id)
        or _rank_at_least_contributor(actor, convention.owner_id)
    )
