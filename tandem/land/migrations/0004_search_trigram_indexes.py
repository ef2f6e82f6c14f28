"""Trigram indexes for the accent- and case-insensitive search (tandem.core.search)."""

from django.db import migrations

from tandem.core.search import trigram_index_sql

COLUMNS = [("land_site", "site_nom"), ("land_site", "site_comm_nom")]


class Migration(migrations.Migration):
    dependencies = [("land", "0003_geometry_postgis")]

    operations = [migrations.RunSQL(*trigram_index_sql(table, column)) for table, column in COLUMNS]
