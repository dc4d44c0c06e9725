"""Read side of analytics: the contract's SQL views and the sales dashboard figures.

The views themselves are created by migration 0002 (see docs/OPS.md for their columns). The
`Table` objects below describe them for SQLAlchemy Core only; they live in their own
`MetaData` so Alembic never tries to create them as tables. Every query filters by shop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    cast,
    distinct,
    func,
    select,
)
from sqlalchemy.orm import Session

from db.models import ConversationLog, Order, OrderItem, Product, UTCDateTime
from db.order_states import SOLD_STATES

views = MetaData()

conversation_stats = Table(
    "conversation_stats", views,
    Column("shop_id", Integer), Column("day", Date), Column("turns", Integer),
    Column("unique_users", Integer), Column("success_rate", Float), Column("fallbacks", Integer),
    Column("fallback_rate", Float), Column("guard_rejections", Integer),
    Column("avg_total_ms", Float), Column("p95_total_ms", Float),
)  # fmt: skip
intent_stats = Table(
    "intent_stats", views,
    Column("shop_id", Integer), Column("intent", String), Column("turns", Integer),
    Column("avg_confidence", Float), Column("fallback_or_error", Integer),
    Column("fallback_or_error_rate", Float), Column("grounded_turns", Integer),
)  # fmt: skip
error_stats = Table(
    "error_stats", views,
    Column("shop_id", Integer), Column("error_type", String), Column("count", Integer),
    Column("first_seen", UTCDateTime), Column("last_seen", UTCDateTime),
    Column("example_turn_id", String),
)  # fmt: skip
user_conversation_stats = Table(
    "user_conversation_stats", views,
    Column("shop_id", Integer), Column("user_id", String), Column("turns", Integer),
    Column("first_seen", UTCDateTime), Column("last_seen", UTCDateTime),
    Column("orders", Integer), Column("spend", Integer),
)  # fmt: skip
handoff_stats = Table(
    "handoff_stats",
    views,
    Column("shop_id", Integer),
    Column("day", Date),
    Column("handoffs", Integer),
    Column("requested", Integer),
    Column("after_fallbacks", Integer),
    Column("taken_by_staff", Integer),
    Column("answered", Integer),
    Column("avg_first_response_s", Float),
    Column("max_first_response_s", Float),
    Column("idle_returns", Integer),
    Column("still_open", Integer),
)  # fmt: skip  (migration 0008)

# Sold orders: closed and every later fulfilment state but a return (`db.order_states`).
SOLD = SOLD_STATES


def day_bounds(
    date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Inclusive UTC days → a half-open datetime range [start, end)."""
    start = datetime.combine(date_from, time(), tzinfo=UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), tzinfo=UTC) if date_to else None
    return start, end


def in_range(
    column: Any, date_from: date | None, date_to: date | None
) -> list[ColumnElement[bool]]:
    """Conditions keeping `column` inside the inclusive UTC day range (none when open)."""
    start, end = day_bounds(date_from, date_to)
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as the views compute it."""
    if dialect == "sqlite":
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def as_date(value: date | str) -> date:
    """A day from either backend (SQLite returns 'YYYY-MM-DD' text from date())."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(value)


_ORDER: dict[str, Any] = {
    "conversation_stats": lambda c: [c.day],
    "intent_stats": lambda c: [c.turns.desc(), c.intent],
    "error_stats": lambda c: [c["count"].desc(), c.error_type],
    "user_conversation_stats": lambda c: [c.last_seen.desc(), c.user_id],
}


def stats_rows(
    session: Session,
    view: Table,
    shop_id: int,
    *,
    offset: int = 0,
    limit: int | None = None,
    **where: Any,
) -> list[dict[str, Any]]:
    """Rows of an analytics view for one shop, as plain dicts, in a stable order.

    Keyword arguments other than `offset`/`limit` are equality filters on view columns.
    """
    query = select(view).where(view.c.shop_id == shop_id)
    for name, value in where.items():
        if value is not None:
            query = query.where(view.c[name] == value)
    query = query.order_by(*_ORDER[view.name](view.c)).offset(offset).limit(limit)
    return [dict(r._mapping) for r in session.execute(query)]


def stats_count(session: Session, view: Table, shop_id: int) -> int:
    """How many rows an analytics view has for one shop."""
    query = select(func.count()).select_from(view).where(view.c.shop_id == shop_id)
    return int(session.scalar(query) or 0)


def conversation_days(
    session: Session,
    shop_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    view: Table = conversation_stats,
) -> list[dict[str, Any]]:
    """Per-day rows of a shop between two days (inclusive): `conversation_stats`, or
    another per-day view such as `handoff_stats`."""
    query = select(view).where(view.c.shop_id == shop_id)
    if date_from:
        query = query.where(view.c.day >= date_from)
    if date_to:
        query = query.where(view.c.day <= date_to)
    rows = [dict(r._mapping) for r in session.execute(query.order_by(view.c.day))]
    for row in rows:
        row["day"] = as_date(row["day"])
    return rows


@dataclass
class SalesDashboard:
    """Sales figures of one shop over a day range (closed orders only)."""

    orders: int = 0
    revenue: int = 0
    average_order_value: float = 0.0
    users_with_conversations: int = 0
    users_with_closed_orders: int = 0
    conversion_rate: float = 0.0
    per_day: list[dict[str, Any]] = field(default_factory=list)
    top_products: list[dict[str, Any]] = field(default_factory=list)


def sales_dashboard(
    session: Session,
    shop_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    top: int = 10,
) -> SalesDashboard:
    """Orders and revenue per day, top products, conversion and average order value.

    An order counts on the day it was closed. Conversion is the share of users who talked to
    the bot in the range and have an order closed in the range.
    """
    dialect = session.get_bind().dialect.name
    closed_on = func.coalesce(Order.closed_at, Order.created_at)
    closed = [Order.shop_id == shop_id, Order.state.in_(SOLD),
              *in_range(closed_on, date_from, date_to)]  # fmt: skip
    result = SalesDashboard()
    day = utc_day(closed_on, dialect).label("day")
    per_day = session.execute(
        select(day, func.count(Order.id), func.coalesce(func.sum(Order.total), 0))
        .where(*closed).group_by(day).order_by(day)
    ).all()  # fmt: skip
    result.per_day = [
        {"day": as_date(d), "orders": int(n), "revenue": int(rev)} for d, n, rev in per_day
    ]
    result.orders = sum(r["orders"] for r in result.per_day)
    result.revenue = sum(r["revenue"] for r in result.per_day)
    result.average_order_value = result.revenue / result.orders if result.orders else 0.0

    revenue = func.sum(OrderItem.quantity * OrderItem.unit_price)
    top_rows = session.execute(
        select(Product.id, Product.sku, Product.name, func.sum(OrderItem.quantity), revenue)
        .join(Order, and_(Order.id == OrderItem.order_id, Order.shop_id == OrderItem.shop_id))
        .join(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.shop_id == shop_id, *closed)
        .group_by(Product.id, Product.sku, Product.name)
        .order_by(revenue.desc(), Product.id)
        .limit(top)
    ).all()  # fmt: skip
    result.top_products = [
        {"product_id": pid, "sku": sku, "name": name, "quantity": int(q), "revenue": int(r)}
        for pid, sku, name, q, r in top_rows
    ]

    talked = (
        select(ConversationLog.user_id)
        .where(ConversationLog.shop_id == shop_id,
               *in_range(ConversationLog.created_at, date_from, date_to))
        .distinct()
    )  # fmt: skip
    result.users_with_conversations = int(
        session.scalar(select(func.count()).select_from(talked.subquery())) or 0
    )
    result.users_with_closed_orders = int(
        session.scalar(
            select(func.count(distinct(Order.user_id))).where(*closed, Order.user_id.in_(talked))
        )
        or 0
    )
    if result.users_with_conversations:
        result.conversion_rate = result.users_with_closed_orders / result.users_with_conversations
    return result
