"""SIREN, SIRET and NAF codes in "C" (byte-order) collation, and a leaner index set on the registry tables.

Byte order is the right order for codes and is cheaper to index than the database's libc collation; with it,
a plain btree index also serves `LIKE 'prefix%'`, so the varchar_pattern_ops "_like" twins Django adds on
PostgreSQL are dropped. Django propagates the primary keys' collation to the foreign-key columns that point at
them (every `company_id` / `siren` / `siret` / `establishment_id` column). The operations are ordered so that
indexes are dropped before the collation changes (which rebuild the indexes left on the altered columns) and
the new ones built last. On SQLite (no "C" collation; BINARY already is byte order) only the index changes
apply.
"""

import django.db.models.deletion
from django.db import migrations, models

import tandem.companies.models.registry

# The "_like" indexes Django always creates on a varchar primary key (names from
# BaseDatabaseSchemaEditor._create_index_name: deterministic, the same in every database).
PK_LIKE_INDEXES = {
    "companies_company_siren_f670a782_like": ("companies_company", "siren"),
    "companies_establishment_siret_fc3c8d4b_like": ("companies_establishment", "siret"),
}


def drop_pk_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PK_LIKE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_pk_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in PK_LIKE_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0003_registry_bulk_load_indexes"),
        ("territories", "0001_initial"),
    ]

    operations = [
        # 1. Drop the indexes that go away (before the collation changes, which would rebuild them).
        migrations.RemoveIndex(
            model_name="establishment",
            name="companies_e_departe_fd2eb8_idx",
        ),
        migrations.AlterField(
            model_name="company",
            name="legal_category",
            field=models.CharField(blank=True, max_length=4, verbose_name="catégorie juridique"),
        ),
        migrations.AlterField(
            model_name="establishment",
            name="company",
            field=models.ForeignKey(
                db_column="siren",
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="establishments",
                to="companies.company",
                verbose_name="entreprise",
            ),
        ),
        migrations.RunPython(drop_pk_like_indexes, create_pk_like_indexes, elidable=False),
        # 2. "C" collation (company.naf also loses its db_index pair: idx + _like).
        migrations.AlterField(
            model_name="company",
            name="naf",
            field=tandem.companies.models.registry.CodeField(
                blank=True, db_collation="C", max_length=6, verbose_name="activité principale (APE)"
            ),
        ),
        migrations.AlterField(
            model_name="company",
            name="siren",
            field=tandem.companies.models.registry.CodeField(
                db_collation="C", max_length=9, primary_key=True, serialize=False, verbose_name="SIREN"
            ),
        ),
        migrations.AlterField(
            model_name="establishment",
            name="naf",
            field=tandem.companies.models.registry.CodeField(
                blank=True, db_collation="C", max_length=6, verbose_name="activité principale (APE)"
            ),
        ),
        migrations.AlterField(
            model_name="establishment",
            name="siret",
            field=tandem.companies.models.registry.CodeField(
                db_collation="C", max_length=14, primary_key=True, serialize=False, verbose_name="SIRET"
            ),
        ),
        # 3. The new indexes, built once on the final collation.
        migrations.AddIndex(
            model_name="company",
            index=models.Index(fields=["naf"], name="companies_company_naf_idx"),
        ),
        migrations.AddIndex(
            model_name="establishment",
            index=models.Index(fields=["company"], name="companies_estab_siren_idx"),
        ),
        migrations.AddIndex(
            model_name="establishment",
            index=models.Index(fields=["naf"], name="companies_estab_naf_idx"),
        ),
    ]
