"""Shop answers: company info, handoff to a person, order status."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from actions.shop import ActionEstadoPedido, ActionHablarConHumano, ActionInfoEmpresa
from db.models import Order
from tests.factories import make_shop
from tests.integration.actions.conftest import SHOPPER, SalesShop, make_tracker, run_action


def test_info_answers_the_aspect_asked(sales_shop: SalesShop) -> None:
    hours = run_action(ActionInfoEmpresa(), make_tracker("¿a qué hora abren?"))
    assert hours.text == "🕗 Horario: Lunes a sábado de 8:00 a. m. a 7:00 p. m."
    assert hours.facts["aspects"] == ["horario"]
    pay = run_action(ActionInfoEmpresa(), make_tracker("¿puedo pagar con nequi?"))
    assert "Nequi, Efectivo contraentrega" in pay.text and "3001112233" in pay.text
    assert pay.facts["info"]["nequi"] == "3001112233"
    delivery = run_action(ActionInfoEmpresa(), make_tracker("¿hacen domicilios?"))
    assert "Medellín, $6.000, mismo día" in delivery.text and "$150.000" in delivery.text


def test_info_without_a_detected_aspect_gives_everything(sales_shop: SalesShop) -> None:
    reply = run_action(ActionInfoEmpresa(), make_tracker("cuéntame de la tienda"))
    for piece in ("Horario", "Dirección", "domicilios", "Medios de pago", "Teléfono"):
        assert piece in reply.text
    assert set(reply.facts["aspects"]) == {
        "horario",
        "direccion",
        "domicilios",
        "medios_de_pago",
        "telefono",
    }


def test_info_of_a_shop_without_info_offers_a_person(
    sales_shop: SalesShop, session: Session
) -> None:
    make_shop(session, slug="vacia", info={})
    session.commit()
    reply = run_action(ActionInfoEmpresa(), make_tracker("horario?", shop="vacia"))
    assert "no la tengo" in reply.text and reply.facts["aspects"] == []


def test_handoff_is_flagged(sales_shop: SalesShop) -> None:
    reply = run_action(ActionHablarConHumano(), make_tracker("quiero hablar con una persona"))
    assert reply.facts["handoff"] is True and reply.facts["contact"] == "+576044445566"
    assert "Tienda Rosa" in reply.text and "+576044445566" in reply.text


def test_order_status_lists_only_my_orders(sales_shop: SalesShop, session: Session) -> None:
    nothing = run_action(ActionEstadoPedido(), make_tracker("y mi pedido?"))
    assert "No encuentro pedidos" in nothing.text and nothing.facts["orders"] == []
    shop_id = sales_shop.shop.id
    old = Order(
        shop_id=shop_id,
        user_id=SHOPPER,
        state="cerrada",
        total=45900,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    new = Order(
        shop_id=shop_id,
        user_id=SHOPPER,
        state="cancelada",
        total=7000,
        created_at=datetime(2026, 11, 9, tzinfo=UTC),
    )
    other = Order(shop_id=shop_id, user_id="+573009999999", state="cerrada", total=1)
    session.add_all([old, new, other])
    session.commit()
    reply = run_action(ActionEstadoPedido(), make_tracker("cómo van mis pedidos"))
    assert [o["id"] for o in reply.facts["orders"]] == [new.id, old.id]
    assert f"Pedido #{old.id}: confirmado ✅, total $45.900" in reply.text
    assert f"Pedido #{new.id}: cancelado" in reply.text
    one = run_action(ActionEstadoPedido(), make_tracker(f"el pedido #{old.id}"))
    assert [o["id"] for o in one.facts["orders"]] == [old.id]
    theirs = run_action(ActionEstadoPedido(), make_tracker(f"el pedido #{other.id}"))
    assert other.id not in [o["id"] for o in theirs.facts["orders"]]
