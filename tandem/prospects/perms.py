"""Prospect-specific permission rules, on top of the foundation's layer (`tandem.organizations.perms`).

Seeing a prospect = being a named member of its task force (`visible_q` on a CONFIDENTIAL model). These small
functions say who, among those members, may change it, share it, propose candidates or shortlist them.
"""

from __future__ import annotations

from tandem.organizations.models import ROLE_RANK, Organization, Role
from tandem.organizations.perms import Actor, contributor_org_ids, scope_queryset


def is_task_force_member(actor: Actor, prospect) -> bool:
    return scope_queryset(actor, type(prospect).objects.filter(pk=prospect.pk)).exists()


def can_create_prospect(actor: Actor, owner: Organization) -> bool:
    """Contributors of the agencies (investment, development) and of the Région record prospects."""
    if not actor.is_authenticated:
        return False
    if owner.kind not in (
        Organization.Kind.AGENCE_INVESTISSEMENT,
        Organization.Kind.AGENCE,
        Organization.Kind.REGION,
    ):
        return False
    return actor.is_platform_admin or actor.rank_in(owner.pk) >= ROLE_RANK[Role.CONTRIBUTEUR]


def can_manage_prospect(actor: Actor, prospect) -> bool:
    """Change, share, shortlist, generate the answer: task-force members who contribute to the owner."""
    if not is_task_force_member(actor, prospect):
        return False
    return actor.system or actor.rank_in(prospect.owner_id) >= ROLE_RANK[Role.CONTRIBUTEUR]


def can_propose(actor: Actor, prospect, organization: Organization) -> bool:
    """A task-force member who contributes to an organisation the prospect is shared with (or its owner)."""
    if not is_task_force_member(actor, prospect):
        return False
    if actor.rank_in(organization.pk) < ROLE_RANK[Role.CONTRIBUTEUR] and not actor.system:
        return False
    return organization.pk == prospect.owner_id or prospect.shared_with.filter(pk=organization.pk).exists()


# The organisations that answer investors' prospects with land of their territory.
PROPOSING_KINDS = (Organization.Kind.EPCI, Organization.Kind.AGENCE, Organization.Kind.MAISON_REGION)


def proposes_land(actor: Actor) -> bool:
    """Whether `actor` is a contributor of an organisation that answers prospects with land (an EPCI, an
    agency, a Maison de Région): their home page keeps a « prospects waiting for my proposal » block, even
    when empty."""
    return any(actor.kinds.get(org_id) in PROPOSING_KINDS for org_id in contributor_org_ids(actor))


def can_see_pipeline(actor: Actor) -> bool:
    """The aggregated pipeline (counts only, under the small-count rule) is for the Région's and the agencies'
    members and for platform administrators."""
    return actor.is_platform_admin or any(
        kind in (Organization.Kind.REGION, Organization.Kind.AGENCE_INVESTISSEMENT, Organization.Kind.AGENCE)
        for kind in actor.kinds.values()
    )


def creatable_prospect_owners(actor: Actor):
    """The organisations on whose behalf `actor` may record a prospect (`can_create_prospect`)."""
    orgs = (
        Organization.objects.all()
        if actor.is_platform_admin
        else Organization.objects.filter(pk__in=actor.org_ids)
    )
    return orgs.filter(pk__in=[o.pk for o in orgs if can_create_prospect(actor, o)]).order_by("name")


def proposing_organizations(actor: Actor, prospect):
    """The organisations on whose behalf `actor` may propose candidates for `prospect` (`can_propose`)."""
    ids = {prospect.owner_id, *prospect.shared_with.values_list("pk", flat=True)}
    return Organization.objects.filter(pk__in=ids & contributor_org_ids(actor)).order_by("name")
