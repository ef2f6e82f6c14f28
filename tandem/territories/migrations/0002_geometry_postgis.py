"""GeoJSON geometry columns become PostGIS columns (see tandem.core.geo_migrations)."""

from django.db import migrations

from tandem.core.geo_migrations import to_postgis

MODELS = {
    "region": "territories_region",
    "departement": "territories_departement",
    "epci": "territories_epci",
    "zoneemploi": "territories_zoneemploi",
    "commune": "territories_commune",
}


class Migration(migrations.Migration):
    dependencies = [("territories", "0001_initial"), ("core", "0003_postgis_extensions")]

    operations = [op for model, table in MODELS.items() for op in to_postgis(model, table)]
