"""Catalog files on disk: decoding, CSV/JSON parsing and writing.

Reading is strict about encoding: UTF-8 (with or without a BOM) or UTF-16 with a BOM
(Excel's "Unicode text"). Anything else is reported with the byte offset and line of the
first bad byte; we never guess latin-1, because a wrong guess silently corrupts accents.

CSV records keep their position: blank lines come back as empty dicts so that record
`i` is spreadsheet row `i + 2` (the header is row 1). Validation skips the empty ones.

Formula escaping (decided once): the CSV catalog is made to be opened and edited in a
spreadsheet, so `write_file` defuses every cell with `db.csv_cells.escape_cell`, like every
other export, and `parse_csv` undoes exactly that (`unescape_cell`: a `'` followed by
`= + - @ TAB CR`), so export → edit → import round-trips. The price of it: a cell that
really starts with `'=` imports without its quote, which is also what a spreadsheet does
with such a cell. JSON is not opened in spreadsheets: it is written and read unescaped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from db.csv_cells import escape_cell, unescape_cell

Format = Literal["csv", "json"]
EXTRA_KEY = "__extra__"  # cells beyond the header's width
_DELIMITERS = (",", ";", "\t")


class CatalogFileError(ValueError):
    """The file as a whole cannot be read (encoding, syntax, layout)."""


def detect_format(path: Path) -> Format:
    """`json` for `.json` files, `csv` for everything else (`.csv`, `.txt`, ...)."""
    return "json" if path.suffix.lower() == ".json" else "csv"


def first_data_row(fmt: Format) -> int:
    """The number users see for the first record: 2 in a CSV (header is 1), 1 in JSON."""
    return 2 if fmt == "csv" else 1


def decode(data: bytes, name: str = "file") -> str:
    """Decode catalog bytes as UTF-8 (BOM optional) or BOM-marked UTF-16.

    Raises:
        CatalogFileError: naming the offset, line and value of the first invalid byte.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CatalogFileError(f"{name}: invalid UTF-16 at byte {exc.start}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CatalogFileError(
            f"{name}: not valid UTF-8 at byte offset {exc.start} (line {line}): byte "
            f"0x{data[exc.start]:02x}. Save the file as UTF-8 (in Excel: 'CSV UTF-8')."
        ) from exc


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(text: str, name: str = "file") -> list[dict[str, Any]]:
    """Parse CSV text (delimiter `,`, `;` or tab, taken from the header line)."""
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text)))
    except csv.Error as exc:
        raise CatalogFileError(f"{name}: malformed CSV: {exc}") from exc
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise CatalogFileError(f"{name}: empty file (expected a header line first)")
    header = [cell.strip() for cell in lines[0]]
    while header and not header[-1]:
        header.pop()  # trailing empty header cells (";;" at the end of the line)
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise CatalogFileError(f"{name}: repeated column(s) in the header: {', '.join(dupes)}")
    if "" in header:
        raise CatalogFileError(f"{name}: column {header.index('') + 1} has no header name")
    records: list[dict[str, Any]] = []
    for row in lines[1:]:
        cells = [unescape_cell(cell) for cell in row]
        record: dict[str, Any] = dict(zip(header, cells, strict=False))
        extra = [c for c in cells[len(header) :] if c.strip()]
        if extra:
            record[EXTRA_KEY] = extra
        records.append(record)
    return records


def parse_json(text: str, name: str = "file") -> list[Any]:
    """Parse JSON: a list of product objects, or `{"productos": [...]}`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(
            f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("productos"), list):
        data = data["productos"]
    if not isinstance(data, list):
        raise CatalogFileError(f'{name}: expected a list of products or {{"productos": [...]}}')
    return data


def read_file(path: str | Path, fmt: Format | None = None) -> list[dict[str, Any]]:
    """Read a catalog file into raw records (headers as written in the file).

    JSON items that are not objects are returned as-is so validation can report them.

    Raises:
        CatalogFileError: unreadable file, bad encoding or syntax.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    text = decode(data, str(path))
    fmt = fmt or detect_format(path)
    return parse_json(text, str(path)) if fmt == "json" else parse_csv(text, str(path))


def write_file(
    path: str | Path, columns: Sequence[str], records: Sequence[dict[str, Any]], fmt: Format
) -> None:
    """Write records in the import format.

    CSV is comma-separated UTF-8 with a BOM, so spreadsheets show accents correctly, and
    every cell is defused against formulas (see the module docstring); JSON is a list of
    objects, like `db/demo/catalog.json`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        text = json.dumps(list(records), ensure_ascii=False, indent=1)
        path.write_text(text + "\n", encoding="utf-8")
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: escape_cell(v) for k, v in record.items()} for record in records)
