"""Catalog import/export: validate every row, upsert by sku, export the same format.

Files use Spanish headers: `sku, nombre, descripcion, categoria, precio, stock, activo,
imagen` (`descripcion`, `categoria`, `activo` and `imagen` are optional; `imagen` is a
public http(s) URL of the product photo, sent with replies that present that product).
Headers are matched ignoring case, accents and spaces ("Descripción" is `descripcion`);
English names are accepted too.

Rules, decided once:
- Prices are whole pesos (COP has no cents). "12900", "12.900", "12,900", "$12.900" and
  "12.900,00" all mean 12900; "12.5" or "12.900,50" are rejected rather than rounded.
- Stock is a whole number >= 0; price >= 0; sku non-empty, at most 64 characters, unique
  within the file (every repeat is an error); nombre non-empty.
- Row numbers (`RowError.row`) are what the user sees: in a CSV the spreadsheet row (the
  header is row 1, the first product row 2); in JSON the 1-based position in the list.
  Row 0 in JSON / row 1 in CSV with a column name means a whole column is missing.

Import is all or nothing: callers validate everything first and only upsert when there is
not a single error, inside one transaction (`upsert_products` never commits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.catalog_fields import (
    COLUMNS,
    REQUIRED,
    FieldError,
    normalize_header,
    parse_active,
    parse_image_url,
    parse_text,
    parse_whole,
)
from db.catalog_files import (
    EXTRA_KEY,
    CatalogFileError,
    Format,
    detect_format,
    first_data_row,
    read_file,
    write_file,
)
from db.models import Product, utcnow

__all__ = [
    "COLUMNS",
    "CatalogFileError",
    "ImportReport",
    "ProductRow",
    "RowError",
    "export_products",
    "load_catalog",
    "read_file",
    "upsert_products",
    "validate_records",
]

Progress = Callable[[int, int], None]
BATCH_SIZE = 1000


@dataclass(frozen=True)
class ProductRow:
    """One valid catalog row, in the file's (Spanish) vocabulary."""

    sku: str
    nombre: str
    descripcion: str
    categoria: str
    precio: int
    stock: int
    activo: bool = True
    imagen: str | None = None


@dataclass(frozen=True)
class RowError:
    """A problem with one cell: row number as the user sees it, column, reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


@dataclass
class ImportReport:
    """What an upsert did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Rows seen."""
        return self.created + self.updated + self.unchanged


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _validate_one(
    record: Mapping[str, Any], present: set[str]
) -> tuple[ProductRow | None, list[tuple[str, str]]]:
    """Parse one normalized record; errors as (column, reason) pairs."""
    errors: list[tuple[str, str]] = []
    if record.get(EXTRA_KEY):
        errors.append(("-", f"more cells than header columns: {record[EXTRA_KEY]!r}"))
    values: dict[str, Any] = {}
    limits = {"sku": 64, "nombre": 300, "descripcion": None, "categoria": 120}
    for column in COLUMNS:
        if column not in present:
            continue  # reported once for the whole file
        raw = record.get(column)
        try:
            if column in limits:
                values[column] = parse_text(raw, column, limits[column], column in REQUIRED)
            elif column == "activo":
                values[column] = parse_active(raw)
            elif column == "imagen":
                values[column] = parse_image_url(raw)
            else:
                values[column] = parse_whole(raw, column)
        except FieldError as exc:
            errors.append((column, str(exc)))
    if errors or not values.keys() >= REQUIRED:
        return None, errors
    values.setdefault("descripcion", "")
    values.setdefault("categoria", "")
    return ProductRow(**values), errors


def _sku_or_none(value: Any) -> str | None:
    try:
        return parse_text(value, "sku", 64, True)
    except FieldError:
        return None


def validate_records(
    records: Iterable[Mapping[str, Any]], *, first_row: int = 1
) -> tuple[list[ProductRow], list[RowError]]:
    """Validate raw records (headers in any accepted spelling) into rows and errors.

    `first_row` is the number shown for the first record (2 for a CSV with its header).
    Blank records (all cells empty) are skipped but still counted. Returns every valid row
    and every error; callers must not import anything when errors is non-empty.
    """
    items = list(records)
    header_row = first_row - 1
    errors: list[RowError] = []
    normalized: list[dict[str, Any] | None] = []
    present: set[str] = set()
    bad_headers: set[str] = set()
    for item in items:
        if not isinstance(item, Mapping):
            normalized.append(None)
            continue
        record: dict[str, Any] = {}
        for key, value in item.items():
            name = EXTRA_KEY if key == EXTRA_KEY else normalize_header(str(key))
            if name in record and name != EXTRA_KEY and str(key) not in bad_headers:
                bad_headers.add(str(key))
                errors.append(RowError(header_row, str(key), f"same column as {name!r}"))
            record[name] = value
        if all(_blank(v) for v in record.values()):
            normalized.append({})
            continue
        present.update(k for k, v in record.items() if k in COLUMNS)
        normalized.append(record)
    missing = REQUIRED - present if any(normalized) else set()  # no rows: nothing to check
    for column in sorted(missing, key=COLUMNS.index):
        errors.append(RowError(header_row, column, "required column is missing"))

    rows: list[ProductRow] = []
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(normalized):
        number = first_row + index
        if entry is None:
            errors.append(RowError(number, "-", "expected an object with product fields"))
            continue
        if not entry:
            continue
        row, row_errors = _validate_one(entry, present)
        errors.extend(RowError(number, col, reason) for col, reason in row_errors)
        sku = row.sku if row else _sku_or_none(entry.get("sku"))
        if sku is not None and sku in first_seen:
            reason = f"duplicate sku {sku!r} (first in row {first_seen[sku]})"
            errors.append(RowError(number, "sku", reason))
            continue
        if sku is not None:
            first_seen[sku] = number
        if row is not None:
            rows.append(row)
    errors.sort(key=lambda e: e.row)
    return rows, errors


def load_catalog(path: str | Path) -> tuple[list[ProductRow], list[RowError]]:
    """Read and validate a CSV or JSON catalog file (format from the extension).

    Raises:
        CatalogFileError: the file cannot be read at all (encoding, syntax).
    """
    fmt = detect_format(Path(path))
    return validate_records(read_file(path, fmt), first_row=first_data_row(fmt))


# Model columns in `ProductRow` order (sku first).
_MODEL_COLUMNS = (
    "sku",
    "name",
    "description",
    "category",
    "price",
    "stock",
    "active",
    "image_url",
)


def select_catalog_columns(shop_id: int, *extra: Any) -> Any:
    """SELECT of the shop's products as plain columns in import order (sku … imagen)."""
    columns = [getattr(Product, name) for name in _MODEL_COLUMNS]
    return select(*columns, *extra).where(Product.shop_id == shop_id)


def upsert_products(
    session: Session,
    shop_id: int,
    rows: Sequence[ProductRow],
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Insert new skus and update changed ones for `shop_id`, in the caller's transaction.

    Existing products are loaded once; unchanged rows are not written (their `updated_at`
    stays). Writes go in batches of `batch_size`; `progress(done, total)` is called after
    each. Products of the shop that are not in `rows` are left alone.

    Raises:
        ValueError: `rows` repeats a sku (validate first).
    """
    rows = list(rows)
    if len({r.sku for r in rows}) != len(rows):
        raise ValueError("rows repeat a sku; run validate_records first")
    existing = {
        sku: (pid, tuple(rest))
        for sku, *rest, pid in session.execute(select_catalog_columns(shop_id, Product.id))
    }
    now = utcnow()
    report = ImportReport()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        fields = dict(zip(_MODEL_COLUMNS[1:], astuple(row)[1:], strict=True))
        current = existing.get(row.sku)
        if current is None:
            inserts.append({"shop_id": shop_id, "sku": row.sku, **fields, "created_at": now})
            inserts[-1]["updated_at"] = now
        elif current[1] != tuple(fields.values()):
            updates.append({"id": current[0], **fields, "updated_at": now})
        else:
            report.unchanged += 1
    report.created, report.updated = len(inserts), len(updates)

    done = report.unchanged
    if progress:
        progress(done, len(rows))
    for statement, batch_rows in ((insert(Product), inserts), (update(Product), updates)):
        for start in range(0, len(batch_rows), batch_size):
            batch = batch_rows[start : start + batch_size]
            session.execute(statement, batch)
            done += len(batch)
            if progress:
                progress(done, len(rows))
    if updates:  # bulk UPDATE bypasses loaded objects: make them reload
        changed = {u["id"] for u in updates}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Product) and obj.id in changed:
                session.expire(obj)
    return report


def export_products(
    session: Session, shop_id: int, path: str | Path, fmt: Format | None = "csv"
) -> int:
    """Write the shop's products (ordered by sku) in the import format; return the count.

    `fmt=None` takes the format from the file extension. The file re-imports unchanged.
    """
    fmt = fmt or detect_format(Path(path))
    records = []
    for values in session.execute(select_catalog_columns(shop_id).order_by(Product.sku)):
        record = dict(zip(COLUMNS, astuple(ProductRow(*values)), strict=True))
        if fmt == "csv":
            record["activo"] = "si" if record["activo"] else "no"
            record["imagen"] = record["imagen"] or ""
        records.append(record)
    write_file(path, COLUMNS, records, fmt)
    return len(records)
