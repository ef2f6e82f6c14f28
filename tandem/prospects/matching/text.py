"""French wording of reasons and conditions (numbers « 2,5 », dates « 01/06/2027 »)."""

from __future__ import annotations

import math

import numpy as np


def fr_num(value: float, digits: int = 1) -> str:
    """2.5 -> « 2,5 »; 3.0 -> « 3 »; 12345.6 -> « 12 345,6 »."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    text = f"{float(value):,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def fr_date(day) -> str:
    if day is None or (isinstance(day, np.datetime64) and np.isnat(day)):
        return "?"
    return "/".join(np.datetime_as_string(np.datetime64(day, "D")).split("-")[::-1])


def iso(day) -> str | None:
    if day is None or (isinstance(day, np.datetime64) and np.isnat(day)):
        return None
    return str(np.datetime64(day, "D"))
