"""Reads on organisations and their members."""

from __future__ import annotations

from django.db.models import QuerySet

from tandem.organizations.models import Invitation


def invitations_for(user) -> QuerySet[Invitation]:
    """The invitations addressed to `user`'s e-mail address (set by the platform administrator)."""
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email or not user.is_active:
        return Invitation.objects.none()
    return Invitation.objects.filter(email=email).select_related("organization")
