"""Organisation-owned models refuse queries that did not pass through the permission layer.

Every `SharedObject` model's default manager (`objects`) hands out `ScopedQuerySet`s. Evaluating one — iterating,
`get`, `count`, `exists`, `aggregate`, `update`, `delete`, `iterator`, `in_bulk`, `contains`, `explain` — raises
`UnscopedQueryError` unless the queryset was:

- restricted by the permission layer: `perms.scope_queryset(actor, qs)` (or `get_visible_or_404`), which marks it;
- opened explicitly: `Model.objects.unscoped()` / `qs.unscoped()` — for code whose whole point is to see
  everything (an import replacing an EPCI's inventory, a job, the demo generator), each call site saying why;
- run inside `with unscoped():` — commands, background jobs, migrations and the demo generator.

Web requests and API calls never inherit an unscoped context (`ActorMiddleware` resets it). Related managers
(`company.exchanges`, `site.terrains`) are scoped too: pass them through `scope_queryset` like any queryset.
Forward foreign keys (`terrain.site`), cascades and `Model.save()` use Django's plain base manager and are not
checked: they follow an object already in hand. A scoped queryset used as a subquery (`pk__in=qs`, `Exists`) is
not evaluated by itself and is not checked; the outer query is. See docs/adr/0002-scoped-managers.md.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.db import models

_unscoped = contextvars.ContextVar("tandem_unscoped", default=False)


class UnscopedQueryError(RuntimeError):
    """A query on an organisation-owned model that neither the permission layer (`scope_queryset`) nor an
    explicit `unscoped()` let through: a programming error (a possible leak), answered 500, never silently."""


@contextmanager
def unscoped():
    """Let every query of the block see all organisation-owned objects: commands, jobs, migrations, demo data.
    Never in a view: a request resets it (`request_scope`)."""
    token = _unscoped.set(True)
    try:
        yield
    finally:
        _unscoped.reset(token)


@contextmanager
def scoped():
    """The block runs scoped whatever its caller opened: work done for one actor (a web request, an API call,
    a file the worker generates for its requester) reads only through the permission layer."""
    token = _unscoped.set(False)
    try:
        yield
    finally:
        _unscoped.reset(token)


def request_scope():
    """A web request or API call starts scoped, whatever context the server (or a test) runs it in."""
    return scoped()


def check_scoped(queryset) -> None:
    """Raise `UnscopedQueryError` if `queryset` would be refused when evaluated: for code that compiles a
    queryset to SQL itself (vector tiles, OGC features) instead of evaluating it."""
    if isinstance(queryset, ScopedQuerySet):
        queryset._check_scope()


def is_unscoped() -> bool:
    return _unscoped.get()


class ScopedQuerySet(models.QuerySet):
    """A queryset that refuses to run unless scoped by the permission layer or explicitly opened."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_checked = False

    def _clone(self):
        clone = super()._clone()
        clone._scope_checked = self._scope_checked
        return clone

    def _as_checked(self):
        clone = self._chain()
        clone._scope_checked = True
        return clone

    def unscoped(self):
        """This queryset sees every organisation's objects: say at the call site why that is right."""
        return self._as_checked()

    def none(self):
        # An empty result reveals nothing.
        return super().none()._as_checked()

    def _check_scope(self):
        if not self._scope_checked and not _unscoped.get():
            raise UnscopedQueryError(
                f"Requête non filtrée sur {self.model._meta.label} : passez-la par "
                "perms.scope_queryset(actor, qs), ou ouvrez-la explicitement avec .unscoped() "
                "ou `with unscoped():` (commandes, tâches, démo)."
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._check_scope()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scope()
        return super().exists()

    def contains(self, obj):
        if self._result_cache is None:
            self._check_scope()
        return super().contains(obj)

    def aggregate(self, *args, **kwargs):
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope()
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        self._check_scope()
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def explain(self, *args, **kwargs):
        self._check_scope()
        return super().explain(*args, **kwargs)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """The default manager of organisation-owned models. Not used in migrations (historical models get a plain
    manager), nor as the base manager (forward foreign keys, cascades and saves stay plain)."""

    use_in_migrations = False
