"""The sales state machine: the only code that changes an order's state or items.

States: ``iniciada`` → ``pendiente`` → ``recolectando_datos`` → ``cerrada``, and ``cancelada``
from any open state. Editing the items of a ``pendiente`` order sends it back to ``iniciada``
(the shopper must confirm the new cart); ``recolectando_datos`` → ``pendiente`` shows the
summary again (after a failed close, or when asked); the sale never changes once closed or
cancelled. The states and transitions live in `db.order_states` (shared with the admin API,
which moves a closed order through its fulfilment: ``pagada``, ``enviada``…).

Stock is checked when adding and re-checked when closing under a lock: ``SELECT ... FOR
UPDATE`` on the product rows in product-id order on PostgreSQL; on SQLite every transaction
starts with ``BEGIN IMMEDIATE`` (see `db.session`), which serializes writers. Totals always
come from the products' current prices. Functions flush; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.services.clients import save_client
from actions.services.quantities import check_quantity
from db.catalog_edits import is_low, low_stock_alerts
from db.models import Order, OrderItem, Product, Shop, utcnow
from db.order_states import OPEN_STATES, TRANSITIONS, OrderStateError, transition


class ProductUnavailableError(LookupError):
    """The product does not exist in this shop or is not active."""


class InsufficientStockError(Exception):
    """More units asked than the product has in stock (when adding)."""

    def __init__(self, product: Product, requested: int) -> None:
        super().__init__(f"{product.sku}: {requested} requested, {product.stock} in stock")
        self.product = product
        self.requested = requested
        self.available = product.stock


@dataclass(frozen=True)
class Shortage:
    """A line that cannot be served at closing time."""

    product_id: int
    name: str
    requested: int
    available: int


class OutOfStockError(Exception):
    """Closing failed because some lines exceed the current stock; the order stays open."""

    def __init__(self, items: list[Shortage]) -> None:
        super().__init__(", ".join(f"{s.name}: {s.requested}>{s.available}" for s in items))
        self.items = items


def get_open_order(*, session: Session, shop_id: int, user_id: str) -> Order | None:
    """The shopper's open order (iniciada, pendiente or recolectando_datos), if any."""
    stmt = (
        select(Order)
        .where(Order.shop_id == shop_id, Order.user_id == user_id, Order.state.in_(OPEN_STATES))
        .order_by(Order.id.desc())
    )
    return session.scalars(stmt).first()


def get_order(*, session: Session, shop_id: int, order_id: int, lock: bool = False) -> Order:
    """The order `order_id` of `shop_id` (row-locked on PostgreSQL when `lock`)."""
    stmt = select(Order).where(Order.id == order_id, Order.shop_id == shop_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = session.scalars(stmt).one_or_none()
    if order is None:
        raise LookupError(f"order {order_id} not found")
    return order


def _product(session: Session, shop_id: int, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.shop_id != shop_id or not product.active:
        raise ProductUnavailableError(product_id)
    return product


def _editable(order: Order) -> None:
    if order.state not in OPEN_STATES:
        raise OrderStateError(order.state, "editar")
    if order.state == "pendiente":
        transition(order, "iniciada")


def _line(order: Order, product_id: int) -> OrderItem | None:
    return next((item for item in order.items if item.product_id == product_id), None)


def add_item(
    *, session: Session, shop_id: int, user_id: str, product_id: int, quantity: int
) -> tuple[Order, OrderItem]:
    """Add `quantity` units to the shopper's open order, creating it (``iniciada``) if needed.

    Raises:
        QuantityError, ProductUnavailableError, InsufficientStockError (nothing changes).
    """
    check_quantity(quantity)
    product = _product(session, shop_id, product_id)
    order = get_open_order(session=session, shop_id=shop_id, user_id=user_id)
    line = _line(order, product_id) if order else None
    wanted = quantity + (line.quantity if line else 0)
    check_quantity(wanted)
    if wanted > product.stock:
        raise InsufficientStockError(product, wanted)
    if order is None:
        order = Order(shop_id=shop_id, user_id=user_id, state="iniciada", total=0)
        session.add(order)
    _editable(order)
    if line is None:
        line = OrderItem(shop_id=shop_id, product_id=product_id, unit_price=product.price)
        order.items.append(line)
    line.quantity = wanted
    recompute_total(session=session, order=order)
    return order, line


def set_quantity(*, session: Session, order: Order, product_id: int, quantity: int) -> OrderItem:
    """Set the line of `product_id` to exactly `quantity` units (stock-checked)."""
    check_quantity(quantity)
    line = _line(order, product_id)
    if line is None:
        raise LookupError(f"product {product_id} is not in order {order.id}")
    product = _product(session, order.shop_id, product_id)
    if quantity > product.stock:
        raise InsufficientStockError(product, quantity)
    _editable(order)
    line.quantity = quantity
    recompute_total(session=session, order=order)
    return line


def remove_item(*, session: Session, order: Order, product_id: int) -> None:
    """Remove the line of `product_id` from `order`."""
    line = _line(order, product_id)
    if line is None:
        raise LookupError(f"product {product_id} is not in order {order.id}")
    _editable(order)
    order.items.remove(line)
    recompute_total(session=session, order=order)


def recompute_total(*, session: Session, order: Order) -> int:
    """Refresh an open order's unit prices from current product prices; return the total.

    Closed and cancelled orders keep the prices they were sold at.
    """
    if order.state not in OPEN_STATES:
        return order.total
    ids = [item.product_id for item in order.items]
    prices: dict[int, int] = {}
    if ids:
        rows = session.execute(select(Product.id, Product.price).where(Product.id.in_(ids)))
        prices = {pid: price for pid, price in rows}
    for item in order.items:
        item.unit_price = prices.get(item.product_id, item.unit_price)
    order.total = sum(item.unit_price * item.quantity for item in order.items)
    session.flush()
    return order.total


def confirm(*, session: Session, order: Order) -> Order:
    """``iniciada``/``recolectando_datos`` → ``pendiente`` (summary shown); empty cart raises."""
    if not order.items:
        raise OrderStateError(order.state, "pendiente")
    recompute_total(session=session, order=order)
    transition(order, "pendiente")
    session.flush()
    return order


def start_checkout(*, session: Session, order: Order) -> Order:
    """``pendiente`` → ``recolectando_datos`` (the shopper said yes)."""
    transition(order, "recolectando_datos")
    session.flush()
    return order


def cancel(*, session: Session, order: Order) -> Order:
    """Any open state → ``cancelada``; a closed order raises."""
    transition(order, "cancelada")
    order.cancelled_at = utcnow()
    session.flush()
    return order


def close_order(
    *,
    session: Session,
    order_id: int,
    shop_id: int,
    client_data: dict[str, Any],
    requester_id: str | None = None,
    staff: bool = False,
) -> Order:
    """``recolectando_datos`` → ``cerrada``: the atomic stock check and sale.

    Locks the order and its products (product-id order), re-checks every line against the
    current stock, decrements it, records current prices and the total, keeps the typed
    buyer data on the order, saves the client record when `requester_id` may (see
    `clients.save_client`), stamps `closed_at` and writes a low-stock alert to the staff
    for each product the sale took to or under the shop's threshold
    (`db.catalog_edits.low_stock_alerts`). The caller commits.

    Raises:
        OrderStateError: the order is not collecting data (e.g. already closed).
        OutOfStockError: some lines exceed the stock; nothing was changed.
    """
    order = get_order(session=session, shop_id=shop_id, order_id=order_id, lock=True)
    if "cerrada" not in TRANSITIONS[order.state]:
        raise OrderStateError(order.state, "cerrada")
    if not order.items:
        raise OrderStateError(order.state, "cerrada")
    ids = sorted(item.product_id for item in order.items)
    products = {
        p.id: p
        for p in session.scalars(
            select(Product)
            .where(Product.id.in_(ids), Product.shop_id == shop_id)
            .order_by(Product.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    shortages = []
    for item in order.items:
        product = products.get(item.product_id)
        available = product.stock if product is not None and product.active else 0
        if item.quantity > available:
            name = product.name if product is not None else str(item.product_id)
            shortages.append(Shortage(item.product_id, name, item.quantity, available))
    if shortages:
        raise OutOfStockError(shortages)
    shop = session.get(Shop, shop_id)
    dropped = []
    for item in order.items:
        product = products[item.product_id]
        if shop is not None:
            dropped.append((product, is_low(shop, product.active, product.stock)))
        product.stock -= item.quantity
        item.unit_price = product.price
    order.total = sum(item.unit_price * item.quantity for item in order.items)
    order.delivery = {k: v for k, v in client_data.items() if v is not None}
    client = save_client(
        session=session,
        shop_id=shop_id,
        data=client_data,
        requester_id=requester_id or order.user_id,
        staff=staff,
    )
    order.client_id = client.id if client is not None else None
    transition(order, "cerrada")
    order.closed_at = utcnow()
    session.flush()
    for product, was_low in dropped:  # same transaction: alerted once with the sale
        assert shop is not None
        low_stock_alerts(session, shop, product, was_low=was_low, cause=f"order:{order.id}")
    return order


def order_facts(order: Order) -> dict[str, Any]:
    """The `order` facts of the payload contract (call after `recompute_total`)."""
    return {
        "id": order.id,
        "state": order.state,
        "total": order.total,
        "items": [
            {
                "product_id": item.product_id,
                "name": item.product.name,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "subtotal": item.unit_price * item.quantity,
            }
            for item in order.items
        ],
    }
