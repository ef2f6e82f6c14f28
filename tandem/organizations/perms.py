"""The permission layer: one place that says who may see and change what.

Every view, API endpoint, export, map layer, search and admin action goes through these functions:
reads through `scope_queryset` (deny by default; what is not visible is simply absent, so it answers 404
and never shows up in lists, counts or exports), writes through `can_create` / `can_change`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from tandem.organizations.models import ROLE_RANK, Delegation, Membership, Organization, Role, Visibility
from tandem.organizations.scoping import ScopedQuerySet


@dataclass(frozen=True)
class DelegationGrant:
    delegator_id: int
    can_write: bool
    commune_codes: frozenset[str]  # empty: the delegator's whole perimeter


@dataclass
class Actor:
    """A user resolved once per request: their organisations, roles and active delegations."""

    user: object
    roles: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    grants: list[DelegationGrant] = field(default_factory=list)
    # The regions (INSEE codes) of the user's Région organisations: « shared with the Région » means theirs.
    region_codes: frozenset[str] = frozenset()
    # The regions of the user's Maisons de Région and regional investment agency (their region, or the regions
    # of their perimeter): they read the regional land inventory of those regions only.
    region_body_codes: frozenset[str] = frozenset()
    # The organisations in which the user is an « animateur EIT » (Membership.is_eit_facilitator).
    facilitator_org_ids: frozenset[int] = frozenset()
    current_org_id: int | None = None
    system: bool = False  # the command line and background jobs, audited as « système »

    @classmethod
    def system_actor(cls, current_org_id: int | None = None) -> Actor:
        return cls(user=None, current_org_id=current_org_id, system=True)

    @classmethod
    def for_user(cls, user, current_org_id: int | None = None) -> Actor:
        if user is None or not user.is_authenticated or not user.is_active:
            return cls(user=user)
        memberships = Membership.objects.filter(user=user).select_related("organization")
        roles = {m.organization_id: m.role for m in memberships}
        kinds = {m.organization_id: m.organization.kind for m in memberships}
        # A delegation lets the delegate's contributors write; its readers only read.
        grants = [
            DelegationGrant(
                delegator_id=d.delegator_id,
                can_write=d.scope == Delegation.Scope.WRITE
                and ROLE_RANK[roles[d.delegate_id]] >= ROLE_RANK[Role.CONTRIBUTEUR],
                commune_codes=frozenset(c.pk for c in d.communes.all()),
            )
            for d in Delegation.objects.active().filter(delegate_id__in=roles).prefetch_related("communes")
        ]
        region_codes = frozenset(
            m.organization.region_id
            for m in memberships
            if m.organization.kind == Organization.Kind.REGION and m.organization.region_id
        )
        bodies = [m.organization for m in memberships if m.organization.kind in REGION_BODY_KINDS]
        region_body_codes = frozenset(o.region_id for o in bodies if o.region_id) | frozenset(
            Organization.communes.through.objects.filter(organization__in=bodies)
            .values_list("commune__region_id", flat=True)
            .distinct()
        )
        if current_org_id not in roles:
            current_org_id = min(roles) if roles else None
        return cls(
            user=user,
            roles=roles,
            kinds=kinds,
            grants=grants,
            region_codes=region_codes,
            region_body_codes=region_body_codes - {None},
            facilitator_org_ids=frozenset(m.organization_id for m in memberships if m.is_eit_facilitator),
            current_org_id=current_org_id,
        )

    @property
    def is_authenticated(self) -> bool:
        return self.system or bool(
            self.user is not None and self.user.is_authenticated and self.user.is_active
        )

    @property
    def is_platform_admin(self) -> bool:
        return self.system or (self.is_authenticated and self.user.is_superuser)

    @property
    def org_ids(self) -> set[int]:
        return set(self.roles)

    def scope_key(self) -> tuple:
        """Everything `visible_q` writes into its SQL: two actors with equal keys get the same SQL filters, so
        SQL compiled for one (a map's tile layers: `tandem.core.tiles.compiled_layers`) is right for the
        other. The rest of the filters are subqueries, read when the SQL runs. A change to `visible_q` that
        writes another evaluated value into the SQL must add it here. (A cache of results, not of SQL, also
        keys on the data's `tandem.organizations.versions.visibility_version`.)"""
        return (
            getattr(self.user, "pk", None),
            self.system,
            self.is_authenticated,
            self.is_platform_admin,
            tuple(sorted(self.roles.items())),
            tuple(sorted(self.kinds.items())),
            tuple(sorted(self.grants, key=repr)),
            tuple(sorted(self.region_codes)),
            tuple(sorted(self.region_body_codes)),
            tuple(sorted(self.facilitator_org_ids)),
            # Evaluated from the organisations (« shared with the Région »): read once per actor.
            tuple(sorted(self.region_owner_ids)),
            tuple(sorted(self.region_inventory_owner_ids)),
        )

    @cached_property
    def region_owner_ids(self) -> frozenset[int]:
        """The organisations whose objects « shared with the Région » this actor sees (`organizations_in_regions`),
        computed once per actor (once per request)."""
        return organizations_in_regions(self.region_codes)

    @cached_property
    def region_inventory_owner_ids(self) -> frozenset[int]:
        """The organisations whose land inventory « shared with the Région » this actor reads: those of its
        Région's region, and those of the regions of its Maisons de Région or regional investment agency (the
        regions already read for `region_owner_ids` are not read twice)."""
        others = set(self.region_body_codes) - set(self.region_codes)
        return self.region_owner_ids | organizations_in_regions(sorted(others))

    @property
    def is_region_member(self) -> bool:
        return Organization.Kind.REGION in self.kinds.values()

    def rank_in(self, org_id: int | None) -> int:
        return ROLE_RANK.get(self.roles.get(org_id), 0)

    def is_org_admin(self, org_id: int | None) -> bool:
        return self.is_platform_admin or self.rank_in(org_id) >= ROLE_RANK[Role.ADMIN]

    def admin_org_ids(self) -> set[int]:
        return {org_id for org_id, role in self.roles.items() if role == Role.ADMIN}


ANONYMOUS = Actor(user=None)


def _commune_field(model) -> str | None:
    return getattr(model, "COMMUNE_FIELD", None)


def visible_q(actor: Actor, model: type[Model]) -> Q:
    """The filter of the objects of `model` (a SharedObject) that `actor` may see."""
    if not actor.is_authenticated:
        return Q(pk__in=[])
    if model.CONFIDENTIAL:
        # Confidential objects: named members only, platform administrators included.
        # A named member is admitted only while they still belong to the owner organisation or to an
        # organisation the object is shared with: leaving the organisation ends the access.
        if actor.system:
            return Q()
        org_ids = actor.org_ids
        named = model.objects.filter(members=actor.user)
        return Q(pk__in=named.filter(owner_id__in=org_ids).values("pk")) | Q(
            pk__in=named.filter(shared_with__in=org_ids).values("pk")
        )
    if actor.is_platform_admin:
        return Q()
    org_ids = actor.org_ids
    q = Q(owner_id__in=org_ids) | Q(visibility=Visibility.NETWORK)
    q |= Q(pk__in=model.objects.filter(shared_with__in=org_ids).values("pk"))
    q |= region_shared_q(actor, model)
    q |= _delegation_q(actor, model, write=False)
    q |= task_force_shared_q(actor, model)
    q |= referent_shared_q(actor, model)
    q |= facilitator_shared_q(actor, model)
    return q


# The Région's own bodies: they read the land inventory shared « avec la Région » (docs/permissions.md).
REGION_BODY_KINDS = (
    Organization.Kind.REGION,
    Organization.Kind.MAISON_REGION,
    Organization.Kind.AGENCE_INVESTISSEMENT,
)


def region_shared_q(actor: Actor, model: type[Model]) -> Q:
    """What `actor` sees of the objects shared « avec la Région »: the members of a Région organisation see
    those whose owner belongs to their own region; for the regional inventory (models with `REGION_INVENTORY`),
    so do the Maisons de Région and the regional investment agency of that region, which answer investors and
    companies with it. Operators and other agencies do not (an EPCI shares with them « avec tout le réseau » or
    by name), nor does the Région of another region on a national instance."""
    owners = (
        actor.region_inventory_owner_ids
        if getattr(model, "REGION_INVENTORY", False)
        else actor.region_owner_ids
    )
    return Q(visibility=Visibility.REGION, owner_id__in=owners) if owners else Q(pk__in=[])


def task_force_shared_q(actor: Actor, model: type[Model]) -> Q:
    """Objects put before a confidential object's task force: a model listing foreign keys in
    `TASK_FORCE_SHARES` (a prospect's proposals: terrain, site, friche) makes the object it points to visible to
    whoever sees its confidential parent (`CONFIDENTIAL_PARENT`), whatever that object's own visibility."""
    q = Q(pk__in=[])
    if actor.system or not getattr(actor.user, "pk", None):
        return q
    for holder, name in _task_force_shares().get(model, ()):
        parent = holder.CONFIDENTIAL_PARENT
        parents = scope_queryset(actor, holder._meta.get_field(parent).related_model.objects.all())
        rows = holder.objects.filter(**{f"{parent}__in": parents.values("pk")}).exclude(**{name: None})
        q |= Q(pk__in=rows.values(name))
    return q


def referent_shared_q(actor: Actor, model: type[Model]) -> Q:
    """Objects about a company shown to the organisation of its current référent: a model listing, in
    `REFERENT_COMPANY_FIELDS`, the paths to the company (or companies) it concerns (an EIT flow: its
    establishment's company; a synergy: both companies) is visible to every member of the organisation of the
    current référent of one of them, whatever its own visibility. The référent follows the company for the
    network: what is recorded about it must reach them (docs/permissions.md)."""
    fields = getattr(model, "REFERENT_COMPANY_FIELDS", ())
    if not fields or not actor.org_ids:
        return Q(pk__in=[])
    from django.apps import apps

    advisor = apps.get_model("companies", "CompanyAdvisor")
    companies = advisor.objects.filter(
        role="referent", ended_on__isnull=True, organization_id__in=actor.org_ids
    ).values("company_id")
    q = Q(pk__in=[])
    for name in fields:
        q |= Q(**{f"{name}__in": companies})
    return q


def facilitator_shared_q(actor: Actor, model: type[Model]) -> Q:
    """Objects placed in a territory shown to its « animateurs EIT »: a model listing, in
    `FACILITATOR_COMMUNE_FIELDS`, the commune fields that place it (an EIT flow: its establishment's commune;
    a synergy: both ends) is visible to the facilitators (`Membership.is_eit_facilitator`) of the organisations
    whose perimeter holds one of those communes (an agency's facilitators read, through a delegation, what the
    delegating EPCI owns, like any delegate)."""
    fields = getattr(model, "FACILITATOR_COMMUNE_FIELDS", ())
    if not fields or not actor.facilitator_org_ids:
        return Q(pk__in=[])
    communes = Organization.communes.through.objects.filter(
        organization_id__in=actor.facilitator_org_ids
    ).values("commune_id")
    q = Q(pk__in=[])
    for name in fields:
        q |= Q(**{f"{name}__in": communes})
    return q


@cache
def _task_force_shares() -> dict[type[Model], list[tuple[type[Model], str]]]:
    """For each model, the (holder, field) pairs of `TASK_FORCE_SHARES` pointing at it: read from the app
    registry once, not on every scoped query."""
    from django.apps import apps

    shares: dict[type[Model], list[tuple[type[Model], str]]] = {}
    for holder in apps.get_models():
        for name in getattr(holder, "TASK_FORCE_SHARES", ()):
            shares.setdefault(holder._meta.get_field(name).related_model, []).append((holder, name))
    return shares


def organizations_in_regions(region_codes) -> frozenset[int]:
    """The organisations of the given regions: a Région organisation by its region, the others by their
    perimeter's communes. « Shared with the Région » admits the members of the owner's own Région only — on a
    national instance, another Région sees nothing of it. An organisation without region nor perimeter belongs
    to no Région. Evaluated once (a few hundred ids): as a subquery inside the correlated subqueries of the
    land selectors, PostgreSQL would run it again for every row."""
    if not region_codes:
        return frozenset()
    by_region = Organization.objects.filter(region_id__in=region_codes).values_list("pk", flat=True)
    by_communes = (
        Organization.communes.through.objects.filter(commune__region_id__in=region_codes)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    return frozenset(by_region) | frozenset(by_communes)


def _delegation_q(actor: Actor, model, *, write: bool) -> Q:
    """The objects covered by the actor's delegations. A delegation limited to some communes covers only the
    objects placed in one of them: objects that cannot be placed in a commune (models without `COMMUNE_FIELD`,
    e.g. perimeters and project reviews, or an object without a commune) are outside it."""
    q = Q(pk__in=[])
    commune_field = _commune_field(model)
    for grant in actor.grants:
        if write and not grant.can_write:
            continue
        part = Q(owner_id=grant.delegator_id)
        if grant.commune_codes:
            if not commune_field:
                continue
            part &= Q(**{f"{commune_field}__in": grant.commune_codes})
        q |= part
    return q


def writable_q(actor: Actor, model: type[Model]) -> Q:
    """The filter of the objects of `model` that `actor` may change or delete: those of the organisations where
    they contribute, and those covered by a delegation of scope « modification » (limited to its communes).
    For bulk operations (an import that removes what a file no longer lists); single objects use `can_change`."""
    if not actor.is_authenticated:
        return Q(pk__in=[])
    if actor.is_platform_admin:
        return Q()
    return Q(owner_id__in=contributor_org_ids(actor)) | _delegation_q(actor, model, write=True)


def scope_queryset(actor: Actor, queryset: QuerySet) -> QuerySet:
    """Restrict any queryset of SharedObjects to what `actor` may see. The one entry point for reads: the
    result is marked as scoped, so the model's manager lets it run (`tandem.organizations.scoping`)."""
    return _mark_scoped(queryset.filter(visible_q(actor, queryset.model)))


def scope_writable_queryset(actor: Actor, queryset: QuerySet) -> QuerySet:
    """Restrict a queryset of SharedObjects to what `actor` may change or delete (`writable_q`, a subset of what
    they see): bulk operations such as an import removing what its file no longer lists."""
    return _mark_scoped(queryset.filter(writable_q(actor, queryset.model)))


def _mark_scoped(queryset: QuerySet) -> QuerySet:
    return queryset._as_checked() if isinstance(queryset, ScopedQuerySet) else queryset


def get_visible_or_404(actor: Actor, queryset: QuerySet, **lookup):
    """The object if `actor` may see it; otherwise 404, exactly as if it did not exist."""
    try:
        return scope_queryset(actor, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _in_owner_perimeter(owner: Organization, commune_code: str | None) -> bool:
    if commune_code is None or owner.kind not in (Organization.Kind.EPCI, Organization.Kind.ETAT):
        return True
    return owner.communes.filter(pk=commune_code).exists()


# Organisations that produce inventories covering several EPCI (a DDT's departmental friches file, the Région's).
INVENTORY_PRODUCER_KINDS = (Organization.Kind.ETAT, Organization.Kind.REGION)


def is_inventory_producer(org: Organization) -> bool:
    """A State service (DDT, DREAL) or the Région: it keeps what it produces, placed in each EPCI's territory."""
    return org.kind in INVENTORY_PRODUCER_KINDS


def can_produce_inventory(
    actor: Actor, model: type[Model], *, producer: Organization, commune_code: str
) -> bool:
    """May `actor` write, on behalf of `producer`, an inventory object placed in `commune_code`? The producer's
    contributors, within its perimeter: a State service's communes (its département), the Région's region."""
    if not is_inventory_producer(producer) or not can_create(actor, model, owner=producer):
        return False
    return producer.communes.filter(pk=commune_code).exists()


def can_create(
    actor: Actor, model: type[Model], *, owner: Organization, commune_code: str | None = None
) -> bool:
    """May `actor` create an object of `model` owned by `owner`, placed in `commune_code`?"""
    if not actor.is_authenticated:
        return False
    if actor.is_platform_admin:
        return True
    if actor.rank_in(owner.pk) >= ROLE_RANK[Role.CONTRIBUTEUR]:
        return _in_owner_perimeter(owner, commune_code)
    commune_field = _commune_field(model)
    for grant in actor.grants:
        if grant.delegator_id == owner.pk and grant.can_write:
            # A commune-limited delegation covers only what it can place in one of its communes.
            if not grant.commune_codes or (commune_field and commune_code in grant.commune_codes):
                return _in_owner_perimeter(owner, commune_code)
    return False


def can_change(actor: Actor, obj) -> bool:
    """May `actor` update or delete `obj`? (It must first be visible to them.)"""
    model = type(obj)
    if not scope_queryset(actor, model.objects.filter(pk=obj.pk)).exists():
        return False
    commune_field = _commune_field(model)
    commune_code = getattr(obj, f"{commune_field}_id") if commune_field else None
    return can_create(actor, model, owner=obj.owner, commune_code=commune_code)


def can_share(actor: Actor, obj=None, *, owner: Organization | int | None = None) -> bool:
    """Only the owner organisation (contributors and above) decides who sees an object: every change of
    visibility or of `shared_with`, including at creation (a delegate creating an object for the EPCI keeps it
    private to the EPCI). Pass the object, or its future `owner` before it exists."""
    owner_id = getattr(owner, "pk", owner) if obj is None else obj.owner_id
    return actor.is_platform_admin or actor.rank_in(owner_id) >= ROLE_RANK[Role.CONTRIBUTEUR]


def sharing_requested(visibility: str | None, shared_with=()) -> bool:
    """Whether creating an object with this visibility and these organisations is a sharing decision."""
    return (visibility not in (None, Visibility.PRIVATE)) or bool(list(shared_with or ()))


def contributor_org_ids(actor: Actor) -> set[int]:
    """Organisations in which `actor` is contributor or administrator."""
    return {org for org, role in actor.roles.items() if ROLE_RANK[role] >= ROLE_RANK[Role.CONTRIBUTEUR]}


def region_contributor_org_ids(actor: Actor) -> set[int]:
    """Région organisations in which `actor` is contributor or administrator: the Région's coordinating roles
    (labels, référents' handovers, open-data signals, the register of solution providers) ask this."""
    return {org for org in contributor_org_ids(actor) if actor.kinds.get(org) == Organization.Kind.REGION}


def is_region_contributor(actor: Actor) -> bool:
    return bool(region_contributor_org_ids(actor))


def delegation_admin_epcis(actor: Actor) -> QuerySet:
    """The EPCI organisations whose delegations `actor` manages (`can_manage_delegations`)."""
    epcis = Organization.objects.filter(kind=Organization.Kind.EPCI)
    return epcis if actor.is_platform_admin else epcis.filter(pk__in=actor.admin_org_ids())


def writable_owners(actor: Actor) -> QuerySet:
    """Organisations on whose behalf `actor` may create objects (their own, or delegators)."""
    if actor.is_platform_admin:
        return Organization.objects.all()
    own = contributor_org_ids(actor)
    delegators = {g.delegator_id for g in actor.grants if g.can_write}
    return Organization.objects.filter(pk__in=own | delegators)


# --- Organisation-level objects (not SharedObjects) -----------------------------------------------------


def delegations_visible_q(actor: Actor) -> Q:
    if actor.is_platform_admin:
        return Q()
    return Q(delegator_id__in=actor.org_ids) | Q(delegate_id__in=actor.org_ids)


def can_manage_delegations(actor: Actor, delegator: Organization) -> bool:
    return delegator.kind == Organization.Kind.EPCI and actor.is_org_admin(delegator.pk)


def audit_log_org_ids(actor: Actor) -> set[int]:
    """The organisations whose audit log `actor` reads (read-only): those where they contribute or administer."""
    return {org_id for org_id in actor.roles if actor.rank_in(org_id) >= ROLE_RANK[Role.CONTRIBUTEUR]}


def can_read_audit_log(actor: Actor) -> bool:
    return actor.is_platform_admin or bool(audit_log_org_ids(actor))


def audit_events_visible_q(actor: Actor) -> Q:
    """Contributors and administrators read their organisation's audit log (what its members did, and what
    others did to the objects it owns); platform administrators all.

    Events about a confidential object are shown only to those who may see the object itself (an event about
    several of them, with no single object, only to its author): the log must not reveal that it exists."""
    if actor.is_platform_admin:
        q = Q()
    else:
        orgs = audit_log_org_ids(actor)
        q = Q(organization_id__in=orgs) | Q(owner_organization_id__in=orgs)
    own = Q(user=actor.user) if getattr(actor.user, "pk", None) else Q(pk__in=[])
    for model, visible in _confidential_querysets(actor):
        visible_ids = [str(pk) for pk in visible.values_list("pk", flat=True)]
        q &= ~Q(object_type=model._meta.label_lower) | Q(object_id__in=visible_ids) | (Q(object_id="") & own)
    return q


def _confidential_querysets(actor: Actor):
    """(model, what `actor` sees of it) for confidential models and for models whose objects belong to a
    confidential one (`CONFIDENTIAL_PARENT`: the name of the foreign key to it, e.g. a prospect's proposals)."""
    from django.apps import apps

    for model in apps.get_models():
        if getattr(model, "CONFIDENTIAL", False):
            yield model, scope_queryset(actor, model.objects.all())
        elif parent := getattr(model, "CONFIDENTIAL_PARENT", None):
            parent_model = model._meta.get_field(parent).related_model
            yield (
                model,
                model.objects.filter(**{f"{parent}__in": scope_queryset(actor, parent_model.objects.all())}),
            )


def memberships_visible_q(actor: Actor) -> Q:
    if actor.is_platform_admin:
        return Q()
    return Q(organization_id__in=actor.org_ids)
