"""PostGIS for the geometry columns; unaccent and pg_trgm for accent- and case-insensitive search.

`tandem_unaccent` wraps `unaccent` with a fixed dictionary so that it is IMMUTABLE and can be used in index
expressions (`unaccent` itself is only STABLE: it depends on the search path).
"""

from django.db import migrations

UNACCENT_FUNCTION = """
CREATE OR REPLACE FUNCTION tandem_unaccent(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN public.unaccent('public.unaccent'::regdictionary, value);
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public; "
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;",
            # The extensions stay: other databases objects may use them.
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(UNACCENT_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS tandem_unaccent(text);"),
    ]
