"""Land-specific permission rules, built on the foundation's permission layer (`tandem.organizations.perms`).

Visibility and writes of inventory objects go through `scope_queryset` / `can_change` like everything else;
these small functions add what only the land domain knows: who sees the standard's personal fields, who
proposes a zone for a label and who decides.
"""

from __future__ import annotations

from tandem.organizations.models import ROLE_RANK, Organization, Role
from tandem.organizations.perms import Actor, can_change


def can_see_personal_fields(actor: Actor, obj) -> bool:
    """The standard's personal fields (`terr_acquereur`, `terr_vente_montant`, `terr_m2_prix`, a friche owner's
    name) stay inside the owning organisation unless it shares them (`personal_shared`)."""
    if actor.is_platform_admin:
        return True
    return obj.owner_id in actor.org_ids or bool(getattr(obj, "personal_shared", False))


def can_propose_label(actor: Actor, site) -> bool:
    """The EPCI (its contributors, or a delegate with write access) proposes its own zones for a label."""
    return can_change(actor, site)


def region_decider_org_ids(actor: Actor) -> set[int]:
    """Région organisations in which `actor` is contributor or administrator: only they decide on labels."""
    return {
        org_id
        for org_id, kind in actor.kinds.items()
        if kind == Organization.Kind.REGION and actor.rank_in(org_id) >= ROLE_RANK[Role.CONTRIBUTEUR]
    }


def can_decide_label(actor: Actor) -> bool:
    """Only the Région's contributors and administrators label (or refuse) a zone."""
    return bool(region_decider_org_ids(actor))
