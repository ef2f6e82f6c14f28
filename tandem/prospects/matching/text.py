"""French wording of reasons and conditions (numbers « 2,5 », dates « 01/06/2027 »)."""

from __future__ import annotations

import math

import numpy as np

from tandem.core import formats

# How the engine's statuses read on a page (the engine itself keeps its English codes).
STATUS_LABELS = {"eligible": "éligible", "conditional": "sous condition", "excluded": "exclu"}


def fr_num(value: float, digits: int = 1) -> str:
    """2.5 -> « 2,5 »; 3.0 -> « 3 »; 12345.6 -> « 12 345,6 » (`tandem.core.formats`, « ? » when unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    return formats.fr_number(value, digits, missing="?")


def fr_date(day) -> str:
    if day is None or (isinstance(day, np.datetime64) and np.isnat(day)):
        return "?"
    return formats.fr_date(np.datetime_as_string(np.datetime64(day, "D")), missing="?")


def status_text(status: str, available_on=None) -> str:
    """« éligible », « sous condition (au 01/01/2027) », « exclu »: a result's status as users read it."""
    label = STATUS_LABELS.get(status, status)
    if status == "conditional" and available_on:
        label += f" (au {formats.fr_date(available_on)})"
    return label


def iso(day) -> str | None:
    if day is None or (isinstance(day, np.datetime64) and np.isnat(day)):
        return None
    return str(np.datetime64(day, "D"))
