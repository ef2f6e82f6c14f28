"""Lists whose matches may run into the hundreds of thousands (the SIRENE registry of a region): their count
stops at `COUNT_CAP`. Counting every match of a broad search (« mécanique » over the Région's registry) cost
as much as the page itself; past a thousand results a person refines the search rather than reading on, so
the page says « plus de 1 000 » instead. One rule for the web pages (`CappedPaginator`) and the API
(`tandem.api.pagination.CappedCountPagination`)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from tandem.core.search import SearchResults

COUNT_CAP = 1000


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> int:
    """The number of rows of `queryset`, counted up to `cap + 1` at most: a result above `cap` means « more
    than `cap` ». One `SELECT count(*) FROM (… LIMIT cap + 1)`: PostgreSQL stops reading at the limit. A
    search over a large table (`tandem.core.search.SearchResults`) is counted through its own slice, each of
    its branches stopping at its first `cap + 1` rows (a frequent word's count no longer collects every match)."""
    if isinstance(queryset, SearchResults) and queryset._search is not None:
        return queryset.capped_count(cap)
    return queryset.order_by().values("pk")[: cap + 1].count()


class CappedPaginator(Paginator):
    """Django's paginator whose count stops at `cap + 1` (`capped` then tells « more than `cap` »): the pages
    up to the cap are numbered as usual, and the last one offered holds the cap's next row."""

    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return capped_count(self.object_list, self.cap)
        return min(len(self.object_list), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap
