"""The schema's invariants hold on both SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.migrate import current_revision, downgrade, upgrade
from db.models import InboundMessage, Order, OrderItem, Product
from db.session import make_engine
from tests.factories import make_client, make_product, make_shop


@pytest.mark.parametrize(
    ("field", "value"), [("price", -1), ("stock", -5)], ids=["negative-price", "negative-stock"]
)
def test_product_checks_reject_negative_values(session: Session, field: str, value: int) -> None:
    shop = make_shop(session)
    with pytest.raises(IntegrityError):
        make_product(session, shop, **{field: value})


def test_sku_unique_per_shop_but_not_across_shops(session: Session) -> None:
    a, b = make_shop(session), make_shop(session)
    make_product(session, a, sku="X-1")
    make_product(session, b, sku="X-1")  # another shop may reuse it
    session.commit()
    with pytest.raises(IntegrityError):
        make_product(session, a, sku="X-1")


def test_cedula_unique_per_shop(session: Session) -> None:
    shop = make_shop(session)
    make_client(session, shop, cedula="1020304050")
    with pytest.raises(IntegrityError):
        make_client(session, shop, cedula="1020304050")


def test_order_state_and_quantity_checks(session: Session) -> None:
    shop = make_shop(session)
    product = make_product(session, shop)
    order = Order(shop_id=shop.id, user_id="+573000000000")
    session.add(order)
    session.flush()
    session.add(
        OrderItem(
            shop_id=shop.id, order_id=order.id, product_id=product.id, quantity=0, unit_price=100
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(Order(shop_id=shop.id, user_id="x", state="inventado"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_inbound_message_is_unique_per_provider_id(session: Session) -> None:
    shop = make_shop(session)
    for _ in range(2):
        session.add(
            InboundMessage(
                shop_id=shop.id,
                provider="twilio",
                provider_message_id="SM123",
                from_number="+573001",
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_timestamps_round_trip_as_utc(session: Session) -> None:
    shop = make_shop(session)
    product = make_product(session, shop)
    session.commit()
    session.expire_all()
    loaded = session.scalars(select(Product).where(Product.id == product.id)).one()
    assert loaded.created_at.tzinfo is not None
    assert abs((loaded.created_at - datetime.now(UTC)).total_seconds()) < 60


def test_migrations_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is not None
        downgrade(engine, "base")
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) is not None
    finally:
        engine.dispose()
