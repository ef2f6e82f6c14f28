"""French formatting of numbers, amounts and dates: the one home for how a figure reads on a page.

« 1 234,5 € », « 1,46 ha », « 01/01/2028 ». Pure Python (no Django): the matching engine's wording, the
answer file, the templates (`tandem.www.templatetags.fr`) and exports all call these functions.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

# Narrow no-break space: the French thousands separator (it never wraps inside a number).
THOUSANDS = "\u202f"
MISSING = "—"


def _is_missing(value) -> bool:
    if value is None or value == "":
        return True
    try:
        return isinstance(value, (float, Decimal)) and math.isnan(value)
    except TypeError:
        return False


def fr_number(value, digits: int = 1, *, missing: str = MISSING, keep_zeros: bool = False) -> str:
    """12345.6 -> « 12 345,6 »; 2.50 -> « 2,5 »; 3.0 -> « 3 » (trailing zeros dropped unless `keep_zeros`)."""
    if _is_missing(value):
        return missing
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return missing
    text = f"{number:,.{max(digits, 0)}f}".replace(",", THOUSANDS).replace(".", ",")
    if "," in text and not keep_zeros:
        text = text.rstrip("0").rstrip(",")
    if text in ("-0", f"-0,{'0' * digits}"):
        text = text[1:]
    return text


def fr_amount(value, unit: str = "€", digits: int = 0, *, missing: str = MISSING) -> str:
    """173000.0 -> « 173 000 € »; (18, "€/m²", 2) -> « 18 €/m² »."""
    if _is_missing(value):
        return missing
    text = fr_number(value, digits, missing=missing)
    return f"{text}\u00a0{unit}" if unit else text


def fr_percent(share, digits: int = 0, *, missing: str = MISSING) -> str:
    """A share (0–1) as a French percentage: 0.4 -> « 40 % »."""
    if _is_missing(share):
        return missing
    try:
        return f"{fr_number(float(share) * 100, digits)}\u00a0%"
    except (TypeError, ValueError):
        return str(share)


def as_date(value) -> dt.date | None:
    """A date from a date, a datetime, an ISO text (« 2027-01-01 ») or a numpy datetime64; None if empty."""
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if text in ("NaT", "nat"):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def fr_date(value, *, missing: str = MISSING) -> str:
    """« 01/01/2028 » from a date, a datetime, an ISO text or a numpy datetime64."""
    day = as_date(value)
    if day is None:
        return missing if _is_missing(value) or str(value) in ("NaT", "nat") else str(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
