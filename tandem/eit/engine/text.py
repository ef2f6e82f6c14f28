"""French wording of figures in reasons. Numbers follow the matching engine's rule (one home: `fr_num`)."""

from __future__ import annotations

import math

from tandem.prospects.matching.text import fr_num

__all__ = ["fr_num", "money"]


def money(eur: float | None) -> str:
    """12345 -> « 12 345 € »; 1.2e6 -> « 1,2 M€ »; unknown -> « ? »."""
    if eur is None or math.isnan(eur):
        return "?"
    if math.isinf(eur):
        return "∞"
    if abs(eur) >= 1e6:
        return f"{fr_num(eur / 1e6, 1)} M€"
    return f"{fr_num(eur, 0)} €"
