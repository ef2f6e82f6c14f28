"""Accent- and case-insensitive search: `field__unaccent_icontains=q` on any text column.

« acierie », « mecanique », « montigny-les-metz » find « Aciérie », « Mécanique », « Montigny-lès-Metz ».
The SQL is `tandem_unaccent(column) ILIKE tandem_unaccent('%q%')`; `tandem_unaccent` is the IMMUTABLE wrapper
of the `unaccent` extension (core migration 0003), so that trigram indexes (`pg_trgm`, GIN) on
`tandem_unaccent(column)` serve the search: see `trigram_index_sql`.
"""

from django.db import models
from django.db.models import Lookup


class UnaccentIContains(Lookup):
    lookup_name = "unaccent_icontains"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [f"%{connection.ops.prep_for_like_query(str(value))}%"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"tandem_unaccent({lhs}) ILIKE tandem_unaccent({rhs})", [*lhs_params, *rhs_params]


class UnaccentIExact(UnaccentIContains):
    """`field__unaccent_iexact=q`: the whole text equal to `q`, accents and case ignored (a name in a sheet)."""

    lookup_name = "unaccent_iexact"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [connection.ops.prep_for_like_query(str(value))]


def register_lookups() -> None:
    for lookup in (UnaccentIContains, UnaccentIExact):
        models.CharField.register_lookup(lookup)
        models.TextField.register_lookup(lookup)


def trigram_index_sql(table: str, column: str) -> tuple[str, str]:
    """Forward and reverse SQL of the trigram index that serves `column__unaccent_icontains`."""
    name = f"{table}_{column}_trgm"
    return (
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (tandem_unaccent({column}) gin_trgm_ops)",
        f"DROP INDEX IF EXISTS {name}",
    )
