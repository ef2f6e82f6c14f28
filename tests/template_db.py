"""The test databases, built once per `make test`: migrations and the national geography go into the database
DATABASE_URL names (the template), then each pytest-xdist worker's test database is copied from it by
PostgreSQL (`CREATE DATABASE … TEMPLATE`, a file copy) instead of migrating and loading the geography again.
pytest then runs with `--reuse-db`, so pytest-django keeps these databases as they are.
The prepared set-ups (the demo, Grand Est alone: tests/prepared_db.py) are built once into templates of their
own, which tests taking their fixtures run on.

    python -m tests.template_db WORKERS
"""

import os
import sys
import time

import django


def test_database_names(workers: int, name: str) -> list[str]:
    """pytest-django's names: test_<NAME>, suffixed _gw<N> under xdist."""
    base = f"test_{name}"
    return [base] if workers <= 1 else [f"{base}_gw{index}" for index in range(workers)]


def main(workers: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test.utils import setup_test_environment

    from tests import prepared_db
    from tests.conftest import ZE_ARGS

    setup_test_environment()  # as under pytest (e-mails kept in memory) for the demo generator
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_geography", *ZE_ARGS, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    template = connection.settings_dict["NAME"]
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        for name in test_database_names(workers, template):
            prepared_db.database_copy(cursor, name, template)
            print(f"base de test {name} copiée de {template}")
    for kind in prepared_db.RECIPES:
        started = time.monotonic()
        prepared_db.template_ready(kind, source=template, base=template, rebuild=True)
        name = prepared_db.template_name(kind, template)
        print(f"modèle {name} préparé en {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
