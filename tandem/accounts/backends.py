"""Login throttling (django-axes): failed logins are counted per username and per client address; past
`AXES_FAILURE_LIMIT` failures the login is refused for `AXES_COOLOFF_TIME`, even with the right password."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' check on every login that comes through HTTP (`/connexion/`, `/admin/login/`: Django passes the
    request). A login made in-process without a request (a management command, the test client's `login()`)
    has no client address to throttle: it is left to the next backend instead of raising."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def throttle_username(request, credentials) -> str | None:
    """The username failures are counted against, case-folded: `Admin` and `admin` share one counter, since
    they name one account for a person typing them."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().casefold() if isinstance(username, str) else None


def client_ip(request) -> str | None:
    """The client's address: `REMOTE_ADDR`, or, behind `TANDEM_PROXY_COUNT` trusted reverse proxies, the
    address the outermost of them saw (read from the right of `X-Forwarded-For`, which a client can prefix
    with anything but cannot shorten)."""
    count = settings.TANDEM_PROXY_COUNT
    if count > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
