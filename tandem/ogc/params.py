"""The query parameters of the OGC API – Features (Part 1 Core, Part 2 CRS): parsed and checked here, each
bad value a `UserError` whose French message names the parameter (answered 400 by the views).

Pure Python (no Django): the views pass `request.GET` as a plain mapping.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from tandem.core.problems import UserError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
LAMBERT93_URI = "http://www.opengis.net/def/crs/EPSG/0/2154"
# The CRS a client may ask for (`crs`, `bbox-crs`), and their SRID in PostGIS.
SRIDS = {CRS84: 4326, LAMBERT93_URI: 2154}
CRS_LIST = list(SRIDS)
STORAGE_CRS = CRS84  # the stored geometry is WGS84, longitude first

LIMIT_DEFAULT = 100
LIMIT_MAX = 10_000
OFFSET_MAX = 2**62  # PostgreSQL's OFFSET is a bigint: far beyond any collection, and safe to add `limit` to
FORMATS = ("json", "geojson")

# Parameters each resource accepts: any other answers 400 (/req/core/query-param-unknown).
COMMON_PARAMS = frozenset({"f"})
ITEMS_PARAMS = frozenset({"f", "bbox", "bbox-crs", "limit", "offset", "datetime", "crs"})
ITEM_PARAMS = frozenset({"f", "crs"})


def check_known(params, allowed: frozenset[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise UserError(
            f"Paramètre inconnu : {', '.join(unknown)} (paramètres acceptés : {', '.join(sorted(allowed))})."
        )


def parse_format(params) -> str:
    fmt = params.get("f", "json")
    if fmt not in FORMATS:
        raise UserError(f"Paramètre f invalide : « {fmt} » (formats proposés : json).")
    return fmt


def parse_crs(value: str | None, *, name: str = "crs") -> str:
    """A CRS URI among those offered (CRS84 by default)."""
    if value in (None, ""):
        return CRS84
    uri = value.strip().strip("<>")
    if uri not in SRIDS:
        raise UserError(
            f"Paramètre {name} invalide : « {value} » (systèmes proposés : {', '.join(CRS_LIST)})."
        )
    return uri


def parse_int(value: str | None, *, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise UserError(f"Paramètre {name} invalide : « {value} » n'est pas un nombre entier.") from None
    if number < minimum:
        raise UserError(f"Paramètre {name} invalide : {number} (valeur minimale : {minimum}).")
    if maximum is not None and number > maximum:
        raise UserError(f"Paramètre {name} invalide : {number} (valeur maximale : {maximum}).")
    return number


def parse_limit(value: str | None) -> int:
    """`limit`: 1 to 10,000, 100 by default. A larger value is served as the maximum (OGC Part 1 permits it),
    as GDAL and QGIS expect."""
    return min(parse_int(value, name="limit", default=LIMIT_DEFAULT, minimum=1), LIMIT_MAX)


def parse_offset(value: str | None) -> int:
    return parse_int(value, name="offset", default=0, minimum=0, maximum=OFFSET_MAX)


def parse_bbox(value: str | None, crs: str) -> tuple[float, float, float, float] | None:
    """`bbox`: west,south,east,north (or six numbers with heights, which are ignored) in `crs`."""
    if value in (None, ""):
        return None
    parts = value.split(",")
    bad = (
        f"Paramètre bbox invalide : « {value} » (quatre nombres attendus, séparés par des virgules : "
        "ouest, sud, est, nord)."
    )
    if len(parts) not in (4, 6):
        raise UserError(bad)
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise UserError(bad) from None
    if not all(math.isfinite(n) for n in numbers):
        raise UserError(bad)
    west, south, east, north = numbers if len(numbers) == 4 else [numbers[i] for i in (0, 1, 3, 4)]
    if west > east or south > north:
        raise UserError(
            f"Paramètre bbox invalide : « {value} » (l'ouest doit être inférieur à l'est et le sud au nord)."
        )
    if crs == CRS84 and (south < -90 or north > 90 or west < -180 or east > 180):
        raise UserError(
            f"Paramètre bbox invalide : « {value} » (longitudes entre -180 et 180, latitudes entre -90 et 90)."
        )
    return west, south, east, north


@dataclass(frozen=True)
class Interval:
    start: dt.datetime | None  # None: open
    end: dt.datetime | None


def _instant(text: str, *, end: bool) -> dt.datetime:
    """An RFC 3339 date-time, or a date (its first or last instant), in UTC when no offset is given."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"Paramètre datetime invalide : « {text} » (date ou date-heure RFC 3339 attendue, "
            "par exemple 2025-01-31 ou 2025-01-31T12:00:00Z)."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_datetime(value: str | None) -> Interval | None:
    """`datetime`: an instant (a date covers its whole day), or an interval `start/end` with `..` (or nothing)
    for an open end."""
    if value in (None, ""):
        return None
    if "/" not in value:
        if len(value.strip()) == 10:
            return Interval(_instant(value, end=False), _instant(value, end=True))
        moment = _instant(value, end=False)
        return Interval(moment, moment)
    start_text, _, end_text = value.partition("/")
    start = None if start_text.strip() in ("", "..") else _instant(start_text, end=False)
    end = None if end_text.strip() in ("", "..") else _instant(end_text, end=True)
    if start is None and end is None:
        raise UserError(f"Paramètre datetime invalide : « {value} » (les deux bornes sont ouvertes).")
    if start is not None and end is not None and start > end:
        raise UserError(f"Paramètre datetime invalide : « {value} » (le début est après la fin).")
    return Interval(start, end)
