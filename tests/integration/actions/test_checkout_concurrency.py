"""20 shoppers close orders for the same product (stock 5) at the same instant.

Runs `action_cerrar_pedido` in 20 threads released together by a barrier, on PostgreSQL
(row locks) and on a SQLite file (BEGIN IMMEDIATE): exactly 5 orders close, stock ends at 0
and the other 15 shoppers get a clear out-of-stock answer with their order still open.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.checkout import ActionCerrarPedido
from actions.services import orders
from db.models import Order, Product
from tests.integration.actions.conftest import Reply, SalesShop, make_tracker, run_action

BUYERS = 20
STOCK = 5


def test_last_units_are_never_sold_twice(
    sales_shop: SalesShop, session_factory: sessionmaker[Session]
) -> None:
    shop_id = sales_shop.shop.id
    with session_factory() as session:
        product = session.get(Product, sales_shop.products["termo_acero"].id)
        assert product is not None
        product.stock = STOCK
        phones = [f"+5730055500{i:02d}" for i in range(BUYERS)]
        for phone in phones:
            order, _ = orders.add_item(
                session=session, shop_id=shop_id, user_id=phone, product_id=product.id, quantity=1
            )
            orders.confirm(session=session, order=order)
            orders.start_checkout(session=session, order=order)
        session.commit()
        product_id = product.id

    barrier = threading.Barrier(BUYERS)
    replies: dict[str, Reply] = {}
    errors: list[BaseException] = []

    def buy(i: int, phone: str) -> None:
        slots = {
            "nombre": f"Cliente {i}",
            "cedula": f"{10_000_000 + i}",
            "telefono": phone,
            "email": "no_tiene",
            "direccion": f"Calle {i} # 1-2",
            "barrio": "Centro",
        }
        tracker = make_tracker("sí", intent="afirmar", slots=slots, phone=phone)
        try:
            barrier.wait(timeout=60)
            replies[phone] = run_action(ActionCerrarPedido(), tracker)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=buy, args=(i, p)) for i, p in enumerate(phones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(replies) == BUYERS

    sold = [p for p, r in replies.items() if r.facts.get("order", {}).get("state") == "cerrada"]
    short = [p for p, r in replies.items() if "out_of_stock" in r.facts]
    assert len(sold) == STOCK and len(short) == BUYERS - STOCK
    for phone in short:
        reply = replies[phone]
        assert "está agotado" in reply.text and "sigue abierto" in reply.text
        assert reply.facts["out_of_stock"] == [
            {
                "product_id": product_id,
                "name": "Termo acero inoxidable 750 ml",
                "requested": 1,
                "stock": 0,
            }
        ]
    with session_factory() as session:
        assert session.get(Product, product_id).stock == 0  # type: ignore[union-attr]
        states = dict(
            session.execute(
                select(Order.state, func.count())
                .where(Order.shop_id == shop_id)
                .group_by(Order.state)
            ).all()
        )
        assert states == {"cerrada": STOCK, "recolectando_datos": BUYERS - STOCK}
        closed_users = set(session.scalars(select(Order.user_id).where(Order.state == "cerrada")))
        assert closed_users == set(sold)
