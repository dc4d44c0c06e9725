"""`db.seed.load_demo` on SQLite and PostgreSQL: one shop, its catalog, clients and orders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.auth import verify_token
from db.models import Client, Order, OrderItem, Product, Shop
from db.seed import DEMO_DIR, load_demo


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_load_demo_creates_the_shop_once(session: Session) -> None:
    result = load_demo(session, admin_token="demo-token-for-tests")
    session.commit()
    assert result.created and result.admin_token == "demo-token-for-tests"
    assert verify_token("demo-token-for-tests", result.shop.admin_token_hash)
    assert result.shop.slug == "demo"
    assert _count(session, Shop) == 1
    catalog = json.loads((DEMO_DIR / "catalog.json").read_text(encoding="utf-8"))
    assert _count(session, Product) == result.products == len(catalog) >= 150
    assert _count(session, Client) == result.clients > 0
    assert _count(session, Order) == result.orders > 0

    prices = {p["sku"]: p["precio"] for p in catalog}
    stored = dict(session.execute(select(Product.sku, Product.price)).all())
    assert stored == prices

    for order in session.scalars(select(Order)):
        assert order.items, order.id
        assert order.total == sum(i.quantity * i.unit_price for i in order.items)
        assert all(i.unit_price == i.product.price for i in order.items)
        assert order.client is not None and order.user_id == order.client.phone
        assert (order.closed_at if order.state == "cerrada" else order.cancelled_at) is not None
    newest = session.scalar(select(func.max(Order.created_at)))
    assert newest is not None
    assert abs(datetime.now(UTC) - timedelta(days=2) - newest) < timedelta(minutes=5)

    snapshot = [_count(session, m) for m in (Shop, Product, Client, Order, OrderItem)]
    again = load_demo(session)
    session.commit()
    assert not again.created and again.admin_token is None
    assert again.shop.id == result.shop.id
    assert [_count(session, m) for m in (Shop, Product, Client, Order, OrderItem)] == snapshot
