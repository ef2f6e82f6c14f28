"""Who may record jobs-and-skills actions: the contributors (and above) of the owner organisation, as for any
organisation-owned object (`tandem.organizations.perms.can_create`); an action is placed in a territory, not in
a commune, so the owner's commune perimeter does not restrict it."""

from __future__ import annotations

from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor, can_create
from tandem.skills.models import SkillAction


def can_record_action(actor: Actor, *, owner: Organization) -> bool:
    return can_create(actor, SkillAction, owner=owner)
