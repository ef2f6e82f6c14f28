"""Reads on organisations and their members."""

from __future__ import annotations

from django.db.models import QuerySet

from tandem.core.memory import ProcessMemory
from tandem.organizations.models import Invitation, Organization


def invitations_for(user) -> QuerySet[Invitation]:
    """The invitations addressed to `user`'s e-mail address (set by the platform administrator)."""
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email or not user.is_active:
        return Invitation.objects.none()
    return Invitation.objects.filter(email=email).select_related("organization")


# An organisation's map layers (its perimeter's EPCI and commune outlines: 400 KB of GeoJSON for an agency covering
# a region) are the same for all its members: each process keeps them until the organisations' perimeters or
# the geography change — the key holds `visibility_version` of those tables, which any process's write moves on.
ORG_LAYERS = ProcessMemory("organisations' map layers", 64)


def organization_layers(org: Organization) -> dict:
    """`territories.selectors.perimeter_layers` of the organisation's perimeter (home page, API), remembered
    until its communes or the geography change. Geography and perimeters are public to members: no actor."""
    from tandem.organizations.versions import visibility_version
    from tandem.territories.models import Commune, Epci
    from tandem.territories.selectors import perimeter_layers

    key = (org.pk, visibility_version(Commune, Epci))
    return ORG_LAYERS.remember(key, lambda: perimeter_layers(org.communes.all()))
