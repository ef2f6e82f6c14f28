"""Accent- and case-insensitive search: `field__unaccent_icontains=q` on any text column.

« acierie », « mecanique », « montigny-les-metz » find « Aciérie », « Mécanique », « Montigny-lès-Metz ».
The SQL is `tandem_unaccent(column) ILIKE tandem_unaccent('%q%')`; `tandem_unaccent` is the IMMUTABLE wrapper
of the `unaccent` extension (core migration 0003), so that trigram indexes (`pg_trgm`, GIN) on
`tandem_unaccent(column)` serve the search: see `trigram_index_sql`.
"""

import operator
from functools import reduce

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import F, Func, Lookup, QuerySet


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


# --- Searches over large tables: the first matches without collecting every match ---------------------------


class SearchResults(QuerySet):
    """The rows of a search ordered by one indexed key, whose matching rows are the union of several
    index-served branches (`search_results`).

    Read whole or counted, it is `base` filtered on the key being in the union of the branches. Sliced
    (`[a:b]`, as Django's Paginator and DRF's pagination do), each branch first keeps only its first `b`
    keys: PostgreSQL then reads a frequent word's first rows in key order and stops (a few milliseconds over
    a million rows) instead of collecting, deduplicating and sorting every match (800 ms for « logistique »
    over the national registry), and a rare word's rows through its trigram index as before. The rows are the
    same: the first `b` keys of a union are among the first `b` keys of its branches.

    Filtering or ordering the results further drops the shortcut (every match is collected again)."""

    _search: tuple | None = None
    _capped: dict | None = None

    def _clone(self):
        clone = super()._clone()
        clone._search = self._search
        return clone

    def capped_count(self, cap: int) -> int:
        """The number of matches, counted up to `cap + 1` (each branch stopping at its first `cap + 1` keys),
        remembered by this queryset: a selector that looked at it and the paginator count it once."""
        if self._capped is None:
            self._capped = {}
        if cap not in self._capped:
            base, key, branches, _ = self._search
            self._capped[cap] = _matching(base, key, branches, first=cap + 1).values(key)[: cap + 1].count()
        return self._capped[cap]

    def __getitem__(self, k):
        if (
            isinstance(k, slice)
            and k.stop is not None
            and self._search is not None
            and self._result_cache is None
            and _sql(self) == self._search[3]
        ):
            base, key, branches, _ = self._search
            return _matching(base, key, branches, first=k.stop)[k]
        return super().__getitem__(k)


def _sql(queryset: QuerySet) -> str | None:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return f"{sql} {params!r}"


def search_union(branches: list[QuerySet], *, key: str, first: int | None = None) -> QuerySet:
    """The `key` values matched by any of `branches` (one UNION of index-served searches, where one OR across
    a join makes PostgreSQL scan the table); with `first`, each branch's first `first` keys only."""
    parts = [b.order_by(key).values(key)[:first] if first is not None else b.values(key) for b in branches]
    return parts[0].union(*parts[1:])


def search_matches(base: QuerySet, *, key: str, branches: list[QuerySet], narrow: bool) -> QuerySet:
    """`base` restricted to the rows any of `branches` matches, in no order (for a list sorted otherwise):
    with `narrow` (a small `base` read by its own index) one pass testing every branch's condition, else the
    rows whose `key` is in the union of the branches (each served by its index)."""
    if narrow:
        return reduce(operator.or_, branches)
    return base.filter(**{f"{key}__in": search_union(branches, key=key)})


def _matching(base: QuerySet, key: str, branches: list[QuerySet], *, first: int | None = None) -> QuerySet:
    return base.filter(**{f"{key}__in": search_union(branches, key=key, first=first)}).order_by(key)


def search_results(base: QuerySet, *, key: str, branches: list[QuerySet], narrow: bool = False) -> QuerySet:
    """The rows of `base` matched by any of `branches` (querysets of `base`, each restricted by one
    index-served condition, e.g. a trigram search on one column), ordered by `key` (unique, indexed, text).

    Over a whole large table: a `SearchResults` whose slices stop each branch early. With `narrow` (`base`
    is already a small part of the table, selected by its own index: an EPCI's establishments), one pass over
    `base` testing every branch's condition: reading those few thousand rows costs less than any branch
    walking the whole table in key order for its first matches."""
    if narrow:
        # Sorted by `key || ''` (the same order for a text key): PostgreSQL would otherwise walk the whole
        # table in `key` order through its index, hoping to meet the base's rows early.
        return search_matches(base, key=key, branches=branches, narrow=True).order_by(
            Func(F(key), template="(%(expressions)s || '')")
        )
    results = _matching(base, key, branches)
    results.__class__ = SearchResults
    results._search = (base, key, branches, _sql(results))
    return results
