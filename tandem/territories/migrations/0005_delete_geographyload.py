from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("territories", "0004_geography_loads_into_imports")]

    operations = [migrations.DeleteModel(name="GeographyLoad")]
