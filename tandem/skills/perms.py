"""Who may record jobs-and-skills actions: the contributors (and above) of the owner organisation, as for any
organisation-owned object (`tandem.organizations.perms.can_create`); an action is placed in a territory, not in
a commune, so the owner's commune perimeter does not restrict it."""

from __future__ import annotations

from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor, can_create, is_region_contributor
from tandem.skills.models import SkillAction


def can_record_action(actor: Actor, *, owner: Organization) -> bool:
    return can_create(actor, SkillAction, owner=owner)


def can_review_crosswalk(actor: Actor) -> bool:
    """The ROME ↔ FAP 2021 proposal is reviewed by the Région (its contributors and administrators, or a
    platform administrator): one regional reference for every partner's figures."""
    return actor.is_platform_admin or is_region_contributor(actor)
