"""Conversation flows on the real action code and database: several items in one message,
stock offers answered with "sí", not-sold answers, data volunteered before checkout, the
form reading every field of one message, and fallbacks grounded in the conversation."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.cart import ActionAgregarProducto, ActionQuitarProducto
from actions.catalog import ActionBuscarProducto
from actions.checkout import ActionConfirmarPedido, ActionGuardarDatos
from actions.checkout_form import ValidateDatosClienteForm
from actions.interpret import ActionInterpretar
from actions.shop import ActionInfoEmpresa
from db.models import Order
from tests.factories import make_product
from tests.integration.actions.conftest import (
    SHOPPER,
    SalesShop,
    make_tracker,
    run_action,
)


def _cart(session: Session) -> dict[str, int]:
    session.expire_all()
    order = session.scalars(select(Order).where(Order.user_id == SHOPPER)).first()
    result = {i.product.name: i.quantity for i in order.items} if order else {}
    session.rollback()
    return result


def _bot(facts: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """Events of a previous bot message with `facts`, then the new user message."""
    return [
        {"event": "user", "text": "antes"},
        {"event": "bot", "text": "…", "data": {"custom": {"facts": facts, "action": action}}},
        {"event": "user", "text": "ahora"},
    ]


def test_several_items_in_one_message_are_all_reported(
    sales_shop: SalesShop, session: Session
) -> None:
    text = "mándame un termo acero, 2 camisetas rojas y una sartén"
    reply = run_action(ActionAgregarProducto(), make_tracker(text, intent="comprar"))
    assert _cart(session) == {"Termo acero inoxidable 750 ml": 1, "Camiseta básica roja talla M": 2}
    assert "agotado" in reply.text  # the sartén: reported, not silently dropped
    assert reply.facts["order"]["total"] == 35900 + 2 * 25000


def test_a_stock_offer_answered_yes_adds_what_there_is(
    sales_shop: SalesShop, session: Session
) -> None:
    first = run_action(
        ActionAgregarProducto(), make_tracker("quiero 10 licuadoras", intent="comprar")
    )
    offer = first.facts["offer"]
    assert offer == {"product_id": sales_shop.products["licuadora"].id, "quantity": 4}
    events = _bot(first.facts, "action_agregar_producto")
    yes = run_action(ActionAgregarProducto(), make_tracker("dale", intent="afirmar", events=events))
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 4}
    assert yes.facts["quantities"] == [4]


def test_yes_to_anything_else_asks_what_else(sales_shop: SalesShop, session: Session) -> None:
    events = _bot({"products": [], "order": {}}, "action_agregar_producto")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("si", intent="afirmar", events=events)
    asyncio.run(ActionAgregarProducto().run(dispatcher, tracker, {}))
    assert dispatcher.messages[0]["response"] == "utter_que_mas" and _cart(session) == {}


def test_a_product_the_shop_does_not_sell_is_said_so(sales_shop: SalesShop) -> None:
    tracker = make_tracker(
        "tienen bicicletas electricas?",
        intent="consultar_inventario",
        entities={"producto": "bicicletas electricas"},
    )
    reply = run_action(ActionBuscarProducto(), tracker)
    assert reply.facts["available"] is False and "bicicletas" in reply.text
    assert not any("icicleta" in p["name"] for p in reply.facts["products"])


def test_an_exact_request_is_taken_without_a_menu(sales_shop: SalesShop) -> None:
    tracker = make_tracker(
        "tienen termo deportivo azul?",
        intent="consultar_inventario",
        entities={"producto": "termo deportivo azul"},
    )
    reply = run_action(ActionBuscarProducto(), tracker)
    assert [p["name"] for p in reply.facts["products"]] == ["Termo deportivo 1 litro azul"]


def test_data_volunteered_before_checkout_is_kept(sales_shop: SalesShop) -> None:
    tracker = make_tracker("me llamo Ana Ruiz Gómez, cc 52.123.456", intent="informar_datos")
    reply = run_action(ActionGuardarDatos(), tracker)
    assert reply.slots == {"nombre": "Ana Ruiz Gómez", "cedula": "52123456"}


def test_a_product_read_as_data_is_added_not_taken_for_the_name(
    sales_shop: SalesShop, session: Session
) -> None:
    # A new shop's nouns are unknown to the model, which may read "y una licuadora" after
    # a cart as a bare name; the words all name one product, so it is an add.
    run_action(ActionAgregarProducto(), make_tracker("quiero un termo acero", intent="comprar"))
    shown = {"productos_mostrados": [sales_shop.products["termo_acero"].id]}
    tracker = make_tracker("y una licuadora", intent="informar_datos", slots=shown)
    reply = run_action(ActionGuardarDatos(), tracker)
    assert reply.slots == {} and reply.messages == []
    assert reply.events == [
        {"event": "followup", "timestamp": None, "name": "action_agregar_producto"}
    ]
    run_action(ActionAgregarProducto(), tracker)
    assert _cart(session) == {
        "Termo acero inoxidable 750 ml": 1,
        "Licuadora Oster 3 velocidades": 1,
    }
    # A real name sharing a word with a product ("Rojas", the roja camiseta) stays a name.
    reply = run_action(ActionGuardarDatos(), make_tracker("Camila Rojas", intent="informar_datos"))
    assert reply.slots == {"nombre": "Camila Rojas"}


def test_the_form_reads_every_field_of_one_message(sales_shop: SalesShop) -> None:
    text = "María José Ramírez Soto, cc 52123456, cel 3109876543, calle 10 # 43-12 casa 2, Belén"
    tracker = make_tracker(
        text,
        intent="informar_datos",
        slots={"requested_slot": "nombre", "usar_datos_guardados": False, "nombre": text},
        events=[{"event": "slot", "name": "nombre", "value": text}],
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateDatosClienteForm().run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["nombre"] == "María José Ramírez Soto" and slots["cedula"] == "52123456"
    assert slots["telefono"] == "+573109876543" and slots["barrio"] == "Belén"
    assert slots["direccion"] == "calle 10 # 43-12 casa 2"


def _interpret(tracker: Any) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionInterpretar().run(dispatcher, tracker, {}))
    return dispatcher, events


def _followup(events: list[dict[str, Any]]) -> str | None:
    return next((e["name"] for e in events if e.get("event") == "followup"), None)


def test_a_fallback_after_a_single_product_is_an_add(sales_shop: SalesShop) -> None:
    shown = {"productos_mostrados": [sales_shop.products["licuadora"].id]}
    _, events = _interpret(make_tracker("listo mandame una", intent="nlu_fallback", slots=shown))
    assert _followup(events) == "action_agregar_producto"


def test_a_bare_product_name_is_a_catalog_query_and_small_talk_is_not(
    sales_shop: SalesShop,
) -> None:
    _, events = _interpret(make_tracker("licuadora", intent="fuera_de_alcance"))
    assert _followup(events) == "action_buscar_producto"
    dispatcher, events = _interpret(
        make_tracker("cuentame un chiste de pepito", intent="fuera_de_alcance")
    )
    assert _followup(events) is None
    assert dispatcher.messages[0]["response"] == "utter_fuera_de_alcance"


def test_that_is_all_with_a_cart_shows_the_summary(sales_shop: SalesShop) -> None:
    run_action(ActionAgregarProducto(), make_tracker("quiero la licuadora", intent="comprar"))
    _, events = _interpret(make_tracker("es todo", intent="nlu_fallback"))
    assert _followup(events) == "action_confirmar_pedido"


def test_a_no_after_an_offer_does_not_take_it(sales_shop: SalesShop, session: Session) -> None:
    first = run_action(
        ActionAgregarProducto(), make_tracker("quiero 10 licuadoras", intent="comprar")
    )
    events = _bot(first.facts, "action_agregar_producto")
    _, out = _interpret(make_tracker("no gracias", intent="nlu_fallback", events=events))
    assert _followup(out) is None and _cart(session) == {}


def test_a_yes_under_the_threshold_after_the_summary_starts_checkout(
    sales_shop: SalesShop,
) -> None:
    run_action(ActionAgregarProducto(), make_tracker("quiero la licuadora", intent="comprar"))
    events = _bot({"order": {"state": "pendiente"}}, "action_confirmar_pedido")
    _, out = _interpret(make_tracker("Sí, confirmo.", intent="nlu_fallback", events=events))
    assert _followup(out) == "action_iniciar_checkout"


def _quoted(sales_shop: SalesShop, key: str) -> list[dict[str, Any]]:
    """The bot just quoted one product and asked "¿Te lo agrego al pedido?"."""
    quote = run_action(
        ActionBuscarProducto(),
        make_tracker("cuanto vale la licuadora?", intent="consultar_inventario"),
    )
    assert [p["id"] for p in quote.facts["products"]] == [sales_shop.products[key].id]
    return _bot(quote.facts, "action_buscar_producto")


def test_that_is_all_after_a_quote_takes_the_product_and_shows_the_summary(
    sales_shop: SalesShop, session: Session
) -> None:
    events = _quoted(sales_shop, "licuadora")
    # Whatever the NLU made of it, "es todo" answers "¿Te lo agrego al pedido?".
    for intent in ("nlu_fallback", "agradecer"):
        _, out = _interpret(make_tracker("es todo, gracias", intent=intent, events=events))
        assert _followup(out) == "action_confirmar_pedido"
    summary = run_action(
        ActionConfirmarPedido(),
        make_tracker("eso es todo", intent="confirmar_pedido", events=events),
    )
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 1}
    assert summary.text.startswith("Agregué 1 × Licuadora Oster 3 velocidades. Este es tu pedido")
    assert summary.facts["order"]["total"] == 189900
    # Said again (a second "listo, es todo"): the summary, not a second licuadora.
    again = run_action(
        ActionConfirmarPedido(),
        make_tracker("listo, es todo", intent="confirmar_pedido", events=events),
    )
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 1}
    assert again.text.startswith("Este es tu pedido")


def test_a_stock_offer_closed_with_proceed_takes_the_offered_units(
    sales_shop: SalesShop, session: Session
) -> None:
    first = run_action(
        ActionAgregarProducto(), make_tracker("quiero 10 licuadoras", intent="comprar")
    )
    events = _bot(first.facts, "action_agregar_producto")
    run_action(
        ActionConfirmarPedido(),
        make_tracker("Conforme. Proceda con el pedido.", intent="confirmar_pedido", events=events),
    )
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 4}


def test_no_that_is_all_after_a_quote_takes_nothing(
    sales_shop: SalesShop, session: Session
) -> None:
    events = _quoted(sales_shop, "licuadora")
    run_action(
        ActionConfirmarPedido(),
        make_tracker("no, eso es todo", intent="confirmar_pedido", events=events),
    )
    assert _cart(session) == {}


def test_nothing_else_how_do_i_pay_answers_then_shows_the_summary(
    sales_shop: SalesShop, session: Session
) -> None:
    events = _quoted(sales_shop, "licuadora")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("nada más, ¿cómo pago?", intent="consultar_empresa", events=events)
    out = asyncio.run(ActionInfoEmpresa().run(dispatcher, tracker, {}))
    assert dispatcher.messages and _followup(out) == "action_confirmar_pedido"


def test_a_plain_thanks_after_a_quote_is_only_a_thanks(
    sales_shop: SalesShop, session: Session
) -> None:
    events = _quoted(sales_shop, "licuadora")
    dispatcher, out = _interpret(make_tracker("listo, gracias", intent="agradecer", events=events))
    assert _followup(out) is None and _cart(session) == {}
    assert [m["response"] for m in dispatcher.messages] == ["utter_de_nada"]


def test_what_there_is_of_both_takes_every_stock_offer(
    sales_shop: SalesShop, session: Session
) -> None:
    first = run_action(
        ActionAgregarProducto(),
        make_tracker("mándame 10 licuadoras y 50 termos acero", intent="comprar"),
    )
    assert len(first.facts["offers"]) == 2
    events = _bot(first.facts, "action_agregar_producto")
    run_action(
        ActionAgregarProducto(),
        make_tracker(
            "De acuerdo, envíeme lo que tenga disponible de ambos.",
            intent="comprar",
            events=events,
        ),
    )
    stock = {k: p.stock for k, p in sales_shop.products.items()}
    assert _cart(session) == {
        "Licuadora Oster 3 velocidades": stock["licuadora"],
        "Termo acero inoxidable 750 ml": stock["termo_acero"],
    }


def test_let_me_check_and_i_confirm_keeps_the_order_waiting(
    sales_shop: SalesShop, session: Session
) -> None:
    run_action(ActionAgregarProducto(), make_tracker("quiero la licuadora", intent="comprar"))
    summary = run_action(
        ActionConfirmarPedido(), make_tracker("eso es todo", intent="confirmar_pedido")
    )
    events = _bot(summary.facts, "action_confirmar_pedido")
    later = run_action(
        ActionConfirmarPedido(),
        make_tracker(
            "ya, déjame ver cuánta plata tengo y te confirmo",
            intent="confirmar_pedido",
            events=events,
        ),
    )
    assert "queda guardado" in later.text
    session.expire_all()
    [order] = session.scalars(select(Order).where(Order.user_id == SHOPPER)).all()
    assert order.state == "pendiente"


def test_the_same_kind_in_another_size_is_the_other_product(
    sales_shop: SalesShop, session: Session
) -> None:
    short = make_product(
        session, sales_shop.shop, name="Tornillo drywall 6 x 1 pulgada caja x 100", price=9000
    )
    make_product(
        session, sales_shop.shop, name="Tornillo drywall 6 x 1 5/8 pulgada caja x 100", price=12000
    )
    session.commit()
    run_action(
        ActionAgregarProducto(),
        make_tracker(
            "tornillos drywall de 6 x 1, deme 5 cajas",
            intent="comprar",
            entities={"producto": "tornillos drywall de 6 x 1", "cantidad": "5"},
        ),
    )
    shown = {"productos_mostrados": [short.id]}
    for entities in ({"cantidad": "3"}, {"cantidad": "3", "producto": "de 1 5/8"}):
        session.expire_all()
        run_action(
            ActionAgregarProducto(),
            make_tracker(
                "y 3 cajas de los de 1 5/8", intent="comprar", slots=shown, entities=entities
            ),
        )
    assert _cart(session) == {
        "Tornillo drywall 6 x 1 pulgada caja x 100": 5,
        "Tornillo drywall 6 x 1 5/8 pulgada caja x 100": 6,  # 3 twice
    }


def test_closing_after_a_quote_with_a_count_takes_that_count(
    sales_shop: SalesShop, session: Session
) -> None:
    quote = run_action(
        ActionBuscarProducto(),
        make_tracker(
            "solo la licuadora oster, 3 unidades",
            intent="consultar_inventario",
            entities={"producto": "licuadora oster", "cantidad": "3"},
        ),
    )
    assert "¿Te agrego 3?" in quote.text
    events = _bot(quote.facts, "action_buscar_producto")
    run_action(
        ActionConfirmarPedido(),
        make_tracker("eso es todo", intent="confirmar_pedido", events=events),
    )
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 3}


def test_a_count_of_the_quoted_product_and_another_item_in_one_message(
    sales_shop: SalesShop, session: Session
) -> None:
    events = _quoted(sales_shop, "licuadora")
    run_action(
        ActionAgregarProducto(),
        make_tracker(
            "dame 2 de esas y un termo acero",
            intent="comprar",
            events=events,
            slots={"productos_mostrados": [sales_shop.products["licuadora"].id]},
        ),
    )
    assert _cart(session) == {
        "Licuadora Oster 3 velocidades": 2,
        "Termo acero inoxidable 750 ml": 1,
    }


def test_taking_a_stock_offer_and_adding_another_item_in_one_message(
    sales_shop: SalesShop, session: Session
) -> None:
    first = run_action(
        ActionAgregarProducto(), make_tracker("quiero 10 licuadoras", intent="comprar")
    )
    events = _bot(first.facts, "action_agregar_producto")
    run_action(
        ActionAgregarProducto(),
        make_tracker(
            "ya, deme las 4 que tiene y 2 camisetas rojas", intent="comprar", events=events
        ),
    )
    assert _cart(session) == {
        "Licuadora Oster 3 velocidades": 4,
        "Camiseta básica roja talla M": 2,
    }


def test_spoken_fillers_are_not_items(sales_shop: SalesShop, session: Session) -> None:
    text = "ah qué pena, entonces dame un termo acero y espere, me faltó una camiseta roja"
    reply = run_action(ActionAgregarProducto(), make_tracker(text, intent="comprar"))
    assert _cart(session) == {
        "Termo acero inoxidable 750 ml": 1,
        "Camiseta básica roja talla M": 1,
    }
    assert "no lo tenemos" not in reply.text


def test_a_product_asked_for_with_the_buyers_data_is_added_and_the_data_kept(
    sales_shop: SalesShop, session: Session
) -> None:
    text = (
        "Hola, quiero una licuadora oster para que me la manden a la Circular 1 # 70-45"
        " apto 301, barrio Laureles"
    )
    reply = run_action(ActionGuardarDatos(), make_tracker(text, intent="informar_datos"))
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 1}
    assert reply.slots["barrio"] == "Laureles" and "70-45" in reply.slots["direccion"]
    named = run_action(
        ActionGuardarDatos(),
        make_tracker("Hola, soy Natalia Giraldo, quiero 2 termos acero", intent="informar_datos"),
    )
    assert named.slots["nombre"] == "Natalia Giraldo"
    assert _cart(session)["Termo acero inoxidable 750 ml"] == 2


def test_only_that_one_keeps_the_line_and_closes(sales_shop: SalesShop, session: Session) -> None:
    run_action(
        ActionAgregarProducto(),
        make_tracker("mándame un termo acero y 2 camisetas rojas", intent="comprar"),
    )
    reply = run_action(
        ActionQuitarProducto(),
        make_tracker("ah ya, entonces solo el termo nomás, es todo", intent="quitar_producto"),
    )
    assert _cart(session) == {"Termo acero inoxidable 750 ml": 1}
    assert _followup(reply.events) == "action_confirmar_pedido"


def test_one_of_each_colour_of_the_list_just_shown(sales_shop: SalesShop, session: Session) -> None:
    shown = [sales_shop.products[k].id for k in ("camiseta_roja", "camiseta_azul", "termo_dep")]
    run_action(
        ActionAgregarProducto(),
        make_tracker("una de cada color", intent="comprar", slots={"productos_mostrados": shown}),
    )
    assert _cart(session) == {"Camiseta básica roja talla M": 1, "Camiseta básica azul talla M": 1}


def test_a_quote_of_several_items_offers_them_all_and_proceed_takes_them(
    sales_shop: SalesShop, session: Session
) -> None:
    quote = run_action(
        ActionBuscarProducto(),
        make_tracker(
            "¿Me cotiza 10 licuadoras oster y 2 termos acero, por favor?",
            intent="consultar_inventario",
        ),
    )
    assert "4 × Licuadora Oster 3 velocidades" in quote.text  # only 4 in stock
    assert "2 × Termo acero inoxidable 750 ml" in quote.text
    assert _cart(session) == {}
    events = _bot(quote.facts, "action_buscar_producto")
    run_action(
        ActionConfirmarPedido(),
        make_tracker("Conforme. Proceda con el pedido.", intent="confirmar_pedido", events=events),
    )
    assert _cart(session) == {
        "Licuadora Oster 3 velocidades": 4,
        "Termo acero inoxidable 750 ml": 2,
    }


def test_a_bare_yes_after_a_template_question_adds_nothing_again(
    sales_shop: SalesShop, session: Session
) -> None:
    first = run_action(ActionAgregarProducto(), make_tracker("un termo acero", intent="comprar"))
    events = [
        *_bot(first.facts, "action_agregar_producto")[:2],
        {"event": "user", "text": "sí"},
        {"event": "bot", "text": "¡Listo! Dime qué más necesitas."},
        {"event": "user", "text": "sí"},
    ]
    slots = {"productos_mostrados": [sales_shop.products["termo_acero"].id]}
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("sí", intent="afirmar", events=events, slots=slots)
    asyncio.run(ActionAgregarProducto().run(dispatcher, tracker, {}))
    assert _cart(session) == {"Termo acero inoxidable 750 ml": 1}
    assert [m.get("response") for m in dispatcher.messages] == ["utter_que_mas"]
    # "ahora sí, es todo" read as a yes: the summary, not another line.
    tracker = make_tracker("ahora sí, es todo", intent="afirmar", events=events, slots=slots)
    out = asyncio.run(ActionAgregarProducto().run(CollectingDispatcher(), tracker, {}))
    assert _followup(out) == "action_confirmar_pedido"


def test_a_cart_message_misread_as_data_saves_no_address(
    sales_shop: SalesShop, session: Session
) -> None:
    # "Cl" is a street word; "cloralex" is not an address, nor "qué tal" a barrio.
    make_product(session, sales_shop.shop, name="Cloralex 3.75 litros", price=59, stock=9)
    session.commit()
    text = "qué tal, me pasa un cloralex de 3.75 y un termo acero"
    reply = run_action(ActionGuardarDatos(), make_tracker(text, intent="informar_datos"))
    assert not reply.slots.get("direccion") and not reply.slots.get("barrio")


def test_a_size_said_with_de_is_not_the_count(sales_shop: SalesShop, session: Session) -> None:
    run_action(
        ActionAgregarProducto(),
        make_tracker(
            "y una licuadora de las de 3 velocidades",
            intent="comprar",
            entities={"producto": "licuadora", "cantidad": "3"},
        ),
    )
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 1}


def test_and_another_item_after_a_quote_takes_the_quoted_one_too(
    sales_shop: SalesShop, session: Session
) -> None:
    events = _quoted(sales_shop, "licuadora")
    run_action(
        ActionAgregarProducto(), make_tracker("y un termo acero", intent="comprar", events=events)
    )
    assert _cart(session) == {
        "Licuadora Oster 3 velocidades": 1,
        "Termo acero inoxidable 750 ml": 1,
    }


def test_a_request_to_buy_under_the_threshold_is_an_add(sales_shop: SalesShop) -> None:
    _, events = _interpret(make_tracker("quisiera una licuadora oster", intent="nlu_fallback"))
    assert _followup(events) == "action_agregar_producto"
    _, events = _interpret(make_tracker("licuadora oster?", intent="nlu_fallback"))
    assert _followup(events) == "action_buscar_producto"


def test_a_yes_that_goes_on_to_another_question_takes_the_quoted_product(
    sales_shop: SalesShop, session: Session
) -> None:
    quote = run_action(
        ActionBuscarProducto(),
        make_tracker("¿cuánto vale la licuadora?", intent="consultar_inventario"),
    )
    events = _bot(quote.facts, "action_buscar_producto")
    text = "listo, y ¿cuánto vale el termo acero?"
    reply = run_action(
        ActionBuscarProducto(), make_tracker(text, intent="consultar_inventario", events=events)
    )
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 1}
    assert "Termo acero" in reply.text


def test_the_same_product_named_in_two_pieces_is_one_line_with_the_count_given(
    sales_shop: SalesShop, session: Session
) -> None:
    text = "el termo de acero, 2 termos inoxidables"
    run_action(ActionAgregarProducto(), make_tracker(text, intent="comprar"))
    assert _cart(session) == {"Termo acero inoxidable 750 ml": 2}


def test_references_to_the_products_just_talked_about(
    sales_shop: SalesShop, session: Session
) -> None:
    # "y una de la azul" after the red T-shirt names only the colour: the blue one of the
    # same kind. The products just added are what it refers to.
    termo = sales_shop.products["termo_acero"].id
    reply = run_action(
        ActionAgregarProducto(),
        make_tracker("quiero una camiseta básica roja y un termo de acero", intent="comprar"),
    )
    shown = reply.slots["productos_mostrados"]
    assert len(shown) == 2
    tracker = make_tracker(
        "y una de la azul", intent="comprar", slots={"productos_mostrados": shown}
    )
    run_action(ActionAgregarProducto(), tracker)
    assert _cart(session) == {
        "Camiseta básica roja talla M": 1,
        "Termo acero inoxidable 750 ml": 1,
        "Camiseta básica azul talla M": 1,
    }
    # A word the shown products lack names another product: "termo deportivo" after the
    # steel one (the entity alone would match the steel termo).
    tracker = make_tracker(
        "y un termo deportivo azul",
        intent="comprar",
        entities={"producto": "termo"},
        slots={"productos_mostrados": [termo]},
    )
    reply = run_action(ActionAgregarProducto(), tracker)
    assert "Termo deportivo 1 litro azul" in reply.text, reply.text


def test_a_sold_out_product_is_what_the_next_message_is_about(sales_shop: SalesShop) -> None:
    reply = run_action(ActionAgregarProducto(), make_tracker("quiero una sartén", intent="comprar"))
    assert "agotado" in reply.text
    assert reply.slots["productos_mostrados"] == [sales_shop.products["sarten"].id]


def test_a_product_question_read_as_order_status_is_a_search(sales_shop: SalesShop) -> None:
    from actions.shop import ActionEstadoPedido

    reply = run_action(
        ActionEstadoPedido(),
        make_tracker("buenas, ¿tienen la licuadora oster?", intent="estado_pedido"),
    )
    assert reply.events == [
        {"event": "followup", "timestamp": None, "name": "action_buscar_producto"}
    ]
    reply = run_action(
        ActionEstadoPedido(), make_tracker("¿ya salió mi pedido?", intent="estado_pedido")
    )
    assert reply.facts == {"orders": []}


def test_an_explicit_cancel_while_the_form_asks_cancels(
    sales_shop: SalesShop, session: Session
) -> None:
    # Whatever intent the model gave "mejor cancelá el pedido, se me complicó", the form
    # takes no field from it (it rejects, so a rule or the fallback answers), and the
    # cancel closes the form too.
    from actions.checkout import ActionCancelarPedido

    run_action(ActionAgregarProducto(), make_tracker("quiero un termo acero", intent="comprar"))
    text = "che sabés que mejor cancelá el pedido, se me complicó con la plata"
    tracker = make_tracker(text, intent="fuera_de_alcance", slots={"requested_slot": "nombre"})
    tracker.active_loop = {"name": "datos_cliente_form"}
    events = asyncio.run(
        ValidateDatosClienteForm().run(CollectingDispatcher(), tracker, {"forms": {}})
    )
    assert [e["event"] for e in events] == ["action_execution_rejected"]
    reply = run_action(ActionInterpretar(), tracker)
    assert reply.events == [
        {"event": "followup", "timestamp": None, "name": "action_cancelar_pedido"}
    ]
    reply = run_action(ActionCancelarPedido(), tracker)
    assert "cancelé tu pedido" in reply.text
    assert {"event": "active_loop", "timestamp": None, "name": None} in reply.events
    session.expire_all()
    order = session.scalars(select(Order).where(Order.user_id == SHOPPER)).one()
    assert order.state == "cancelada"
    session.rollback()


def test_taking_the_quote_then_asking_about_another_product(
    sales_shop: SalesShop, session: Session
) -> None:
    # "dame esa. ¿y tienen camisetas?" after "¿Te lo agrego?": the quoted one goes in and
    # the question is answered in the same turn, as the search's own message (so a "sí"
    # next answers the search's "¿Te lo agrego?").
    quoted = {"products": [{"id": sales_shop.products["licuadora"].id}]}
    tracker = make_tracker(
        "dame esa. ¿y tienen camisetas?",
        intent="comprar",
        events=_bot(quoted, "action_buscar_producto"),
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAgregarProducto().run(dispatcher, tracker, {}))
    assert _cart(session) == {"Licuadora Oster 3 velocidades": 1}
    actions = [m["custom"]["action"] for m in dispatcher.messages]
    assert actions == ["action_agregar_producto", "action_buscar_producto"]
    assert "Camiseta básica roja talla M" in dispatcher.messages[1]["text"]
    shown = [e["value"] for e in events if e.get("name") == "productos_mostrados"][-1]
    assert set(shown) == {
        sales_shop.products["camiseta_roja"].id,
        sales_shop.products["camiseta_azul"].id,
    }
