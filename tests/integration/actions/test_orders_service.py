"""The sales state machine (`actions.services.orders`) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.services import orders
from actions.services.quantities import QuantityError
from db.models import Client, Order, Product, Shop
from tests.factories import make_client, make_product, make_shop

USER = "+573001234567"
CLIENT = {
    "cedula": "1020304050",
    "name": "Ana Muñoz",
    "phone": "+573001234567",
    "email": None,
    "address": "Calle 10 # 43-25",
    "barrio": "El Poblado",
}


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = make_shop(session)
    session.commit()
    return shop


def product(session: Session, shop: Shop, **kw: object) -> Product:
    p = make_product(session, shop, **kw)
    session.commit()
    return p


def add(session: Session, shop: Shop, p: Product, quantity: int = 1, user: str = USER) -> Order:
    order, _ = orders.add_item(
        session=session, shop_id=shop.id, user_id=user, product_id=p.id, quantity=quantity
    )
    session.commit()
    return order


def to_state(session: Session, order: Order, state: str) -> Order:
    """Walk `order` along the legal path up to `state`."""
    path = ["iniciada", "pendiente", "recolectando_datos", "cerrada"]
    if state == "cancelada":
        orders.cancel(session=session, order=order)
    else:
        for step in path[1 : path.index(state) + 1]:
            if step == "pendiente":
                orders.confirm(session=session, order=order)
            elif step == "recolectando_datos":
                orders.start_checkout(session=session, order=order)
            else:
                orders.close_order(
                    session=session, order_id=order.id, shop_id=order.shop_id, client_data=CLIENT
                )
    session.commit()
    return order


def test_add_creates_one_open_order_and_merges_lines(session: Session, shop: Shop) -> None:
    termo = product(session, shop, price=35900, stock=10)
    order = add(session, shop, termo, 2)
    again = add(session, shop, termo, 3)
    assert again.id == order.id and order.state == "iniciada"
    assert [(i.product_id, i.quantity) for i in order.items] == [(termo.id, 5)]
    assert order.total == 5 * 35900
    assert session.scalars(select(Order)).all() == [order]


def test_add_checks_stock_quantity_shop_and_active(session: Session, shop: Shop) -> None:
    termo = product(session, shop, stock=3)
    with pytest.raises(orders.InsufficientStockError) as err:
        add(session, shop, termo, 4)
    assert err.value.available == 3 and err.value.requested == 4
    add(session, shop, termo, 2)
    with pytest.raises(orders.InsufficientStockError):
        add(session, shop, termo, 2)  # 2 + 2 > 3
    for bad in (0, -1, 1000):
        with pytest.raises(QuantityError):
            add(session, shop, termo, bad)
    other = product(session, make_shop(session), stock=5)
    with pytest.raises(orders.ProductUnavailableError):
        add(session, shop, other)
    hidden = product(session, shop, stock=5, active=False)
    with pytest.raises(orders.ProductUnavailableError):
        add(session, shop, hidden)


def test_set_quantity_and_remove(session: Session, shop: Shop) -> None:
    a = product(session, shop, price=1000, stock=5)
    b = product(session, shop, price=2000, stock=5)
    add(session, shop, a, 2)
    order = add(session, shop, b, 1)
    orders.set_quantity(session=session, order=order, product_id=a.id, quantity=5)
    assert order.total == 5 * 1000 + 2000
    with pytest.raises(orders.InsufficientStockError):
        orders.set_quantity(session=session, order=order, product_id=a.id, quantity=6)
    orders.remove_item(session=session, order=order, product_id=a.id)
    session.commit()
    assert [i.product_id for i in order.items] == [b.id] and order.total == 2000
    with pytest.raises(LookupError):
        orders.remove_item(session=session, order=order, product_id=a.id)


def test_totals_follow_current_prices(session: Session, shop: Shop) -> None:
    p = product(session, shop, price=10000, stock=5)
    order = add(session, shop, p, 2)
    p.price = 12000
    session.commit()
    assert orders.recompute_total(session=session, order=order) == 24000
    to_state(session, order, "recolectando_datos")
    p.price = 15000
    session.commit()
    to_state_close = orders.close_order(
        session=session, order_id=order.id, shop_id=shop.id, client_data=CLIENT
    )
    session.commit()
    assert to_state_close.total == 30000 and order.items[0].unit_price == 15000
    p.price = 99999  # a closed order keeps its sale prices
    session.commit()
    assert orders.recompute_total(session=session, order=order) == 30000


LEGAL = [
    ("iniciada", "pendiente"),
    ("iniciada", "cancelada"),
    ("pendiente", "recolectando_datos"),
    ("pendiente", "cancelada"),
    ("recolectando_datos", "cerrada"),
    ("recolectando_datos", "pendiente"),
    ("recolectando_datos", "cancelada"),
]
STATES = ["iniciada", "pendiente", "recolectando_datos", "cerrada", "cancelada"]


@pytest.mark.parametrize("start", STATES)
def test_every_transition_is_legal_or_raises(session: Session, shop: Shop, start: str) -> None:
    p = product(session, shop, stock=50)
    for target in ["pendiente", "recolectando_datos", "cerrada", "cancelada"]:
        order = to_state(session, add(session, shop, p, user=f"u-{start}-{target}"), start)
        move = {
            "pendiente": lambda o: orders.confirm(session=session, order=o),
            "recolectando_datos": lambda o: orders.start_checkout(session=session, order=o),
            "cerrada": lambda o: orders.close_order(
                session=session, order_id=o.id, shop_id=shop.id, client_data=CLIENT
            ),
            "cancelada": lambda o: orders.cancel(session=session, order=o),
        }[target]
        if (start, target) in LEGAL:
            move(order)
            session.commit()
            assert order.state == target
        else:
            with pytest.raises(orders.OrderStateError):
                move(order)
            session.rollback()
            assert session.get(Order, order.id).state == start  # type: ignore[union-attr]
        if order.state in orders.OPEN_STATES:
            orders.cancel(session=session, order=order)
            session.commit()


@pytest.mark.parametrize("final", ["cerrada", "cancelada"])
def test_finished_orders_are_immutable(session: Session, shop: Shop, final: str) -> None:
    p = product(session, shop, price=5000, stock=10)
    order = to_state(session, add(session, shop, p, 2), final)
    for change in (
        lambda: orders.set_quantity(session=session, order=order, product_id=p.id, quantity=1),
        lambda: orders.remove_item(session=session, order=order, product_id=p.id),
        lambda: orders.cancel(session=session, order=order),
        lambda: orders.confirm(session=session, order=order),
    ):
        with pytest.raises(orders.OrderStateError):
            change()
        session.rollback()
    # adding again opens a new order instead of touching the finished one
    new = add(session, shop, p, 1)
    assert new.id != order.id and new.state == "iniciada"
    assert session.get(Order, order.id).state == final  # type: ignore[union-attr]


def test_editing_a_pending_order_needs_a_new_confirmation(session: Session, shop: Shop) -> None:
    p = product(session, shop, stock=10)
    order = to_state(session, add(session, shop, p), "pendiente")
    add(session, shop, p, 1)
    assert order.state == "iniciada"
    with pytest.raises(orders.OrderStateError):
        orders.start_checkout(session=session, order=order)


def test_confirm_an_empty_cart_raises(session: Session, shop: Shop) -> None:
    p = product(session, shop, stock=10)
    order = add(session, shop, p)
    orders.remove_item(session=session, order=order, product_id=p.id)
    with pytest.raises(orders.OrderStateError):
        orders.confirm(session=session, order=order)


def test_close_decrements_stock_and_upserts_the_client(session: Session, shop: Shop) -> None:
    p = product(session, shop, price=7000, stock=3)
    make_client(
        session, shop, cedula=CLIENT["cedula"], name="Viejo Nombre", address="Vieja", phone=USER
    )
    session.commit()
    order = to_state(session, add(session, shop, p, 3), "cerrada")
    session.refresh(p)
    assert p.stock == 0 and order.closed_at is not None and order.total == 21000
    client = session.scalars(select(Client).where(Client.shop_id == shop.id)).one()
    assert (client.name, client.address, order.client_id) == (
        "Ana Muñoz",
        CLIENT["address"],
        client.id,
    )


def test_close_keeps_someone_elses_client_record_untouched(session: Session, shop: Shop) -> None:
    p = product(session, shop, price=7000, stock=3)
    victim = make_client(session, shop, cedula=CLIENT["cedula"], name="Viejo", address="Vieja")
    session.commit()
    order = to_state(session, add(session, shop, p, 1), "cerrada")
    session.refresh(victim)
    assert (victim.name, victim.address) == ("Viejo", "Vieja")
    assert order.client_id is None and order.delivery is not None
    assert order.delivery["address"] == CLIENT["address"]


def test_close_out_of_stock_leaves_everything_unchanged(session: Session, shop: Shop) -> None:
    a = product(session, shop, name="Termo", stock=5)
    b = product(session, shop, name="Sartén", stock=2)
    add(session, shop, a, 2)
    order = to_state(session, add(session, shop, b, 2), "recolectando_datos")
    b.stock = 1  # someone else bought one meanwhile
    session.commit()
    with pytest.raises(orders.OutOfStockError) as err:
        orders.close_order(session=session, order_id=order.id, shop_id=shop.id, client_data=CLIENT)
    session.rollback()
    assert [(s.name, s.requested, s.available) for s in err.value.items] == [("Sartén", 2, 1)]
    session.refresh(a)
    session.refresh(order)
    assert (a.stock, order.state, order.client_id) == (5, "recolectando_datos", None)
    assert session.scalars(select(Client)).all() == []


def test_open_order_is_per_shop_and_user(session: Session, shop: Shop) -> None:
    other_shop = make_shop(session)
    p = product(session, shop, stock=10)
    q = product(session, other_shop, stock=10)
    mine = add(session, shop, p)
    theirs = add(session, shop, p, user="+573009999999")
    elsewhere = add(session, other_shop, q)
    assert len({mine.id, theirs.id, elsewhere.id}) == 3
    assert orders.get_open_order(session=session, shop_id=other_shop.id, user_id=USER) == elsewhere
