import django.db.models.deletion
from django.db import migrations, models

# A migration of its own: PostgreSQL refuses to alter a table with pending trigger events (the rows the
# previous migration's data copy inserted, under deferred foreign keys).
MOVED = ["created", "duration_s", "file_name", "file_sha256", "file_size", "kind", "problems", "rows_rejected",
         "unchanged", "updated"]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("companies", "0011_registry_runs_into_imports")]

    operations = [
        *[migrations.RemoveField(model_name="registryimport", name=name) for name in MOVED],
        migrations.AlterField(
            model_name="registryimport",
            name="run",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="registry",
                to="imports.importrun",
                verbose_name="import",
            ),
        ),
    ]
