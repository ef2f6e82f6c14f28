from django.db import migrations

# A migration of its own, after the data copy (PostgreSQL refuses DDL on tables with pending trigger events).


class Migration(migrations.Migration):
    dependencies = [("land", "0006_import_runs_into_imports")]

    operations = [migrations.DeleteModel(name="ImportRun")]
