"""Set-ups prepared once per test run instead of once per test: each is a PostgreSQL template database beside
the geography template of tests/template_db.py (`<NAME>`, migrations and the national geography), and a test
taking the set-up's fixture (tests/conftest.py) runs on a copy of it, made by PostgreSQL
(`CREATE DATABASE … TEMPLATE`, a file copy, under a second):
- non-transactional tests on one copy per worker, each test in its own rolled-back transaction, as usual;
- transactional tests (live server, browser, worker processes) on a fresh copy each, dropped afterwards.

The set-ups (fixture name → template):
- `demo` → `<NAME>_demo`: `make demo`'s data over the national geography (the EIT reference, then the demo
  generator, seed 1, scale « demo »). The generator's result (accounts, each module's counts of the first run) is
  kept with the template, so a test still checks what the first run created; idempotency tests run the generator
  again on top.
- `grand_est_geography` → `<NAME>_grand_est`: a flushed database (as a transactional test leaves it) holding
  Grand Est only, from the real COG CSV and boundaries in ../shared/data.

Each template carries, as its database comment, a fingerprint of the application code and of its recipe, and
the recipe's result: a template built by other code is rebuilt (by `python -m tests.template_db` in `make test`,
or by the first pytest worker needing it).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _demo_recipe():
    from django.core.management import call_command

    from tandem.demo.services import demo_generate
    from tests.conftest import DATA

    with open(os.devnull, "w") as quiet:
        call_command("load_eit_reference", reference=DATA / "real" / "eit", stdout=quiet)
    return asdict(demo_generate(seed=1, scale="demo"))


def _grand_est_recipe():
    from django.core.management import call_command

    from tandem.territories.services import geography_load
    from tandem.territories.sources import read_boundaries_file, read_cog_csv
    from tests.conftest import shared_file

    call_command("flush", interactive=False, verbosity=0)  # as TransactionTestCase does after each test
    geography = read_cog_csv(shared_file("real/admin/communes_grand_est_cog2026.csv"))
    geography.outlines, _ = read_boundaries_file(shared_file("real/geo/communes_grand_est.geojson"))
    geography_load(geography=geography)
    return None


RECIPES = {"demo": ("_demo", _demo_recipe), "grand_est_geography": ("_grand_est", _grand_est_recipe)}


def code_fingerprint(kind: str) -> str:
    digest = hashlib.sha256(inspect.getsource(RECIPES[kind][1]).encode())
    for path in sorted((REPO / "tandem").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def base_name(test_database: str) -> str:
    """`<NAME>` of pytest-django's `test_<NAME>[_gw<N>]`."""
    return re.sub(r"_gw\d+$", "", test_database).removeprefix("test_")


def template_name(kind: str, base: str) -> str:
    return base + RECIPES[kind][0]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def database_copy(cursor, name: str, template: str) -> None:
    """`name` (dropped first if it exists) as a copy of `template`, which no session may be connected to."""
    cursor.execute("SHOW server_version_num")
    # PostgreSQL 15+ copies through the WAL by default, 4× slower than copying the files for a test database.
    strategy = " STRATEGY FILE_COPY" if int(cursor.fetchone()[0]) >= 150000 else ""
    cursor.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
    cursor.execute(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(template)}{strategy}")


def copy_from_template(name: str, template: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        database_copy(cursor, name, template)


def drop(name: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


def template_state(cursor, name: str) -> dict | None:
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
    row = cursor.fetchone()
    if not row or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def forget_process_state() -> None:
    """Per-process memories of database content, emptied when the connection moves to another database: their
    keys (content type ids, visibility version numbers) may be equal in two copies holding different data."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    from tandem.core.memory import forget_all
    from tandem.prospects.candidates import CACHE

    ContentType.objects.clear_cache()
    for cache in caches.all(initialized_only=True):
        cache.clear()
    CACHE.clear()
    forget_all()


def use_database(name: str) -> None:
    """Point the default connection (and the live server's threads, which share its settings) at `name`."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    forget_process_state()


def template_build(kind: str, *, source: str, template: str) -> dict:
    """`template` as a copy of `source` (migrated, national geography loaded, no session connected) prepared by
    the recipe of `kind`; returns the state kept in its comment: {"fingerprint": …, "result": …}."""
    from django.db import connection

    previous = connection.settings_dict["NAME"]
    connection.close()
    with connection._nodb_cursor() as cursor:
        database_copy(cursor, template, source)
    use_database(template)
    try:
        result = RECIPES[kind][1]()
    finally:
        use_database(previous)
    state = {"fingerprint": code_fingerprint(kind), "result": result}
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            f"COMMENT ON DATABASE {_quote(template)} IS %s", [json.dumps(state, ensure_ascii=False)]
        )
    return state


def template_ready(kind: str, *, source: str, base: str, rebuild: bool = False) -> dict:
    """The template's state, built (or rebuilt when stale) from `source`. Several pytest workers may ask at once:
    a PostgreSQL advisory lock lets one build while the others wait for it."""
    from django.db import connection

    template = template_name(kind, base)
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
        try:
            state = None if rebuild else template_state(cursor, template)
            if state is None or state.get("fingerprint") != code_fingerprint(kind):
                state = template_build(kind, source=source, template=template)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])
    return state
