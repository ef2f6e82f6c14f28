"""Two imports of the same EPCI at the same moment, in two threads with their own PostgreSQL connections:
the second waits for the first and compares with what it wrote; no raw duplicate-key error.

The threads commit for real (they are outside the test's transaction), so the test removes what they wrote."""

import threading

import pytest
from django.db import connections

from tandem.core.models import AuditEvent
from tandem.imports.models import ImportRun
from tandem.land.models import Pole, RecordVersion, Site, Terrain, Vintage
from tandem.land.services import land_import
from tandem.organizations.models import Organization
from tandem.organizations.perms import Actor
from tests.land.inventory_builders import write_inventory_files

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system_actor()
STRASBOURG = "246700488"


def in_thread(function):
    """Run `function` in a new thread (its own committed connection); return its result or raise its error."""
    result = {}

    def target():
        try:
            result["value"] = function()
        except BaseException as exc:  # noqa: BLE001 — handed back to the test
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=300)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _clean(since) -> None:
    runs = list(ImportRun.objects.filter(created_at__gte=since).values_list("pk", flat=True))
    vintages = list(Vintage.objects.filter(epci_id=STRASBOURG).values_list("pk", flat=True))
    for model in (Terrain, Site, Pole):
        model.objects.unscoped().filter(owner__epci_id=STRASBOURG).delete()
    RecordVersion.objects.filter(vintage_id__in=vintages).delete()
    ImportRun.objects.filter(pk__in=runs).delete()
    Vintage.objects.filter(pk__in=vintages).delete()
    AuditEvent.objects.filter(at__gte=since).delete()
    Organization.objects.filter(epci_id=STRASBOURG, slug=f"epci-{STRASBOURG}").delete()


def test_two_concurrent_imports_of_one_epci_end_cleanly(tmp_path):
    from django.utils import timezone

    paths = write_inventory_files(tmp_path, STRASBOURG, [{"terr_surf_brute": "4"}, {"terr_surf_brute": "2"}])
    assert not in_thread(lambda: Organization.objects.filter(epci_id=STRASBOURG).exists())
    since = in_thread(timezone.now)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def one_import():
        try:
            barrier.wait(timeout=60)
            reports.append(land_import(paths=paths, actor=SYSTEM, epci_siren=STRASBOURG))
        except Exception as exc:  # noqa: BLE001 — the test reports it
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=one_import) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == [], [str(e) for e in errors]
        statuses = sorted(r.run.status for r in reports)
        # One import wrote the inventory; the other waited, then found the same data stored.
        assert statuses == [ImportRun.Status.DONE, ImportRun.Status.DONE]
        assert sorted(r.written for r in reports) == [False, True]
        counts = in_thread(
            lambda: (
                Organization.objects.filter(epci_id=STRASBOURG).count(),
                Vintage.objects.filter(epci_id=STRASBOURG).count(),
                Terrain.objects.unscoped().filter(owner__epci_id=STRASBOURG).count(),
            )
        )
        assert counts == (1, 1, 2)
    finally:
        in_thread(lambda: _clean(since))
    assert not in_thread(lambda: Organization.objects.filter(epci_id=STRASBOURG).exists())
