"""Reads on prospects. Every read of a prospect (a confidential object) is audited."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, QuerySet
from django.utils import timezone

from tandem.core.audit import audit_record
from tandem.core.disclosure import protect_counts, protect_total
from tandem.core.models import AuditEvent
from tandem.organizations.perms import Actor, contributor_org_ids, get_visible_or_404, scope_queryset
from tandem.prospects import perms
from tandem.prospects.audit import audit_confidential
from tandem.prospects.candidates import CACHE, LAND_MODELS, visible_candidates
from tandem.prospects.matching import KIND_NAMES, Ranking, Requirements, match
from tandem.prospects.models import Proposal, Prospect


def prospect_list(*, actor: Actor, audit: bool = True) -> QuerySet[Prospect]:
    """The prospects whose task force includes `actor` (audited as one read listing their ids)."""
    prospects = scope_queryset(actor, Prospect.objects.select_related("owner"))
    if audit:
        _audit_listing(actor, list(prospects.values_list("pk", flat=True)))
    return prospects


def _audit_listing(actor: Actor, ids: list[int]) -> None:
    """A list naming prospects is a read of each of them (shown to their task force as « liste des prospects »)."""
    if ids:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.READ,
            object_type="prospects.prospect",
            details={"list": ids},
        )


# A prospect still waits for territories' proposals in these statuses.
OPEN_TO_PROPOSALS = (Prospect.Status.SHARED, Prospect.Status.PROPOSALS)


def prospects_awaiting_proposal(*, actor: Actor) -> list[Prospect]:
    """Prospects shared with an organisation in which `actor` contributes, still open to proposals, to which
    none of those organisations has proposed a site yet (audited as one read listing them)."""
    orgs = contributor_org_ids(actor)
    prospects = list(
        scope_queryset(actor, Prospect.objects.select_related("owner"))
        .filter(shared_with__in=orgs, status__in=OPEN_TO_PROPOSALS)
        .exclude(owner_id__in=orgs)
        .exclude(proposals__organization_id__in=orgs)
        .distinct()
        .order_by("decision_on", "pk")
    )
    _audit_listing(actor, [p.pk for p in prospects])
    return prospects


def prospect_get(*, actor: Actor, pk, purpose: str = "consultation") -> Prospect:
    """One prospect, or 404 for anyone outside its task force; the read is audited."""
    prospect = get_visible_or_404(actor, Prospect.objects.select_related("owner"), pk=pk)
    audit_confidential(actor=actor, action=AuditEvent.Action.READ, obj=prospect, details={"purpose": purpose})
    return prospect


def prospect_reads(*, prospect: Prospect, limit: int = 50) -> QuerySet[AuditEvent]:
    """Who opened `prospect` (its sheet, the answer file, a list naming it), latest first. For its task force
    only: the caller has obtained `prospect` through `prospect_get`, which 404s for everyone else."""
    from django.db.models import Q

    return (
        AuditEvent.objects.filter(action=AuditEvent.Action.READ, object_type=Prospect._meta.label_lower)
        .filter(Q(object_id=str(prospect.pk)) | Q(object_id="", details__list__contains=[prospect.pk]))
        .select_related("organization", "user")
        .order_by("-at", "-id")[:limit]
    )


def task_force(prospect: Prospect) -> list[tuple[str, str]]:
    """The task force as people know each other: (name, organisations among the prospect's owner and those it
    is shared with), by name; the login only for an account with no name."""
    orgs = {prospect.owner_id, *prospect.shared_with.values_list("pk", flat=True)}
    people = []
    for user in prospect.members.prefetch_related("memberships__organization"):
        names = sorted(m.organization.name for m in user.memberships.all() if m.organization_id in orgs)
        people.append((user.get_full_name() or user.username, ", ".join(names)))
    return sorted(people)


def proposals_of(prospect: Prospect) -> QuerySet[Proposal]:
    return prospect.proposals.select_related(
        "organization",
        "terrain__site_eco",
        "terrain__commune",
        "site__commune",
        "friche__commune",
        "proposed_by",
    ).order_by("created_at", "id")


def matching_run(
    *,
    actor: Actor,
    requirements: Requirements,
    region: str | None = None,
    today: date | None = None,
    stability_draws: int = 50,
) -> Ranking:
    """Rank the candidates `actor` may see (and only those) for `requirements`."""
    today = today or timezone.localdate()
    candidates = visible_candidates(actor, today=today, region=region, naf_division=requirements.naf_division)
    return match(candidates, requirements, today=today, stability_draws=stability_draws)


def _invisible_rows(actor: Actor, results: list[dict]) -> bool:
    """Whether any returned row (or member of a combination) is not visible to `actor` right now."""
    wanted: dict[str, set[int]] = {}
    for r in results:
        if r["kind"] == "combinaison":
            wanted.setdefault("terrain", set()).update(r["members"])
        else:
            wanted.setdefault(r["kind"], set()).add(r["object_id"])
    for kind, ids in wanted.items():
        model = LAND_MODELS[KIND_NAMES.index(kind)]
        if scope_queryset(actor, model.objects.filter(pk__in=ids)).count() != len(ids):
            return True
    return False


def matching_results(
    *,
    actor: Actor,
    requirements: Requirements,
    region: str | None = None,
    limit: int = 20,
    include_excluded: bool = False,
    today: date | None = None,
) -> tuple[Ranking, list[dict]]:
    """The ranking and its explained first `limit` rows, every row checked against the permission layer
    (the candidate arrays are cached; a row that has just become invisible forces a fresh computation)."""
    ranking = matching_run(actor=actor, requirements=requirements, region=region, today=today)
    results = ranking.results(limit=limit, include_excluded=include_excluded)
    if _invisible_rows(actor, results):
        CACHE.clear()
        ranking = matching_run(actor=actor, requirements=requirements, region=region, today=today)
        results = ranking.results(limit=limit, include_excluded=include_excluded)
    return ranking, results


def matching_excluded(
    *,
    actor: Actor,
    requirements: Requirements,
    region: str | None = None,
    limit: int = 50,
    today: date | None = None,
) -> tuple[int, list[dict]]:
    """The visible land the requirements set aside — not a candidate at all (sold, reserved, occupied, non
    aménageable) or failing a hard constraint —, each with its reasons, best score first: how a user learns why
    a site they expected is absent. Returns (how many, the first `limit` explained)."""

    def run():
        ranking = matching_run(actor=actor, requirements=requirements, region=region, today=today)
        excluded = ranking.order(include_excluded=True)[ranking.count() :]
        return len(excluded), [ranking.explain(int(i)) for i in excluded[:limit]]

    count, rows = run()
    if _invisible_rows(actor, rows):
        CACHE.clear()
        count, rows = run()
    return count, rows


def prospect_pipeline(*, actor: Actor) -> dict:
    """Counts of all prospects by status, Plan 500 and département wanted — aggregates only, never a name.

    For the Région's and the agencies' members. Every cell goes through the one small-count rule
    (`tandem.core.disclosure`): a cell under three is merged into « autres » or not shown, so that no single
    prospect can be singled out.
    """
    if not perms.can_see_pipeline(actor):
        return {"total": None, "by_status": {}, "plan_500": None, "by_departement": {}}
    # Unscoped on purpose: aggregates over every prospect, each cell under the small-count rule below.
    everything = Prospect.objects.unscoped()
    total = everything.count()
    by_status = dict(everything.values_list("status").annotate(n=Count("pk")).order_by())
    plan_500 = everything.filter(plan_500=True).count()
    departements = (
        everything.values_list("preferred_epcis__communes__departement_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    plan = protect_counts({"plan_500": plan_500, "hors_plan_500": total - plan_500})
    return {
        "total": protect_total(total),
        "by_status": protect_counts({s: by_status.get(s, 0) for s in Prospect.Status.values}),
        "plan_500": plan.get("plan_500"),
        "by_departement": protect_counts({code: n for code, n in departements if code is not None}),
    }


def prospect_territory_figures(*, actor: Actor, territory, start: date, end: date) -> dict:
    """Numbers (never a name) about the prospects wanting `territory` (a `land.selectors.Territory`: one of
    their preferred EPCI has a commune in it), over the days `start`–`end`: received (created), proposals
    made, won and lost (status changes), jobs at three years and investment (€) of those won, Plan 500
    relocations received.

    Pipeline readers (`perms.can_see_pipeline`: Région, agencies, the system) count every prospect, as the
    pipeline does; other users count those they may see. The caller applies the small-count rule
    (`tandem.core.disclosure`) before showing a count (the steering registry does, `small_count=True`)."""
    from django.db.models import Q, Sum

    from tandem.prospects.models import StatusChange

    if perms.can_see_pipeline(actor):
        # Unscoped on purpose: pipeline readers (Région, agencies) count every prospect, as in the pipeline
        # table (docs/steering.md); numbers only, under the small-count rule of the indicators.
        base = Prospect.objects.unscoped()
    else:
        base = scope_queryset(actor, Prospect.objects.all())
    # A preferred EPCI with a commune in the territory: the EPCI of the territory's communes (one semi-join on
    # the through table, not prospect → EPCI → communes joined again for every count below).
    wanted = base.filter(
        pk__in=Prospect.preferred_epcis.through.objects.filter(
            epci_id__in=territory.communes().values("epci_id")
        ).values("prospect_id")
    )
    received = wanted.filter(created_at__date__range=(start, end))
    changes = StatusChange.objects.filter(prospect__in=wanted, at__date__range=(start, end))
    won_ids = changes.filter(status=Prospect.Status.WON).values("prospect_id")
    won = wanted.filter(pk__in=won_ids)
    sums = won.aggregate(jobs=Sum("jobs_at_three_years"), investment=Sum("investment_eur"))
    return {
        "received": received.count(),
        "plan_500_received": received.filter(Q(plan_500=True)).count(),
        "proposals": Proposal.objects.filter(prospect__in=wanted, created_at__date__range=(start, end)).count(),
        "won": won.count(),
        "lost": wanted.filter(pk__in=changes.filter(status=Prospect.Status.LOST).values("prospect_id")).count(),
        "won_jobs": sums["jobs"] or 0,
        "won_investment_eur": float(sums["investment"] or 0),
    }
