"""Trigram indexes for the accent- and case-insensitive search (tandem.core.search)."""

from django.db import migrations

from tandem.core.search import trigram_index_sql

COLUMNS = [("territories_commune", "name"), ("territories_epci", "name"), ("territories_perimeter", "name")]


class Migration(migrations.Migration):
    dependencies = [("territories", "0002_geometry_postgis")]

    operations = [migrations.RunSQL(*trigram_index_sql(table, column)) for table, column in COLUMNS]
