"""Known conversation logs and orders for the analytics and admin tests.

Two shops. Shop A has 8 turns over two UTC days (2026-11-20 and 2026-11-21) from users
u1, u2, u3 and five orders; shop B has one turn and one closed order for a user with the
same id, so any leak across shops shows up in the numbers. The expected figures are worked
out by hand in tests/integration/test_views.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from db.auth import set_shop_token
from db.models import Client, ConversationLog, GuardVerdict, Order, OrderItem, Product, Shop
from tests.factories import make_client, make_product, make_shop

TOKEN_A = "token-shop-a-0123456789abcdef0123456789abcdef"
TOKEN_B = "token-shop-b-0123456789abcdef0123456789abcdef"
BOGOTA = timezone(timedelta(hours=-5))


def at(day: int, hour: int, minute: int = 0, tz: timezone = UTC) -> datetime:
    """A November 2026 timestamp."""
    return datetime(2026, 11, day, hour, minute, tzinfo=tz)


def log_turn(
    session: Session, shop: Shop, user_id: str, created_at: datetime, **kw: Any
) -> ConversationLog:
    """One conversation_logs row (a processed turn)."""
    log = ConversationLog(
        turn_id=kw.pop("turn_id", str(uuid.uuid4())),
        shop_id=shop.id,
        channel=kw.pop("channel", "twilio"),
        user_id=user_id,
        message=kw.pop("message", "hola"),
        final_reply=kw.pop("final_reply", "¡Hola! ¿En qué te ayudo?"),
        success=kw.pop("success", True),
        created_at=created_at,
        **kw,
    )
    session.add(log)
    session.flush()
    return log


def make_order(
    session: Session,
    shop: Shop,
    user_id: str,
    state: str,
    lines: list[tuple[Product, int]],
    created_at: datetime,
    *,
    client: Client | None = None,
    closed_at: datetime | None = None,
) -> Order:
    """An order with its items; the total is the sum of quantity × price."""
    order = Order(
        shop_id=shop.id, user_id=user_id, state=state, created_at=created_at,
        client_id=client.id if client else None,
        total=sum(p.price * q for p, q in lines), closed_at=closed_at,
    )  # fmt: skip
    order.items = [
        OrderItem(shop_id=shop.id, product_id=p.id, quantity=q, unit_price=p.price)
        for p, q in lines
    ]
    session.add(order)
    session.flush()
    return order


@dataclass
class Known:
    """Handles on the rows `seed_known` created."""

    shop_a: Shop
    shop_b: Shop
    turns: dict[str, ConversationLog] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)


def seed_known(session: Session) -> Known:
    """Create the known data set, commit it and return handles."""
    a = make_shop(session, slug="tienda-a", name="Tienda A")
    b = make_shop(session, slug="tienda-b", name="Tienda B")
    set_shop_token(session, a, TOKEN_A)
    set_shop_token(session, b, TOKEN_B)
    k = Known(a, b)
    t = k.turns
    t["t1"] = log_turn(
        session,
        a,
        "u1",
        at(20, 10, 0),
        intent="saludar",
        confidence=0.9,
        total_ms=100,
        guard_verdict=GuardVerdict.PASSED,
        message="hola",
    )
    t["t2"] = log_turn(
        session,
        a,
        "u1",
        at(20, 10, 1),
        intent="consultar_inventario",
        confidence=0.8,
        total_ms=200,
        guard_verdict=GuardVerdict.REJECTED,
        message="¿tienen arroz?",
        final_reply="Sí, tenemos Arroz Diana a $4.500.",
    )
    t["t3"] = log_turn(
        session,
        a,
        "u1",
        at(20, 10, 2),
        intent="nlu_fallback",
        confidence=0.3,
        total_ms=300,
        message="asdf",
    )
    t["t4"] = log_turn(
        session,
        a,
        "u1",
        at(20, 10, 3),
        intent="comprar",
        confidence=0.7,
        total_ms=400,
        success=False,
        error_type="RasaTimeout",
        message="quiero dos",
    )
    t["t5"] = log_turn(
        session,
        a,
        "u2",
        at(20, 23, 59),
        intent="consultar_inventario",
        confidence=0.6,
        total_ms=None,
        actions=["action_default_fallback"],
        message="¿y lo otro?",
    )
    # 20:00 in Bogotá is 01:00 UTC on the 21st: it belongs to the second day.
    t["t6"] = log_turn(
        session,
        a,
        "u1",
        at(20, 20, 0, BOGOTA),
        intent="comprar",
        confidence=0.95,
        total_ms=50,
        success=False,
        error_type="RasaTimeout",
    )
    t["t7"] = log_turn(
        session,
        a,
        "u1",
        at(21, 12, 0),
        intent="ver_pedido",
        confidence=0.85,
        total_ms=150,
        error_type="LLMError",
        guard_verdict=GuardVerdict.REJECTED,
        message="ver mi pedido",
        final_reply="Tu pedido: 1 Jabón, total $2.000.",
    )
    t["t8"] = log_turn(
        session, a, "u3", at(21, 13, 0), intent="saludar", confidence=0.99, total_ms=1000
    )
    t["t9"] = log_turn(
        session,
        b,
        "u1",
        at(20, 9, 0),
        intent="saludar",
        confidence=0.5,
        total_ms=10,
        message="hola tienda b",
    )

    p = k.products
    p["a1"] = make_product(session, a, name="Arroz Diana 5 kg", price=10000, stock=40)
    p["a2"] = make_product(session, a, name="Jabón Rey", price=2000, stock=3, category="Aseo")
    p["a3"] = make_product(session, a, name="Café Sello Rojo", price=7000, stock=0)
    p["b1"] = make_product(session, b, name="Televisor", price=99999, stock=2)
    k.clients["a"] = make_client(session, a, name="Ana Gómez", phone="u1")
    k.clients["b"] = make_client(session, b, name="Beto Ruiz")

    o = k.orders
    o["o1"] = make_order(
        session,
        a,
        "u1",
        "cerrada",
        [(p["a1"], 3)],
        at(20, 10, 30),
        closed_at=at(20, 11, 0),
        client=k.clients["a"],
    )
    o["o2"] = make_order(
        session,
        a,
        "u1",
        "cerrada",
        [(p["a2"], 1), (p["a1"], 1)],
        at(21, 12, 10),
        closed_at=at(21, 12, 30),
        client=k.clients["a"],
    )
    o["o3"] = make_order(session, a, "u1", "cancelada", [(p["a2"], 2)], at(21, 12, 40))
    o["o4"] = make_order(session, a, "u1", "pendiente", [(p["a3"], 1)], at(21, 12, 50))
    o["o5"] = make_order(
        session, a, "u3", "cerrada", [(p["a3"], 1)], at(21, 13, 5), closed_at=at(21, 13, 10)
    )
    o["ob"] = make_order(
        session,
        b,
        "u1",
        "cerrada",
        [(p["b1"], 1)],
        at(20, 9, 5),
        closed_at=at(20, 9, 10),
        client=k.clients["b"],
    )
    session.commit()
    return k
