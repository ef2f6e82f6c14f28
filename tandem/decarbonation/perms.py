"""Permission rules of decarbonation (small named functions, tested directly), on the foundation's layer
(`tandem.organizations.perms`). Registry data (installations, emissions, flags, links) is public to signed-in
users; projects are SharedObjects (scope_queryset); these rules say who may act."""

from __future__ import annotations

from tandem.organizations.perms import Actor, is_region_contributor


def can_read_registry(actor: Actor) -> bool:
    """Installations, emissions, quality flags and establishment links: every signed-in user (public data)."""
    return actor.is_authenticated


def can_review_links(actor: Actor) -> bool:
    """Confirming or rejecting a link changes what every organisation reads: the Région's contributors (who
    run the industrial decarbonation plan) and platform administrators."""
    return actor.is_platform_admin or is_region_contributor(actor)


def can_edit_major_emitters(actor: Actor, region_code: str | None = None) -> bool:
    """The list of the « 15 plus gros émetteurs » of a region: that Région's contributors."""
    if actor.is_platform_admin:
        return True
    if not is_region_contributor(actor):
        return False
    return region_code is None or region_code in actor.region_codes


def aid_amounts_visible(actor: Actor, project) -> bool:
    """Aid amounts of a project under instruction (requested, not yet granted) are commercially sensitive: shown
    to the owner organisation's members and to the Région's members of the owner's region; once granted (or
    refused) the amounts are shown to whoever sees the project."""
    from tandem.decarbonation.models import Project

    if actor.is_platform_admin or project.owner_id in actor.org_ids:
        return True
    if project.status not in (Project.Status.AID_REQUESTED, Project.Status.STUDY, Project.Status.IDEA):
        return True
    return project.owner_id in actor.region_owner_ids
