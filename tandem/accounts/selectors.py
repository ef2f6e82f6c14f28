"""Reads on a user's own account."""

from __future__ import annotations

import datetime as dt

from rest_framework.authtoken.models import Token


def api_token_created_at(user) -> dt.datetime | None:
    """When the user's access token was created; None when they have none. Never the key."""
    return Token.objects.filter(user=user).values_list("created", flat=True).first()
