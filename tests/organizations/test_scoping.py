"""Organisation-owned models refuse queries that did not pass through the permission layer (ADR 0002)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from tandem.organizations.models import Role, SharedObject, Visibility
from tandem.organizations.perms import Actor, get_visible_or_404, scope_queryset
from tandem.organizations.scoping import UnscopedQueryError, unscoped
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import perimeter_create
from tests.factories import PASSWORD, communes_of, epci_org, make_member

pytestmark = pytest.mark.django_db

OWNED_MODELS = sorted(
    (m for m in apps.get_models() if issubclass(m, SharedObject)), key=lambda m: m._meta.label
)

# Every way of evaluating a queryset that reads or writes rows.
EVALUATIONS = {
    "list": lambda qs: list(qs),
    "iteration": lambda qs: next(iter(qs), None),
    "len": lambda qs: len(qs),
    "bool": lambda qs: bool(qs),
    "index": lambda qs: qs[:1][0] if qs[:1] else None,
    "first": lambda qs: qs.first(),
    "get": lambda qs: qs.get(pk=0),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "aggregate": lambda qs: qs.aggregate(n=__import__("django.db.models").db.models.Count("pk")),
    "values_list": lambda qs: list(qs.values_list("pk", flat=True)),
    "iterator": lambda qs: list(qs.iterator()),
    "in_bulk": lambda qs: qs.in_bulk([0]),
    "update": lambda qs: qs.filter(pk=0).update(visibility=Visibility.PRIVATE),
    "delete": lambda qs: qs.filter(pk=0).delete(),
}


def test_every_shared_object_model_is_covered():
    labels = {m._meta.label for m in OWNED_MODELS}
    # The models the issue lists: land inventory, perimeters, prospects, company follow-up, reviews, signals.
    assert {
        "land.Site",
        "land.Terrain",
        "land.Friche",
        "land.Pole",
        "land.Etablissement",
        "territories.Perimeter",
        "prospects.Prospect",
        "companies.Exchange",
        "companies.Need",
        "companies.CompanyProject",
        "companies.CompanyAdvisor",
        "companies.Contact",
        "companies.Reminder",
        "companies.ParcoursJourney",
        "companies.ProjectReview",
        "companies.Signal",
    } <= labels


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("how", list(EVALUATIONS))
def test_an_unscoped_query_on_an_owned_model_raises(model, how):
    with pytest.raises(UnscopedQueryError, match=model._meta.label):
        EVALUATIONS[how](model.objects.filter(pk__gte=0))


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m._meta.label)
def test_the_scoped_and_the_explicitly_unscoped_paths_run(model):
    actor = Actor.system_actor()
    for how, evaluate in EVALUATIONS.items():
        if how == "get":
            with pytest.raises(model.DoesNotExist):
                evaluate(scope_queryset(actor, model.objects.all()))
            continue
        evaluate(scope_queryset(actor, model.objects.all()))
        evaluate(model.objects.unscoped())
        with unscoped():
            evaluate(model.objects.all())
    # Chaining after the permission layer keeps the mark; an empty queryset reveals nothing.
    assert scope_queryset(actor, model.objects.all()).filter(pk__gte=0).order_by("pk").count() >= 0
    assert list(model.objects.none()) == []


@pytest.fixture
def perimeters():
    owner, other = epci_org("246700488"), epci_org("200066009")
    owner_user, other_user = make_member(owner, Role.CONTRIBUTEUR), make_member(other, Role.CONTRIBUTEUR)
    private = perimeter_create(
        actor=Actor.for_user(owner_user),
        owner=owner,
        name="Périmètre privé",
        members=communes_of("246700488")[:2],
    )
    return owner_user, other_user, private


def test_scope_queryset_filters_and_lets_the_query_run(perimeters):
    owner_user, other_user, private = perimeters
    assert list(scope_queryset(Actor.for_user(owner_user), Perimeter.objects.all())) == [private]
    assert list(scope_queryset(Actor.for_user(other_user), Perimeter.objects.all())) == []
    assert get_visible_or_404(Actor.for_user(owner_user), Perimeter.objects.all(), pk=private.pk) == private


def test_forward_relations_and_saves_use_the_plain_base_manager(perimeters):
    _owner_user, _other_user, private = perimeters
    # Model.save() and refresh_from_db() go through the base manager: an object in hand stays usable.
    private.name = "Périmètre renommé"
    private.save()
    private.refresh_from_db()
    assert private.name == "Périmètre renommé"
    assert Perimeter._base_manager.filter(pk=private.pk).count() == 1


def test_unscoped_context_ends_with_its_block():
    with unscoped():
        assert Perimeter.objects.count() >= 0
    with pytest.raises(UnscopedQueryError):
        Perimeter.objects.count()


def test_a_request_never_inherits_an_unscoped_context(rf):
    """Even when the caller is unscoped (a test, a shell, a worker thread), a request runs scoped: the actor
    middleware resets the context, so an unscoped query written in a view fails."""
    from django.contrib.auth.models import AnonymousUser

    from tandem.organizations.middleware import ActorMiddleware

    def view(request):
        return Perimeter.objects.count()

    request = rf.get("/")
    request.user, request.session = AnonymousUser(), {}
    with unscoped():
        with pytest.raises(UnscopedQueryError):
            ActorMiddleware(view)(request)
        # … and the caller's context is back after the request.
        assert Perimeter.objects.count() >= 0


def test_pages_and_api_answer_through_the_scoped_path(perimeters):
    owner_user, other_user, private = perimeters
    for user, status in ((other_user, 404), (owner_user, 200)):
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(f"/perimetres/{private.pk}/").status_code == status
        assert client.get(f"/api/v1/perimeters/{private.pk}/").status_code == status


def test_tiles_and_ogc_features_refuse_a_queryset_compiled_without_the_permission_layer(perimeters):
    """Vector tiles and OGC features compile their queryset to SQL instead of evaluating it: they check it
    themselves (`scoping.check_scoped`), so an unscoped layer raises there too."""
    from tandem.core.tiles import mvt_layer, tile_geometry
    from tandem.ogc.selectors import COLLECTIONS, features_geojson

    owner_user, _other_user, private = perimeters
    actor = Actor.for_user(owner_user)
    geometry = tile_geometry(0, 0, 0, "communes__geometry")
    with pytest.raises(UnscopedQueryError, match="territories.Perimeter"):
        mvt_layer(Perimeter.objects.all(), name="p", columns=["id"], geometry=geometry)
    scoped_layer = mvt_layer(
        scope_queryset(actor, Perimeter.objects.all()), name="p", columns=["id"], geometry=geometry
    )
    assert isinstance(scoped_layer, bytes)
    with pytest.raises(UnscopedQueryError, match="territories.Perimeter"):
        features_geojson(actor, COLLECTIONS["perimetres"], Perimeter.objects.filter(pk=private.pk))
    scoped_rows = features_geojson(
        actor, COLLECTIONS["perimetres"], scope_queryset(actor, Perimeter.objects.filter(pk=private.pk))
    )
    assert len(scoped_rows) == 1 and "Périmètre privé" in scoped_rows[0]


def leaky_generator(*, actor, params, out, progress):
    """A file generator that forgets the permission layer (for the test below)."""
    out.write(str(Perimeter.objects.count()).encode())


def test_a_generated_file_is_built_scoped_even_from_the_unscoped_worker(perimeters, monkeypatch):
    """The worker's child process is a management command (unscoped), but a file is built for its requester:
    `generated_file_build` runs the generator scoped, so one that reads past the permission layer fails."""
    from tandem.core import files
    from tandem.core.models import GeneratedFile

    owner_user, _other_user, _private = perimeters
    monkeypatch.setitem(files.GENERATORS, "test.leaky", f"{__name__}.leaky_generator")
    generated = GeneratedFile.objects.create(
        kind="test.leaky",
        label="Fichier",
        created_by=owner_user,
        file_name="x.txt",
        content_type="text/plain",
    )
    with unscoped(), pytest.raises(UnscopedQueryError):
        files.generated_file_build(file_id=generated.pk)
    assert not GeneratedFile.objects.get(pk=generated.pk).storage_name
