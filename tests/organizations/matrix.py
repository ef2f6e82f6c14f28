"""The shared set-up of the HTTP access matrices (`test_access_matrix*.py`): organisations of every kind, a member
of every role in each, the standard delegations, clients, and the plain statement of who sees what.

The rules here are written independently of `tandem.organizations.perms`, so that a mistake in the permission
layer shows up as a difference; each matrix module adds what its object type knows (actions, URLs).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from tandem.core.models import AuditEvent
from tandem.organizations.models import Delegation, Organization, Role, SharedObject
from tandem.organizations.scoping import unscoped
from tests.factories import communes_of, epci_org, make_member, make_user, other_org, region_org

STRASBOURG, MULHOUSE = "246700488", "200066009"
ROLES = [Role.LECTEUR, Role.CONTRIBUTEUR, Role.ADMIN]
VISIBILITIES = ["private", "shared", "region", "network"]
WRITERS = (Role.CONTRIBUTEUR, Role.ADMIN)

# How each kind of organisation of the matrices is built. `epci_owner` owns the objects; the agencies get the
# delegations of `DELEGATIONS`.
ORG_BUILDERS = {
    "region": lambda: region_org("44"),
    # Another Région (Île-de-France): « shared with the Région » is not for it.
    "region_other": lambda: region_org("11"),
    "epci_owner": lambda: epci_org(STRASBOURG),
    "epci_other": lambda: epci_org(MULHOUSE),
    # The delegated agency works in Strasbourg: what it shares with the Région goes to the Grand Est Région.
    "agence_delegated": lambda: other_org(
        Organization.Kind.AGENCE, commune_codes=communes_of(STRASBOURG)[:3]
    ),
    "agence_read_delegated": lambda: other_org(Organization.Kind.AGENCE),
    "agence_partial": lambda: other_org(Organization.Kind.AGENCE),
    "agence_other": lambda: other_org(Organization.Kind.AGENCE),
    "maison_region": lambda: other_org(Organization.Kind.MAISON_REGION),
    "agence_investissement": lambda: other_org(
        Organization.Kind.AGENCE_INVESTISSEMENT, commune_codes=communes_of(STRASBOURG)[:3]
    ),
    "operateur": lambda: other_org(Organization.Kind.OPERATEUR),
    # An operator working in Strasbourg: its « animateurs EIT » see the flows placed there.
    "operateur_local": lambda: other_org(Organization.Kind.OPERATEUR, commune_codes=["67482"]),
}


def actors(kinds) -> list[tuple[str, str | None]]:
    """Every role of every kind, a platform administrator and an anonymous visitor."""
    return [(k, r) for k in kinds for r in ROLES] + [("platform_admin", None), ("anonymous", None)]


def actor_ids(pairs) -> list[str]:
    return [f"{k}-{r}" for k, r in pairs]


def sees(kind: str, visibility: str, *, partial_covers: bool = False) -> bool:
    """Who sees an object of `epci_owner` with this visibility: its members, its delegates (a delegation
    limited to some communes only when the object is placed in one of them: `partial_covers`), the whole
    network, the Grand Est Région for « shared with the Région », `epci_other` when shared with it by name."""
    return (
        kind in ("platform_admin", "epci_owner", "agence_delegated", "agence_read_delegated")
        or (kind == "agence_partial" and partial_covers)
        or visibility == "network"
        or (visibility == "region" and kind == "region")
        or (visibility == "shared" and kind == "epci_other")
    )


def writes(kind: str, role: str | None, *, partial_covers: bool = False) -> bool:
    """Who changes an object of `epci_owner`: its contributors and administrators, those of an agency with a
    write delegation (limited to some communes: only objects placed in one of them), platform administrators."""
    if kind == "platform_admin":
        return True
    if role not in WRITERS:
        return False
    return kind in ("epci_owner", "agence_delegated") or (kind == "agence_partial" and partial_covers)


def read_status(kind: str, visibility: str, **kwargs) -> int:
    if kind == "anonymous":
        return 401
    return 200 if sees(kind, visibility, **kwargs) else 404


def write_status(kind: str, role, visibility: str, **kwargs) -> int:
    if kind == "anonymous":
        return 401
    if not sees(kind, visibility, **kwargs):
        return 404
    return 200 if writes(kind, role, **kwargs) else 403


@contextmanager
def matrix_world(django_db_blocker, kinds, *, partial_communes=(), cleanup=()):
    """Organisations of `kinds` with a member of every role, committed once for a module and removed at the end
    (with every owned object, audit event and delegation), even when the module fails.

    Delegations from `epci_owner`: write to `agence_delegated`, read to `agence_read_delegated`, write limited
    to `partial_communes` (a list, or a function returning it) to `agence_partial`, an expired one to `agence_other`."""
    world = {"orgs": {}, "users": {}}
    try:
        with django_db_blocker.unblock():
            orgs = world["orgs"]
            for kind in kinds:
                orgs[kind] = ORG_BUILDERS[kind]()
            owner = orgs["epci_owner"]
            if "agence_delegated" in orgs:
                Delegation.objects.create(delegator=owner, delegate=orgs["agence_delegated"])
            if "agence_read_delegated" in orgs:
                Delegation.objects.create(
                    delegator=owner, delegate=orgs["agence_read_delegated"], scope=Delegation.Scope.READ
                )
            if "agence_partial" in orgs:
                partial = Delegation.objects.create(delegator=owner, delegate=orgs["agence_partial"])
                partial.communes.set(partial_communes() if callable(partial_communes) else partial_communes)
            if "agence_other" in orgs:
                # An expired delegation grants nothing.
                Delegation.objects.create(
                    delegator=owner,
                    delegate=orgs["agence_other"],
                    starts_on="2020-01-01",
                    ends_on="2021-01-01",
                )
            world["users"] = {(k, r): make_member(org, r) for k, org in orgs.items() for r in ROLES}
            world["users"][("platform_admin", None)] = make_user(superuser=True)
        yield world
    finally:
        with django_db_blocker.unblock(), unscoped():
            _remove(world, cleanup)


def _remove(world, cleanup) -> None:
    org_ids = [o.pk for o in world["orgs"].values()]
    owned = [m for m in apps.get_models() if issubclass(m, SharedObject)]
    # Owned objects protect their owner and each other: remove them until nothing is left.
    for _ in range(len(owned)):
        left = 0
        for model in owned:
            try:
                model.objects.filter(owner_id__in=org_ids).delete()
            except Exception:  # noqa: BLE001 - protected by another owned model, removed on the next pass
                left += 1
        if not left:
            break
    for step in cleanup:
        step()
    AuditEvent.objects.all().delete()
    Delegation.objects.all().delete()
    Organization.objects.filter(pk__in=org_ids).delete()
    get_user_model().objects.filter(pk__in=[u.pk for u in world["users"].values()]).delete()


def client_for(world, kind: str, role) -> Client:
    client = Client()
    if kind != "anonymous":
        client.force_login(world["users"][(kind, role)])
    return client


def norm(response) -> int:
    """Anonymous requests: the web redirects to the login page, the API answers 401 (or 403 for DRF's
    session authentication); a successful write answers 200, 201, 204 or a redirect to the object."""
    if response.status_code == 302:
        return 401 if "/connexion/" in response["Location"] else 200
    if response.status_code in (201, 204):
        return 200
    return response.status_code
