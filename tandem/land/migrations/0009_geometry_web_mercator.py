"""A stored Web Mercator copy of each inventory geometry, GiST-indexed, for map tiles (tandem.core.geo)."""

from django.db import migrations

from tandem.core.geo_migrations import add_web_mercator

MODELS = {
    "pole": "land_pole",
    "site": "land_site",
    "terrain": "land_terrain",
    "etablissement": "land_etablissement",
    "friche": "land_friche",
}


class Migration(migrations.Migration):
    dependencies = [("land", "0008_reference_layers")]

    operations = [op for model, table in MODELS.items() for op in add_web_mercator(model, table)]
