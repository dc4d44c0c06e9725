"""CSV exports of a shop's data: inventario, clientes, ventas, conversaciones.

The same generators back the admin API (`/admin/exports/...`, streamed with `iter_csv`) and
the chat export (`write_csv` to a file served through a signed link, see `db.exports.links`).

CSV files are UTF-8 with a BOM so spreadsheets show accents; rows are streamed from the
database with `yield_per`, always filtered by shop. Dates are UTC, `YYYY-MM-DD HH:MM:SS`.
Every cell goes through `db.csv_cells.escape_cell` as it is written (`_chunks`), so no
column, present or future, can start a spreadsheet formula; the row generators yield raw
values.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.catalog_fields import COLUMNS as CATALOG_COLUMNS
from db.catalog_io import select_catalog_columns
from db.csv_cells import escape_row
from db.models import Client, ConversationLog, Order, OrderItem, Product
from db.order_states import SOLD_STATES

EXPORT_KINDS = ("inventario", "clientes", "ventas", "conversaciones")
BOM = "\ufeff"
# fmt: off
HEADERS: dict[str, tuple[str, ...]] = {
    # The catalog import's columns, so an inventory export can be edited and re-imported.
    "inventario": CATALOG_COLUMNS,
    "clientes": ("cedula", "nombre", "telefono", "email", "direccion", "barrio", "pedidos",
                 "total_comprado"),
    "ventas": ("pedido", "fecha", "estado", "cliente_cedula", "cliente_nombre", "sku",
               "producto", "cantidad", "precio_unitario", "subtotal", "total_pedido"),
    "conversaciones": ("fecha", "usuario", "canal", "mensaje", "intencion", "confianza",
                       "respuesta", "exito", "error"),
}
# fmt: on
_BATCH = 500
_Sel = TypeVar("_Sel", bound="Select[*tuple[Any, ...]]")


class UnknownExportError(ValueError):
    """The export kind is not one of `EXPORT_KINDS`."""


def _fecha(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _si(value: bool) -> str:
    return "si" if value else "no"


def _dated(stmt: _Sel, column: Any, date_from: Any, date_to: Any) -> _Sel:
    """Filter on `column`; a plain date `date_to` includes that whole day."""
    if isinstance(date_from, date) and not isinstance(date_from, datetime):
        date_from = datetime.combine(date_from, time.min, tzinfo=UTC)
    if date_from is not None:
        stmt = stmt.where(column >= date_from)
    if isinstance(date_to, datetime):
        stmt = stmt.where(column <= date_to)
    elif isinstance(date_to, date):
        stmt = stmt.where(
            column < datetime.combine(date_to, time.min, tzinfo=UTC) + timedelta(days=1)
        )
    return stmt


def _inventario(session: Session, shop_id: int, *_: Any) -> Iterator[list[Any]]:
    # Plain columns rather than ORM objects: several times faster on big catalogs.
    stmt = select_catalog_columns(shop_id).order_by(Product.sku)
    for *values, active, image in session.execute(stmt.execution_options(yield_per=_BATCH)):
        yield [*values, _si(active), image or ""]


def _clientes(session: Session, shop_id: int, date_from: Any, date_to: Any) -> Iterator[list[Any]]:
    # Purchases are closed orders, counted within the date range when one is given.
    bought = _dated(
        select(Order.client_id, func.count(Order.id).label("n"), func.sum(Order.total).label("t"))
        .where(Order.shop_id == shop_id, Order.state.in_(SOLD_STATES), Order.client_id.is_not(None))
        .group_by(Order.client_id),
        Order.created_at,
        date_from,
        date_to,
    ).subquery()
    stmt = (
        select(
            Client.cedula,
            Client.name,
            Client.phone,
            Client.email,
            Client.address,
            Client.barrio,
            func.coalesce(bought.c.n, 0),
            func.coalesce(bought.c.t, 0),
        )
        .outerjoin(bought, bought.c.client_id == Client.id)
        .where(Client.shop_id == shop_id)
        .order_by(Client.cedula)
    )
    for ced, name, phone, email, address, barrio, n, total in session.execute(
        stmt.execution_options(yield_per=_BATCH)
    ):
        yield [
            ced,
            name,
            phone,
            email,
            address,
            barrio,
            int(n),
            int(total),
        ]


def _ventas(session: Session, shop_id: int, date_from: Any, date_to: Any) -> Iterator[list[Any]]:
    stmt = _dated(
        select(
            Order.id,
            Order.created_at,
            Order.state,
            Order.total,
            Client.cedula,
            Client.name,
            Product.sku,
            Product.name,
            OrderItem.quantity,
            OrderItem.unit_price,
        )
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(Product, Product.id == OrderItem.product_id)
        .outerjoin(Client, Client.id == Order.client_id)
        .where(Order.shop_id == shop_id, OrderItem.shop_id == shop_id)
        .order_by(Order.created_at, Order.id, OrderItem.id),
        Order.created_at,
        date_from,
        date_to,
    )
    for oid, created, state, total, ced, cname, sku, pname, qty, unit in session.execute(
        stmt.execution_options(yield_per=_BATCH)
    ):
        yield [
            oid,
            _fecha(created),
            state,
            ced or "",
            cname,
            sku,
            pname,
            qty,
            unit,
            qty * unit,
            total,
        ]


def _conversaciones(
    session: Session, shop_id: int, date_from: Any, date_to: Any
) -> Iterator[list[Any]]:
    stmt = _dated(
        select(
            ConversationLog.created_at,
            ConversationLog.user_id,
            ConversationLog.channel,
            ConversationLog.message,
            ConversationLog.intent,
            ConversationLog.confidence,
            ConversationLog.final_reply,
            ConversationLog.template_reply,
            ConversationLog.success,
            ConversationLog.error_type,
            ConversationLog.error_message,
        )
        .where(ConversationLog.shop_id == shop_id)
        .order_by(ConversationLog.created_at, ConversationLog.id),
        ConversationLog.created_at,
        date_from,
        date_to,
    )
    for log in session.execute(stmt.execution_options(yield_per=_BATCH)):
        error = ": ".join(x for x in (log.error_type, log.error_message) if x)
        confianza = "" if log.confidence is None else f"{log.confidence:.3f}"
        yield [
            _fecha(log.created_at),
            log.user_id,
            log.channel,
            log.message,
            log.intent or "",
            confianza,
            log.final_reply or log.template_reply,
            _si(log.success),
            error,
        ]


_ROWS = {
    "inventario": _inventario,
    "clientes": _clientes,
    "ventas": _ventas,
    "conversaciones": _conversaciones,
}


def iter_rows(
    session: Session,
    shop_id: int,
    kind: str,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
) -> Iterator[list[Any]]:
    """The data rows (no header) of export `kind` for `shop_id`, as raw values (the CSV
    writers escape them).

    Date filters apply to the orders' or logs' `created_at` (`date_to` as a date includes
    that day); the inventory ignores them.
    """
    if kind not in _ROWS:
        raise UnknownExportError(kind)
    return _ROWS[kind](session, shop_id, date_from, date_to)


def _chunks(kind: str, rows: Iterable[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(escape_row(HEADERS[kind]))
    for n, row in enumerate(rows, start=1):
        writer.writerow(escape_row(row))
        if n % _BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def iter_csv(
    session: Session,
    shop_id: int,
    kind: str,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
) -> Iterator[str]:
    """CSV text chunks of export `kind`: the first starts with the BOM and the header row."""
    return _chunks(kind, iter_rows(session, shop_id, kind, date_from, date_to))


def write_csv(
    session: Session,
    shop_id: int,
    kind: str,
    path: Path,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
) -> int:
    """Write export `kind` to `path` (atomically, parents created); return the data rows."""
    count = 0

    def counted() -> Iterator[list[Any]]:
        nonlocal count
        for row in iter_rows(session, shop_id, kind, date_from, date_to):
            count += 1
            yield row

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        for chunk in _chunks(kind, counted()):
            fh.write(chunk)
    os.replace(partial, path)
    return count
