import django.db.models.deletion
from django.db import migrations, models

from tandem.imports.migration_history import registry_runs_forward

class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0010_merge_agenda_references_postgis"),
        ("imports", "0001_initial"),
        ("land", "0006_import_runs_into_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="registryimport",
            name="run",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="registry",
                to="imports.importrun",
                verbose_name="import",
            ),
        ),
        migrations.RunPython(registry_runs_forward, migrations.RunPython.noop),
    ]
