"""API plumbing: the actor comes from DRF's authentication (token or session), then the same permission layer."""

from functools import cached_property

from rest_framework import generics, viewsets

from tandem.organizations.middleware import SESSION_KEY
from tandem.organizations.perms import Actor, get_visible_or_404, scope_queryset


class ActorMixin:
    @cached_property
    def actor(self) -> Actor:
        session = getattr(self.request, "session", None)
        return Actor.for_user(self.request.user, session.get(SESSION_KEY) if session is not None else None)


class ScopedViewSetMixin(ActorMixin):
    """Querysets of SharedObjects always pass through `scope_queryset`; what is hidden answers 404."""

    base_queryset = None

    def get_queryset(self):
        return scope_queryset(self.actor, self.base_queryset.all())

    def get_object(self):
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = get_visible_or_404(self.actor, self.base_queryset.all(), **{self.lookup_field: lookup})
        self.check_object_permissions(self.request, obj)
        return obj


__all__ = ["ActorMixin", "ScopedViewSetMixin", "generics", "viewsets"]
