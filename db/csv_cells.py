"""The one CSV-cell escaper: no cell of a file people open in a spreadsheet starts a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and,
after a TAB or CR, whatever follows) as a formula ("CSV injection"). Much of what Tendero
exports is typed by strangers: a phone or chat user id, messages, names and addresses given
at checkout, catalog files. `escape_cell` is applied by the writers to every cell of every
export, whatever its column, so a new column cannot be forgotten; a leading `'` is the
usual defusing (OWASP), shown as text by every spreadsheet.

Numbers are written as they are: a number cannot carry a formula, and a negative quantity
must stay a number. `unescape_cell` is the inverse for our own files read back (the
catalog import), so exports still round-trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def escape_cell(value: Any) -> Any:
    """`value` safe for a spreadsheet: text that starts a formula gets a leading `'`.

    `None` becomes an empty cell; numbers (and anything that is not text) pass through.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def escape_row(row: Iterable[Any]) -> list[Any]:
    """`escape_cell` applied to every cell of `row`."""
    return [escape_cell(cell) for cell in row]


def unescape_cell(text: str) -> str:
    """Undo `escape_cell` on a cell read back from a CSV file.

    Only a `'` followed by a formula character is removed, which is exactly what the
    escaper adds; a spreadsheet saving such a cell writes it without the quote anyway.
    """
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
