"""GeoJSON geometry columns become PostGIS columns (see tandem.core.geo_migrations)."""

from django.db import migrations

from tandem.core.geo_migrations import to_postgis

MODELS = {
    "pole": "land_pole",
    "site": "land_site",
    "terrain": "land_terrain",
    "etablissement": "land_etablissement",
    "friche": "land_friche",
}


class Migration(migrations.Migration):
    dependencies = [("land", "0002_nafconsumption"), ("core", "0003_postgis_extensions")]

    operations = [op for model, table in MODELS.items() for op in to_postgis(model, table)]
