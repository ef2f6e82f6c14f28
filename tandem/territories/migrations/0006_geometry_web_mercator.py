"""A stored Web Mercator copy of each territory outline, GiST-indexed, for map tiles (tandem.core.geo)."""

from django.db import migrations

from tandem.core.geo_migrations import add_web_mercator

MODELS = {
    "region": "territories_region",
    "departement": "territories_departement",
    "epci": "territories_epci",
    "zoneemploi": "territories_zoneemploi",
    "commune": "territories_commune",
}


class Migration(migrations.Migration):
    dependencies = [("territories", "0005_delete_geographyload")]

    operations = [op for model, table in MODELS.items() for op in add_web_mercator(model, table)]
