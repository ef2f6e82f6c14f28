"""Fewer indexes on the establishments, each of which the first SIRENE load rebuilds: spatial joins use
`point_l93` (GiST) and commune names are searched in the communes table (territories trigram index)."""

from django.db import migrations

from tandem.core.search import trigram_index_sql


class Migration(migrations.Migration):
    dependencies = [("companies", "0008_search_trigram_indexes")]

    operations = [
        migrations.RemoveIndex(model_name="establishment", name="companies_estab_point_idx"),
        migrations.RunSQL(
            trigram_index_sql("companies_establishment", "commune_label")[1],
            reverse_sql=trigram_index_sql("companies_establishment", "commune_label")[0],
        ),
    ]
