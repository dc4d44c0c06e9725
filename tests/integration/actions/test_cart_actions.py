"""Cart actions on real trackers: add, view, remove/change, confirm, cancel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.cart import ActionAgregarProducto, ActionQuitarProducto, ActionVerPedido
from actions.checkout import ActionCancelarPedido, ActionConfirmarPedido
from db.models import Order
from tests.integration.actions.conftest import SHOPPER, Reply, SalesShop, make_tracker, run_action


def buy(text: str, **entities: Any) -> Reply:
    slots = entities.pop("slots", None)
    return run_action(
        ActionAgregarProducto(),
        make_tracker(text, intent="comprar", entities=entities, slots=slots),
    )


def order_of(session: Session) -> Order | None:
    session.expire_all()
    return session.scalars(select(Order).where(Order.user_id == SHOPPER)).first()


def test_add_by_name_and_quantity_word(sales_shop: SalesShop) -> None:
    reply = buy("quiero dos termos deportivos", producto="termo deportivo", cantidad="dos")
    termo = sales_shop.products["termo_dep"]
    assert "Agregué 2 × Termo deportivo 1 litro azul ($29.900 c/u)" in reply.text
    assert "$59.800" in reply.text
    order = reply.facts["order"]
    assert order["state"] == "iniciada" and order["total"] == 59800
    assert order["items"] == [
        {
            "product_id": termo.id,
            "name": termo.name,
            "quantity": 2,
            "unit_price": 29900,
            "subtotal": 59800,
        }
    ]
    assert reply.slots["pedido_id"] == float(order["id"])


def test_add_by_reference_to_shown_products(sales_shop: SalesShop, session: Session) -> None:
    p = sales_shop.products
    shown = {"productos_mostrados": [p["camiseta_roja"].id, p["camiseta_azul"].id]}
    reply = buy("dame media docena de la azul", cantidad="media docena", slots=shown)
    assert reply.facts["order"]["items"][0]["product_id"] == p["camiseta_azul"].id
    assert reply.facts["order"]["items"][0]["quantity"] == 6
    reply = buy("y una del primero", slots=shown)
    assert {i["product_id"] for i in reply.facts["order"]["items"]} == {
        p["camiseta_roja"].id,
        p["camiseta_azul"].id,
    }


def test_ambiguous_request_shows_options_instead_of_guessing(
    sales_shop: SalesShop, session: Session
) -> None:
    reply = buy("quiero una camiseta", producto="camiseta")
    assert "varias opciones" in reply.text and "order" not in reply.facts
    assert len(reply.slots["productos_mostrados"]) == 2
    assert order_of(session) is None


def test_stock_and_quantity_are_checked_when_adding(
    sales_shop: SalesShop, session: Session
) -> None:
    reply = buy("quiero 5 termos deportivos", producto="termo deportivo", cantidad="5")
    assert "solo tenemos 3 disponibles" in reply.text
    assert reply.facts["products"][0]["stock"] == 3 and 5 in reply.facts["quantities"]
    sold_out = buy("quiero la sartén", producto="sartén")
    assert "agotado" in sold_out.text
    for amount in ("0", "1000"):
        bad = buy(f"quiero {amount} termos", producto="termo acero", cantidad=amount)
        assert "entre 1 y 999" in bad.text
    assert order_of(session) is None


def test_view_remove_and_change_quantities(sales_shop: SalesShop) -> None:
    empty = run_action(ActionVerPedido(), make_tracker("mi pedido", intent="ver_pedido"))
    assert "vacío" in empty.text and empty.facts["order"] is None
    buy("3 termos de acero", producto="termo de acero", cantidad="3")
    buy("una licuadora", producto="licuadora", cantidad="una")
    view = run_action(ActionVerPedido(), make_tracker("qué llevo", intent="ver_pedido"))
    assert "3 × Termo acero inoxidable 750 ml — $107.700" in view.text
    assert "Total: $297.600" in view.text and view.facts["order"]["total"] == 297600

    quitar = ActionQuitarProducto()
    less = run_action(
        quitar, make_tracker("deja solo 1 termo", entities={"producto": "termo", "cantidad": "1"})
    )
    assert "dejé 1 × Termo acero" in less.text and less.facts["order"]["total"] == 225800
    minus = run_action(
        quitar,
        make_tracker(
            "quítale 1 a la licuadora", entities={"producto": "licuadora", "cantidad": "1"}
        ),
    )
    assert "Quité Licuadora" in minus.text and minus.facts["order"]["total"] == 35900
    too_many = run_action(
        quitar,
        make_tracker("que sean 20 termos", entities={"producto": "termos", "cantidad": "20"}),
    )
    assert "solo tenemos 12" in too_many.text
    last = run_action(quitar, make_tracker("quita el termo", entities={"producto": "termo"}))
    assert "carrito quedó vacío" in last.text and last.facts["order"]["items"] == []


def test_confirm_moves_to_pending_and_asks(sales_shop: SalesShop, session: Session) -> None:
    confirmar = ActionConfirmarPedido()
    empty = run_action(confirmar, make_tracker("confirmo", intent="confirmar_pedido"))
    assert "vacío" in empty.text
    buy("una licuadora", producto="licuadora")
    reply = run_action(confirmar, make_tracker("listo, confirmo", intent="confirmar_pedido"))
    assert "¿Confirmas el pedido?" in reply.text and "Total: $189.900" in reply.text
    assert reply.facts["order"]["state"] == "pendiente"
    assert order_of(session).state == "pendiente"  # type: ignore[union-attr]


def test_cancel_open_order_and_nothing_to_cancel(sales_shop: SalesShop, session: Session) -> None:
    cancelar = ActionCancelarPedido()
    nothing = run_action(cancelar, make_tracker("cancela", intent="cancelar_pedido"))
    assert "No tienes un pedido abierto" in nothing.text
    buy("una licuadora", producto="licuadora")
    reply = run_action(cancelar, make_tracker("cancela todo", intent="cancelar_pedido"))
    assert reply.facts["order"]["state"] == "cancelada" and "cancelé tu pedido" in reply.text
    assert order_of(session).state == "cancelada"  # type: ignore[union-attr]


def test_a_message_read_as_cancel_without_cancel_words_keeps_the_order(
    sales_shop: SalesShop, session: Session
) -> None:
    cancelar = ActionCancelarPedido()
    buy("una licuadora", producto="licuadora")
    text = "uh te dejo que estoy manejando, después sigo"
    reply = run_action(cancelar, make_tracker(text, intent="cancelar_pedido"))
    assert "queda guardado" in reply.text
    assert order_of(session).state == "iniciada"  # type: ignore[union-attr]


def test_bare_quantity_or_demonstrative_refers_to_shown_products(sales_shop: SalesShop) -> None:
    p = sales_shop.products
    one = {"productos_mostrados": [p["licuadora"].id]}
    reply = buy("quiero 2", cantidad="2", slots=one)
    assert reply.facts["order"]["items"][0]["product_id"] == p["licuadora"].id
    assert reply.facts["order"]["items"][0]["quantity"] == 2
    two = {"productos_mostrados": [p["termo_acero"].id, p["termo_dep"].id]}
    options = buy("quiero ese", slots=two)
    assert "varias opciones" in options.text
    assert options.slots["productos_mostrados"] == [p["termo_acero"].id, p["termo_dep"].id]
    nothing = buy("quiero comprar")
    assert "¿Qué producto quieres agregar?" in nothing.text


def test_yes_after_a_single_product_adds_it(sales_shop: SalesShop) -> None:
    licuadora = sales_shop.products["licuadora"]
    reply = buy("sí, agrégalo", slots={"productos_mostrados": [licuadora.id]})
    assert reply.facts["order"]["items"][0]["product_id"] == licuadora.id
    assert reply.text.endswith("¿Quieres algo más?")


def test_yes_adds_the_product_offered_last_not_the_list(sales_shop: SalesShop) -> None:
    p = sales_shop.products
    shown = [p["termo_acero"].id, p["termo_dep"].id, p["licuadora"].id]
    offer = {
        "event": "bot",
        "text": "Termo deportivo 1 litro azul cuesta $29.900 ... ¿Te lo agrego al pedido?",
        "data": {
            "custom": {
                "action": "action_buscar_producto",
                "facts": {"products": [{"id": p["termo_dep"].id, "name": "Termo deportivo"}]},
            }
        },
    }
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "¿cuál es el más barato?"},
        {"event": "action", "name": "action_buscar_producto"},
        offer,
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "sí"},
    ]
    tracker = make_tracker(
        "sí", intent="afirmar", slots={"productos_mostrados": shown}, events=events
    )
    reply = run_action(ActionAgregarProducto(), tracker)
    assert [i["product_id"] for i in reply.facts["order"]["items"]] == [p["termo_dep"].id]


def test_a_wrong_product_span_falls_back_to_the_whole_message(sales_shop: SalesShop) -> None:
    # NLU sometimes tags a filler word as the product ("agregame tambien 2 termos").
    reply = buy("agregame tambien 2 termos deportivos", producto="tambien", cantidad="2")
    termo = sales_shop.products["termo_dep"]
    items = reply.facts["order"]["items"]
    assert [(i["product_id"], i["quantity"]) for i in items] == [(termo.id, 2)]
