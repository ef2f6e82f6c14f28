from django.utils.functional import SimpleLazyObject

from tandem.organizations.perms import Actor
from tandem.organizations.scoping import request_scope

SESSION_KEY = "tandem_current_org"


class ActorMiddleware:
    """Resolve the user's organisations, roles and delegations once per request, lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(
            lambda: Actor.for_user(getattr(request, "user", None), request.session.get(SESSION_KEY))
        )
        # A request never inherits an unscoped context: every owned object it reads goes through the
        # permission layer (`tandem.organizations.scoping`).
        with request_scope():
            return self.get_response(request)
