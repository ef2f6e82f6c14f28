"""The small-count rule (`tandem.core.disclosure`): checked on hand-made tables and, with hypothesis, on any
table, against the properties it promises (not against its own code)."""

from hypothesis import given
from hypothesis import strategies as st

from tandem.core.disclosure import MIN_CELL, protect_counts, protect_total


def test_small_cells_are_merged_and_the_merge_is_never_small():
    assert protect_counts({"a": 5, "b": 1, "c": 2}) == {"a": 5, "autres": 3}
    # « autres » would be 1: the smallest shown cell joins it.
    assert protect_counts({"a": 5, "b": 4, "c": 1}) == {"a": 5, "autres": 5}
    assert protect_counts({"a": 1}) == {}
    assert protect_counts({"a": 2, "b": 0}) == {}
    assert protect_counts({"a": 3, "b": 0}) == {"a": 3, "b": 0}
    assert protect_total(2) is None and protect_total(0) == 0 and protect_total(3) == 3


@given(st.dictionaries(st.text(alphabet="abcdef", min_size=1, max_size=3), st.integers(0, 12), max_size=8))
def test_no_shown_cell_singles_out_an_object(counts):
    shown = protect_counts(counts)
    total = sum(counts.values())
    # Every shown cell is empty or has at least MIN_CELL objects.
    assert all(n == 0 or n >= MIN_CELL for n in shown.values())
    if 0 < total < MIN_CELL:
        assert shown == {}
        return
    # Nothing is lost: the shown cells add up to the total, so no difference isolates an object.
    assert sum(shown.values()) == total
    # A cell shown under its own name is shown with its true value.
    assert all(counts[k] == n for k, n in shown.items() if k != "autres")
