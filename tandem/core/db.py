"""Database settings of interactive queries (a map tile, a search box): the one place that sets them.

PostGIS functions (`ST_Transform`, `ST_AsMVTGeom`, …) and trigram matches declare high costs, so PostgreSQL
takes a query that reads a few thousand rows through an index for a big one: it compiles it with JIT (about
250 ms of LLVM work for a tile that then runs in 10 ms) and starts parallel workers, each of which loads
PostGIS and initialises PROJ again (about 40 ms each). Measured by `bench/maps.py`: a zoom-7 tile of 2,700
terrains took 320 ms with the defaults and 30 ms with both off. These queries are short by construction (an
index selects the rows), so they run with JIT and parallel workers off (`interactive_query`); imports and
long analytical queries keep the server's settings.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

# random_page_cost 1.1 (PostgreSQL's default of 4 prices a spinning disk): these queries read index pages and
# rows that a server sized for Tandem keeps in memory; with 4, an EPCI's search over its few thousand
# establishments hashed every company matching a frequent word (58,000) instead of looking up its own.
INTERACTIVE_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0", "random_page_cost": "1.1"}


@contextmanager
def interactive_query():
    """A transaction whose queries run with `INTERACTIVE_SETTINGS` (reset at its end: `set_config(…, true)`
    is local to the transaction), yielding a cursor. Views evaluate their tile or search inside it."""
    names = list(INTERACTIVE_SETTINGS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
            [v for name in names for v in (name, INTERACTIVE_SETTINGS[name])],
        )
        yield cursor
