"""Who sees which import runs: the person who ran it, the members of the organisation it was run from or for;
platform administrators see every run (the command line's included)."""

from django.db.models import Q

from tandem.organizations.perms import Actor


def import_runs_visible_q(actor: Actor) -> Q:
    """The filter of the runs `actor` may see."""
    if actor.is_platform_admin:
        return Q()
    if not actor.is_authenticated:
        return Q(pk__in=[])
    orgs = actor.org_ids
    return Q(created_by_id=actor.user.pk) | Q(organization_id__in=orgs) | Q(owner_id__in=orgs)


def can_view_import_run(actor: Actor, run) -> bool:
    """A run's report (the same rule as `import_runs_visible_q`, for one run already loaded)."""
    if actor.is_platform_admin:
        return True
    if not actor.is_authenticated:
        return False
    return bool(
        run.created_by_id == actor.user.pk
        or (run.organization_id and run.organization_id in actor.org_ids)
        or (run.owner_id and run.owner_id in actor.org_ids)
    )


def can_cancel_import_run(actor: Actor, run) -> bool:
    """Whoever sees a run that has not finished may stop it (nothing of it is written)."""
    return not run.finished and can_view_import_run(actor, run)
