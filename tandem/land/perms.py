"""Land-specific permission rules, on top of the permission layer (tandem.organizations.perms).

Visibility and writes of inventory objects go through `scope_queryset` / `can_change` like everything else;
these small functions add what only the land domain knows: who sees the standard's personal fields (used by
the importer/exporter and by the pages and API), who proposes a zone for a label and who decides, who reads an
import's report.
"""

from __future__ import annotations

import numpy as np

from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor, can_change, can_share, region_contributor_org_ids


def personal_fields_visible(actor: Actor, *, owner_id, personal_shared):
    """THE rule for the standard's personal fields (CNIG price per m², buyer, sale amount; a friche owner's
    name): they never leave the owning organisation unless it shares them explicitly (`personal_shared`).
    Platform administrators are no exception; the command line (system actor) acts for the owner.

    Pages, exports, serializers, tiles, the answer file and the matching all ask this function: for one object
    (`owner_id` an int, returns a bool) or, in the matching, for arrays of owners and flags (returns an array)."""
    visible = np.logical_or(
        np.logical_or(actor.system, personal_shared), np.isin(owner_id, sorted(actor.org_ids))
    )
    return visible if np.ndim(visible) else bool(visible)


def hide_personal(actor: Actor, obj) -> dict:
    """`obj`'s personal fields as the actor may see them: their value, or None when hidden."""
    visible = personal_fields_visible(actor, owner_id=obj.owner_id, personal_shared=obj.personal_shared)
    return {name: (getattr(obj, name) if visible else None) for name in obj.PERSONAL_FIELDS}


def can_see_personal_fields(actor: Actor, obj) -> bool:
    """`personal_fields_visible` for one inventory object (pages, API, popups)."""
    return personal_fields_visible(
        actor, owner_id=obj.owner_id, personal_shared=bool(getattr(obj, "personal_shared", False))
    )


def can_propose_label(actor: Actor, site) -> bool:
    """The EPCI (its contributors, or a delegate with write access) proposes its own zones for a label."""
    return can_change(actor, site)


def region_decider_org_ids(actor: Actor) -> set[int]:
    """Région organisations in which `actor` is contributor or administrator: only they decide on labels."""
    return region_contributor_org_ids(actor)


def can_decide_label(actor: Actor) -> bool:
    """Only the Région's contributors and administrators label (or refuse) a zone."""
    return bool(region_decider_org_ids(actor))


def can_set_inventory_visibility(actor: Actor, owner: Organization) -> bool:
    """Only the producing organisation (contributors and above) decides who sees its inventory."""
    return can_share(actor, owner=owner)
