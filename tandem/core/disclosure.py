"""The small-count rule: one function for every aggregate shown outside the people who may see the objects
(pipeline counts today, every dashboard to come). Import it, never restate it.

A count of 1 or 2 singles out an object (« the one Plan 500 prospect in the Aube »). So:

- a cell under `MIN_CELL` is merged into « autres » (`OTHERS`);
- if « autres » is then itself under `MIN_CELL`, the smallest shown cells join it until it reaches the minimum
  (so no cell, nor the difference between a total and the shown cells, isolates fewer than `MIN_CELL`);
- if everything together is under `MIN_CELL`, nothing is shown (the total too: `protect_total`);
- zero stays zero: an empty cell singles out nobody.
"""

from __future__ import annotations

from collections.abc import Mapping

MIN_CELL = 3
OTHERS = "autres"


def protect_total(count: int, *, minimum: int = MIN_CELL) -> int | None:
    """A single count as it may be shown: None (« moins de trois ») when it would single out an object."""
    return count if count == 0 or count >= minimum else None


def protect_counts(
    counts: Mapping[str, int], *, minimum: int = MIN_CELL, others: str = OTHERS
) -> dict[str, int]:
    """`counts` with the small-count rule applied to every cell (see the module): the cells that may be shown,
    plus `others` when some were merged. Empty when the whole is under the minimum."""
    if others in counts:
        raise ValueError(f"« {others} » est réservé aux cellules regroupées.")
    total = sum(counts.values())
    if 0 < total < minimum:
        return {}
    shown = {key: n for key, n in counts.items() if n == 0 or n >= minimum}
    merged = total - sum(shown.values())
    while 0 < merged < minimum:
        # Secondary suppression: the smallest non-empty shown cell joins « autres ».
        key = min((k for k, n in shown.items() if n > 0), key=lambda k: (shown[k], str(k)))
        merged += shown.pop(key)
    if merged:
        shown[others] = merged
    return shown


__all__ = ["MIN_CELL", "OTHERS", "protect_counts", "protect_total"]
