"""Trigram indexes for the accent- and case-insensitive search (tandem.core.search)."""

from django.db import migrations

from tandem.core.search import trigram_index_sql

COLUMNS = [
    ("companies_company", "name"),
    ("companies_company", "usual_name"),
    ("companies_establishment", "signboard"),
    ("companies_establishment", "usual_name"),
    ("companies_establishment", "commune_label"),
]


class Migration(migrations.Migration):
    dependencies = [("companies", "0007_establishment_points"), ("core", "0003_postgis_extensions")]

    operations = [migrations.RunSQL(*trigram_index_sql(table, column)) for table, column in COLUMNS]
