"""The visibility version: a number per table that every write to it — and so every sharing change — moves on,
for caches of what actors may see (the matching's candidate arrays) and of what is derived from such tables
(the matching's sector-ecosystem counts over the SIRENE establishments). Each process keeps its own cache and
checks the version the database holds (one indexed query): a change made by any process is seen by all.

PostgreSQL triggers keep it, so no write path can forget it: `.update()`, bulk imports, the admin, raw SQL.
Each statement on a versioned table sets that table's row of `organizations_visibilityversion` to a fresh value
of a sequence: the row change is transactional (other connections see the new value with the data, once
committed), and a sequence value is never reused, even after a rollback, so a key is never reused for other
data. Versioned tables: every organisation-owned model (`SharedObject`) and its `shared_with` table, the
organisations and their perimeters (« shared with the Région » depends on them), and models that declare
`VISIBILITY_VERSIONED = True`. The triggers are (re)installed after every `migrate`, new models included.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

VERSION_TABLE = "organizations_visibilityversion"
FUNCTION = "tandem_visibility_version_bump"
TRIGGER = "tandem_visibility_version"
BUMP_SQL = """
CREATE SEQUENCE IF NOT EXISTS organizations_visibilityversion_seq;
CREATE OR REPLACE FUNCTION tandem_visibility_version_bump() RETURNS trigger AS $$
BEGIN
    INSERT INTO organizations_visibilityversion (table_name, version)
    VALUES (TG_TABLE_NAME, nextval('organizations_visibilityversion_seq'))
    ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def _tables_of(model) -> list[str]:
    """The model's table and the tables of its many-to-many fields (`shared_with`, `communes`, a prospect's
    task force `members`…): what its rows and their visibility are read from."""
    tables = [model._meta.db_table]
    for m2m in model._meta.local_many_to_many:
        tables.append(m2m.remote_field.through._meta.db_table)
    return tables


def versioned_tables() -> list[str]:
    from tandem.organizations.models import Organization, SharedObject

    tables = set(_tables_of(Organization))
    for model in apps.get_models():
        if issubclass(model, SharedObject) or getattr(model, "VISIBILITY_VERSIONED", False):
            tables.update(_tables_of(model))
    return sorted(tables)


def install_triggers(**_kwargs) -> None:
    """post_migrate receiver: one statement-level trigger per versioned table (idempotent)."""
    with connection.cursor() as cursor:
        cursor.execute(BUMP_SQL)
        for table in versioned_tables():
            # Table names come from the models, never from input.
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()'
            )


def visibility_version(*models) -> tuple:
    """The versions of `models`' tables (and of their `shared_with` tables, and of the organisations'), in
    one indexed query: equal tuples mean nothing these models' visibility depends on has changed."""
    from tandem.organizations.models import Organization, VisibilityVersion

    tables = sorted({t for model in (*models, Organization) for t in _tables_of(model)})
    versions = dict(
        VisibilityVersion.objects.filter(table_name__in=tables).values_list("table_name", "version")
    )
    return tuple(versions.get(t, 0) for t in tables)


def data_version() -> int:
    """One number that moves on with every write to ANY versioned table (each write takes a fresh value of one
    sequence, so the largest version is the last write's), in one query: for caches of figures read from
    many tables (steering's live dashboard values); tests/steering/test_live_cache.py checks that those
    figures read versioned tables only."""
    from django.db.models import Max

    from tandem.organizations.models import VisibilityVersion

    return VisibilityVersion.objects.aggregate(last=Max("version"))["last"] or 0
