"""Reads of import runs, always through the permission rule of `tandem.imports.perms`."""

from django.db.models import QuerySet

from tandem.imports.models import ImportRun
from tandem.imports.perms import import_runs_visible_q
from tandem.organizations.perms import Actor


def import_runs_visible(actor: Actor, *, kinds: list[str] | None = None) -> QuerySet[ImportRun]:
    """The runs `actor` may see, newest first, optionally of some kinds only."""
    runs = ImportRun.objects.filter(import_runs_visible_q(actor)).select_related("created_by", "organization")
    if kinds:
        runs = runs.filter(kind__in=kinds)
    return runs.order_by("-created_at", "-id")
