"""Exactly-once effects: an action retried with the same idempotency key replays its answer."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.cart import ActionAgregarProducto
from actions.checkout import ActionCerrarPedido, ActionConfirmarPedido, ActionIniciarCheckout
from db.models import AppliedAction, Order, Product
from tests.integration.actions.conftest import SHOPPER, Reply, SalesShop, make_tracker, run_action
from tests.integration.actions.test_checkout_actions import DATA


def buy(text: str, key: str | None, **entities: Any) -> Reply:
    metadata = {"idempotency_key": key} if key else None
    tracker = make_tracker(text, intent="comprar", entities=entities, metadata=metadata)
    return run_action(ActionAgregarProducto(), tracker)


def quantity_in_cart(session: Session) -> int:
    session.expire_all()
    order = session.scalars(select(Order).where(Order.user_id == SHOPPER)).first()
    total = sum(i.quantity for i in order.items) if order else 0
    session.rollback()  # SQLite: never hold the write lock the actions need
    return total


def test_same_key_twice_adds_once_and_answers_the_same(
    sales_shop: SalesShop, session: Session
) -> None:
    first = buy("quiero 3 termos", "twilio:SM1", producto="termo acero", cantidad="3")
    again = buy("quiero 3 termos", "twilio:SM1", producto="termo acero", cantidad="3")
    assert quantity_in_cart(session) == 3
    assert again.messages == first.messages
    # The events of the first run come back too (the `after` slot reset is added anyway).
    assert again.events == first.events
    assert session.scalar(select(func.count()).select_from(AppliedAction)) == 1


def test_a_new_key_is_a_new_effect_and_no_key_keeps_the_old_behaviour(
    sales_shop: SalesShop, session: Session
) -> None:
    buy("quiero 3 termos", "twilio:SM1", producto="termo acero", cantidad="3")
    buy("quiero 3 termos", "twilio:SM2", producto="termo acero", cantidad="3")
    assert quantity_in_cart(session) == 6
    buy("quiero 1 termo", None, producto="termo acero", cantidad="1")
    buy("quiero 1 termo", None, producto="termo acero", cantidad="1")
    assert quantity_in_cart(session) == 8


def test_a_failed_action_records_nothing_so_the_retry_applies(
    sales_shop: SalesShop, session: Session, monkeypatch: Any
) -> None:
    from actions.services import orders

    real = orders.add_item
    monkeypatch.setattr(orders, "add_item", lambda **kw: (_ for _ in ()).throw(RuntimeError))
    failed = buy("quiero 3 termos", "twilio:SM9", producto="termo acero", cantidad="3")
    assert failed.facts == {"error": "internal"}
    monkeypatch.setattr(orders, "add_item", real)
    buy("quiero 3 termos", "twilio:SM9", producto="termo acero", cantidad="3")
    assert quantity_in_cart(session) == 3


def test_concurrent_duplicates_apply_once(sales_shop: SalesShop, session: Session) -> None:
    replies: list[Reply] = []

    def run() -> None:
        replies.append(buy("quiero 2 termos", "twilio:SMC", producto="termo acero", cantidad="2"))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert quantity_in_cart(session) == 2
    assert all(r.messages == replies[0].messages for r in replies)
    assert "Agregué 2" in replies[0].text


def test_closing_twice_with_the_same_key_decrements_stock_once(
    sales_shop: SalesShop, session: Session
) -> None:
    buy("2 termos", "k:add", producto="termo acero", cantidad="2")
    run_action(
        ActionConfirmarPedido(), make_tracker("confirmo", metadata={"idempotency_key": "k:c"})
    )
    run_action(ActionIniciarCheckout(), make_tracker("sí", metadata={"idempotency_key": "k:s"}))
    close = make_tracker("El Poblado", slots=DATA, metadata={"idempotency_key": "k:close"})
    first = run_action(ActionCerrarPedido(), close)
    again = run_action(ActionCerrarPedido(), close)
    assert again.messages == first.messages and first.facts["order"]["state"] == "cerrada"
    product_id = sales_shop.products["termo_acero"].id
    session.rollback()
    stock = session.scalar(select(Product.stock).where(Product.id == product_id))
    assert stock == 10
