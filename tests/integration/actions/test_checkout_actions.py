"""Checkout on real trackers: start, the data form (validation, returning clients), close."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.cart import ActionAgregarProducto, ActionQuitarProducto
from actions.checkout import ActionCerrarPedido, ActionConfirmarPedido, ActionIniciarCheckout
from actions.checkout_form import ValidateDatosClienteForm
from db.models import Client, Order, Product
from tests.factories import make_client
from tests.integration.actions.conftest import SHOPPER, Reply, SalesShop, make_tracker, run_action

FORM_SLOTS = [
    "usar_datos_guardados",
    "nombre",
    "cedula",
    "telefono",
    "email",
    "direccion",
    "barrio",
]
DOMAIN = {"forms": {"datos_cliente_form": {"required_slots": FORM_SLOTS}}, "slots": {}}
DATA = {
    "nombre": "José Peña",
    "cedula": "1020304050",
    "telefono": "+573001234567",
    "email": "no_tiene",
    "direccion": "Calle 10 # 43-25",
    "barrio": "El Poblado",
}


def cart_pending(sales_shop: SalesShop, quantity: str = "2") -> None:
    run_action(
        ActionAgregarProducto(),
        make_tracker("termos", entities={"producto": "termo acero", "cantidad": quantity}),
    )
    run_action(ActionConfirmarPedido(), make_tracker("confirmo", intent="confirmar_pedido"))


def validate(slots: dict[str, Any], new: dict[str, Any], phone: str = SHOPPER) -> Reply:
    """Run the form validation after the form extracted `new` slot values."""
    events = [{"event": "slot", "name": k, "value": v} for k, v in new.items()]
    tracker = make_tracker("", slots={**slots, **new}, events=events, phone=phone)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ValidateDatosClienteForm().run(dispatcher, tracker, DOMAIN))
    return Reply(dispatcher.messages, list(result))


def test_checkout_for_a_new_client_skips_the_stored_data_question(sales_shop: SalesShop) -> None:
    cart_pending(sales_shop)
    reply = run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    assert (
        "Tomemos tus datos" in reply.text and reply.facts["order"]["state"] == "recolectando_datos"
    )
    assert reply.slots["usar_datos_guardados"] is False and reply.slots["cedula"] is None
    first = validate({"usar_datos_guardados": False}, {})
    assert first.slots["requested_slot"] == "nombre"


def test_returning_client_by_whatsapp_number_is_offered_stored_data(
    sales_shop: SalesShop, session: Session
) -> None:
    make_client(
        session,
        sales_shop.shop,
        cedula="1037654321",
        name="Valentina Restrepo",
        phone=SHOPPER,
        address="Calle 10 # 43D-25",
        barrio="El Poblado",
    )
    session.commit()
    cart_pending(sales_shop)
    start = run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    assert (
        "Valentina" in start.text and "******4321" in start.text and "1037654321" not in start.text
    )
    assert start.facts["client"]["cedula"] == "******4321"
    assert start.slots["usar_datos_guardados"] is None
    asked = validate({"usar_datos_guardados": None}, {})
    assert asked.slots["requested_slot"] == "usar_datos_guardados"
    yes = validate({}, {"usar_datos_guardados": True})
    assert yes.slots["cedula"] == "1037654321" and yes.slots["nombre"] == "Valentina Restrepo"
    assert yes.slots["email"] == "no_tiene" and yes.slots["requested_slot"] is None
    no = validate({}, {"usar_datos_guardados": False})
    assert no.slots["requested_slot"] == "nombre" and "cedula" not in no.slots


@pytest.mark.parametrize(
    ("slot", "value", "clean"),
    [
        ("nombre", "  maría josé   ñúñez ", "María José Ñúñez"),
        ("cedula", "1.020.304.050", "1020304050"),
        ("telefono", "+57 300 123 4567", "+573001234567"),
        ("telefono", "3001234567", "+573001234567"),
        ("email", "Ana@Correo.com", "ana@correo.com"),
        ("email", "no tengo", "no_tiene"),
        ("direccion", "Cra 43A # 34-95 apto 301", "Cra 43A # 34-95 apto 301"),
        ("barrio", "Laureles", "Laureles"),
    ],
)
def test_form_accepts_valid_values(
    sales_shop: SalesShop, slot: str, value: str, clean: str
) -> None:
    reply = validate({"usar_datos_guardados": False}, {slot: value})
    assert reply.slots[slot] == clean and reply.messages == []


@pytest.mark.parametrize(
    ("slot", "value", "reason"),
    [
        ("nombre", "12345", "nombre completo"),
        ("cedula", "12345", "entre 6 y 10 dígitos"),
        ("cedula", "12345678901", "entre 6 y 10 dígitos"),
        ("cedula", "abc123456", "solo números"),
        ("telefono", "2001234567", "celular no parece válido"),
        ("telefono", "30012345", "celular no parece válido"),
        ("email", "ana@", "correo no parece válido"),
        ("direccion", "  ", "dirección"),
        ("barrio", "-", "barrio"),
    ],
)
def test_form_rejects_invalid_values_politely(
    sales_shop: SalesShop, slot: str, value: str, reason: str
) -> None:
    others = {k: v for k, v in DATA.items() if k != slot}
    reply = validate({"usar_datos_guardados": False, **others}, {slot: value})
    assert reply.slots[slot] is None
    assert reason in reply.text
    assert reply.slots["requested_slot"] == slot


def test_a_typed_cedula_of_someone_elses_record_unlocks_nothing(
    sales_shop: SalesShop, session: Session
) -> None:
    make_client(
        session,
        sales_shop.shop,
        cedula="71789456",
        phone="+573017894561",
        name="Carlos Zapata",
        address="Carrera 70 # 44-12",
        barrio="Laureles",
    )
    session.commit()
    # Even with the right name: the record was saved from another number.
    reply = validate(
        {"usar_datos_guardados": False, "nombre": "Carlos Zapata"}, {"cedula": "71789456"}
    )
    assert reply.messages == [] and reply.slots["requested_slot"] == "telefono"
    assert "usar_datos_guardados" not in reply.slots


def test_a_typed_cedula_of_another_own_record_offers_it(
    sales_shop: SalesShop, session: Session
) -> None:
    make_client(session, sales_shop.shop, cedula="71789456", phone=SHOPPER, barrio="Laureles")
    make_client(session, sales_shop.shop, cedula="43567890", phone=SHOPPER)  # the newest
    session.commit()
    reply = validate({"usar_datos_guardados": False, "nombre": "Carlos"}, {"cedula": "71789456"})
    assert "****9456" in reply.text and "Laureles" not in reply.text
    assert reply.slots["usar_datos_guardados"] is None
    assert reply.slots["requested_slot"] == "usar_datos_guardados"


def test_close_after_the_form(sales_shop: SalesShop, session: Session) -> None:
    cart_pending(sales_shop)
    run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    reply = run_action(ActionCerrarPedido(), make_tracker("El Poblado", slots=DATA))
    order = reply.facts["order"]
    assert order["state"] == "cerrada" and order["total"] == 71800
    assert f"pedido #{order['id']} quedó confirmado" in reply.text
    assert "Calle 10 # 43-25, El Poblado" in reply.text and reply.facts["delivery"] in reply.text
    session.expire_all()
    product = session.get(Product, sales_shop.products["termo_acero"].id)
    assert product is not None and product.stock == 10
    client = session.scalars(select(Client).where(Client.cedula == "1020304050")).one()
    assert (client.name, client.email, client.shop_id) == ("José Peña", None, sales_shop.shop.id)
    session.rollback()  # end the read transaction (SQLite: it holds the write lock)
    again = run_action(ActionCerrarPedido(), make_tracker("otra vez", slots=DATA))
    assert "vacío" in again.text  # the closed order is not touched again


def test_close_when_stock_ran_out_keeps_the_order_open(
    sales_shop: SalesShop, session: Session
) -> None:
    cart_pending(sales_shop, quantity="3")
    run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    product = session.get(Product, sales_shop.products["termo_acero"].id)
    assert product is not None
    product.stock = 1
    session.commit()
    reply = run_action(ActionCerrarPedido(), make_tracker("Centro", slots=DATA))
    assert "pediste 3, quedan 1" in reply.text and "sigue abierto" in reply.text
    assert reply.facts["out_of_stock"][0]["stock"] == 1
    session.expire_all()
    order = session.scalars(select(Order)).one()
    assert order.state == "recolectando_datos" and order.client_id is None
    slots = {**DATA, "pedido_id": float(order.id)}
    session.rollback()  # end the read transaction (SQLite: it holds the write lock)

    # the shopper adjusts, confirms again and the data typed before is reused
    run_action(
        ActionQuitarProducto(),
        make_tracker("deja solo 1", entities={"producto": "termo", "cantidad": "1"}, slots=slots),
    )
    again = run_action(ActionConfirmarPedido(), make_tracker("confirmar pedido", slots=slots))
    assert again.facts["order"]["state"] == "pendiente" and "¿Confirmas" in again.text
    restart = run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar", slots=slots))
    assert "datos que ya me diste" in restart.text and "cedula" not in restart.slots
    closed = run_action(ActionCerrarPedido(), make_tracker("sí", slots=slots))
    assert closed.facts["order"]["state"] == "cerrada" and closed.facts["order"]["total"] == 35900


def test_close_without_checkout_asks_to_confirm(sales_shop: SalesShop) -> None:
    run_action(ActionAgregarProducto(), make_tracker("termo", entities={"producto": "termo acero"}))
    reply = run_action(ActionCerrarPedido(), make_tracker("listo", slots=DATA))
    assert "confirmes el pedido" in reply.text and reply.facts["order"]["state"] == "pendiente"


def test_checkout_without_a_confirmed_cart_does_not_start_the_form(sales_shop: SalesShop) -> None:
    empty = run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    assert "vacío" in empty.text
    assert {"event": "followup", "name": "action_listen"} in [
        {k: e.get(k) for k in ("event", "name")} for e in empty.events
    ]
    cart_pending(sales_shop)
    run_action(
        ActionAgregarProducto(), make_tracker("y una licuadora", entities={"producto": "licuadora"})
    )
    changed = run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    assert "Tu pedido cambió" in changed.text and changed.facts["order"]["state"] == "pendiente"
    assert any(e.get("event") == "followup" for e in changed.events)
    started = run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    assert started.facts["order"]["state"] == "recolectando_datos"
    assert not any(e.get("event") == "followup" for e in started.events)


def test_a_name_tagged_as_barrio_is_not_taken_as_the_barrio(sales_shop: SalesShop) -> None:
    # NLU may tag "(me llamo) Valeria Montoya" as a barrio; the form asked for the name.
    new = {"nombre": "Valeria Montoya", "barrio": "Valeria Montoya"}
    events = [{"event": "slot", "name": k, "value": v} for k, v in new.items()]
    slots = {"usar_datos_guardados": False, "requested_slot": "nombre", **new}
    tracker = make_tracker("me llamo Valeria Montoya", slots=slots, events=events)
    dispatcher = CollectingDispatcher()
    result = Reply(
        [], list(asyncio.run(ValidateDatosClienteForm().run(dispatcher, tracker, DOMAIN)))
    )
    assert result.slots["nombre"] == "Valeria Montoya"
    assert result.slots["barrio"] is None
    # Given with the address, a barrio is still taken.
    assert (
        validate({"usar_datos_guardados": False}, {"barrio": "Laureles"}).slots["barrio"]
        == "Laureles"
    )


def test_data_typed_instead_of_yes_or_no_to_the_stored_data_are_used(
    sales_shop: SalesShop, session: Session
) -> None:
    make_client(
        session, sales_shop.shop, cedula="1037654321", name="Valentina Restrepo", phone=SHOPPER
    )
    session.commit()
    cart_pending(sales_shop)
    run_action(ActionIniciarCheckout(), make_tracker("sí", intent="afirmar"))
    text = (
        "Valentina Restrepo, cc 1037654321, cel 3001234567, vale@gmail.com, "
        "Calle 33 # 80-41, apto 301, Belén"
    )
    tracker = make_tracker(
        text, intent="informar_datos", slots={"requested_slot": "usar_datos_guardados"}
    )
    dispatcher = CollectingDispatcher()
    result = Reply(
        dispatcher.messages,
        list(asyncio.run(ValidateDatosClienteForm().run(dispatcher, tracker, DOMAIN))),
    )
    assert result.slots["usar_datos_guardados"] is False
    assert result.slots["nombre"] == "Valentina Restrepo" and result.slots["barrio"] == "Belén"
    assert result.slots["direccion"] == "Calle 33 # 80-41, apto 301"
    assert result.slots["requested_slot"] is None


def test_a_name_noted_just_before_the_form_opened_is_kept(sales_shop: SalesShop) -> None:
    # "Andrea Vargas Pineda" after the summary: action_guardar_datos notes it, the checkout
    # opens the form in the same turn, and the form must not ask the name again.
    name = "Andrea Vargas Pineda"
    events = [
        {"event": "user", "text": name},
        {"event": "action", "name": "action_guardar_datos"},
        {"event": "slot", "name": "nombre", "value": name},
        {"event": "action", "name": "action_iniciar_checkout"},
        {"event": "slot", "name": "usar_datos_guardados", "value": False},
        {"event": "action", "name": "datos_cliente_form"},
        # Rasa's form validates the slots already filled when it opens.
        {"event": "slot", "name": "nombre", "value": name},
    ]
    slots = {"nombre": name, "usar_datos_guardados": False, "requested_slot": None}
    tracker = make_tracker(name, intent="informar_datos", slots=slots, events=events)
    dispatcher = CollectingDispatcher()
    result = Reply(
        [], list(asyncio.run(ValidateDatosClienteForm().run(dispatcher, tracker, DOMAIN)))
    )
    assert result.slots.get("nombre", name) == name
    assert result.slots["requested_slot"] == "cedula"
