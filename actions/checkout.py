"""Checkout actions: confirm the cart, start collecting data, close or cancel the order."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cart import (
    EMPTY_CART,
    add_many,
    apply_offer,
    open_cart_or_say_empty,
    open_order,
    order_text,
)
from actions.catalog import closing_offers, last_bot_payload
from actions.interpret import (
    catalog_query,
    ground,
    ground_or_empty_cart,
    is_explicit_cancel,
    is_postponed,
)
from actions.respond import say
from actions.services import checkout_data, orders
from actions.services.buyer_data import bare_field, parse_buyer_data
from actions.services.clients import owned_client
from actions.services.items import product_request, split_items
from actions.turn import Turn, TurnAction, latest_text
from db.models import Order

Events = list[dict[str, Any]]
FORM_SLOTS = ("nombre", "cedula", "telefono", "email", "direccion", "barrio")


def _has_form_data(tracker: Tracker, order_id: int) -> bool:
    """True when the form's slots were filled for this very order (same `pedido_id`)."""
    same = (
        tracker.get_slot("pedido_id") is not None and int(tracker.get_slot("pedido_id")) == order_id
    )
    required = [s for s in FORM_SLOTS if s != "email"]
    return same and all(tracker.get_slot(s) for s in required)


def say_postponed(dispatcher: CollectingDispatcher, action: str, order: Order) -> Events:
    """The shopper will decide later: the order stays as it is, waiting for them."""
    text = (
        "¡Claro, sin afán! 😊 Tu pedido queda guardado tal como está. "
        'Cuando quieras seguir, escríbeme "confirmo".'
    )
    say(dispatcher, action, text, {"order": orders.order_facts(order)})
    return [SlotSet("pedido_id", float(order.id))]


class ActionConfirmarPedido(TurnAction):
    """Show the summary, move the order to ``pendiente`` and ask "¿Confirmas?"."""

    action_name = "action_confirmar_pedido"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        current = open_order(turn)
        added = ""
        for offer in closing_offers(tracker):
            if current is not None and any(i.product_id == offer[0] for i in current.items):
                continue  # said twice ("listo, es todo"): taken already
            # "es todo" answering "¿Te lo agrego al pedido?": that product, then the summary.
            product, with_offer, units = apply_offer(turn, *offer)
            if with_offer is not None:
                current, added = with_offer, f"{added}Agregué {units} × {product.name}. "
        if current is None or not current.items:
            # "ya, la que haya nomás" after "¿Te anoto 1?" is not a request for a summary.
            return ground_or_empty_cart(turn, dispatcher, tracker, self.name())
        order = current
        if is_postponed(latest_text(tracker)):
            return say_postponed(dispatcher, self.name(), order)
        if order.state == "pendiente" and last_bot_payload(tracker)[0] == self.name():
            # "sí, confirmo" right after the summary is the answer to "¿Confirmas?", not a
            # request for the summary again: start the checkout.
            return [FollowupAction("action_iniciar_checkout")]
        if order.state != "pendiente":
            orders.confirm(session=turn.session, order=order)
        text = (
            f"{added}Este es tu pedido #{order.id}:\n{order_text(order)}\n"
            "¿Confirmas el pedido? (sí / no)"
        )
        say(dispatcher, self.name(), text, {"order": orders.order_facts(order)})
        return [SlotSet("pedido_id", float(order.id))]


class ActionIniciarCheckout(TurnAction):
    """``pendiente`` → ``recolectando_datos``; offer a returning client's stored data."""

    action_name = "action_iniciar_checkout"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        # Without a confirmed cart the form must not start: wait for the shopper instead.
        order = open_cart_or_say_empty(turn, dispatcher, self.name())
        if order is None:
            return [FollowupAction("action_listen")]
        if is_postponed(latest_text(tracker)):
            later = say_postponed(dispatcher, self.name(), order)
            return [*later, FollowupAction("action_listen")]
        if order.state == "iniciada":  # the cart changed after the summary: confirm again
            orders.confirm(session=turn.session, order=order)
            text = f"Tu pedido cambió:\n{order_text(order)}\n¿Confirmas el pedido? (sí / no)"
            say(dispatcher, self.name(), text, {"order": orders.order_facts(order)})
            return [SlotSet("pedido_id", float(order.id)), FollowupAction("action_listen")]
        if order.state == "pendiente":
            orders.start_checkout(session=turn.session, order=order)
        facts: dict[str, Any] = {"order": orders.order_facts(order)}
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent != "afirmar":  # reached from a second confirmation: no rule opens the form
            events_after: Events = [FollowupAction("datos_cliente_form")]
        else:
            events_after = []
        if _has_form_data(tracker, order.id):  # back after a failed close: keep the data
            say(dispatcher, self.name(), "¡Perfecto! Uso los datos que ya me diste 👍", facts)
            return [SlotSet("pedido_id", float(order.id)), *events_after]
        # Data volunteered before checkout (action_guardar_datos) is kept for this order.
        events: Events = [SlotSet(s, None) for s in FORM_SLOTS if not tracker.get_slot(s)]
        events.append(SlotSet("pedido_id", float(order.id)))
        client = owned_client(turn.session, turn.shop.id, turn.user_id)
        if client is None:
            say(dispatcher, self.name(), "¡Perfecto! 🙌 Tomemos tus datos para el envío.", facts)
            return [*events, SlotSet("usar_datos_guardados", False), *events_after]
        first = client.name.split()[0] if client.name else ""
        masked = checkout_data.mask_cedula(client.cedula)
        facts["client"] = {
            "name": client.name,
            "cedula": masked,
            "address": client.address,
            "barrio": client.barrio,
        }
        text = (
            f"¡Qué bueno tenerte de nuevo, {first}! 😊 Tengo guardados tus datos:"
            f" cédula {masked}, {client.address}, {client.barrio}."
        )
        say(dispatcher, self.name(), text, facts)
        return [*events, SlotSet("usar_datos_guardados", None), *events_after]


class ActionCerrarPedido(TurnAction):
    """Close the order: atomic stock re-check, decrement, client saved, ``cerrada``."""

    action_name = "action_cerrar_pedido"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        order = orders.get_open_order(
            session=turn.session, shop_id=turn.shop.id, user_id=turn.user_id
        )
        if order is None or not order.items:
            say(dispatcher, self.name(), EMPTY_CART, {"order": None})
            return []
        slots = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        if not slots["cedula"]:
            text = "Me faltan tus datos para cerrar el pedido. ¿Me regalas tu cédula?"
            say(dispatcher, self.name(), text, {"order": orders.order_facts(order)})
            return []
        try:
            closed = orders.close_order(
                session=turn.session,
                order_id=order.id,
                shop_id=turn.shop.id,
                client_data=checkout_data.client_data(slots),
                requester_id=turn.user_id,
                staff=turn.staff,
            )
        except orders.OutOfStockError as err:
            return self._short(turn, dispatcher, order, err)
        except orders.OrderStateError:
            orders.recompute_total(session=turn.session, order=order)
            text = (
                "Antes de cerrar necesito que confirmes el pedido:\n"
                f"{order_text(order)}\n¿Confirmas el pedido? (sí / no)"
            )
            if order.state != "pendiente":
                orders.confirm(session=turn.session, order=order)
            say(dispatcher, self.name(), text, {"order": orders.order_facts(order)})
            return []
        info = turn.shop.info or {}
        delivery = info.get("domicilios") or {}
        note = delivery.get("descripcion") if isinstance(delivery, dict) else str(delivery)
        facts: dict[str, Any] = {
            "order": orders.order_facts(closed),
            "client": {
                "name": slots["nombre"],
                "address": slots["direccion"],
                "barrio": slots["barrio"],
            },
        }
        text = (
            f"¡Listo, {slots['nombre']}! 🎉 Tu pedido #{closed.id} quedó confirmado:\n"
            f"{order_text(closed)}\nLo enviamos a {slots['direccion']}, {slots['barrio']}."
        )
        if note:
            facts["delivery"] = note
            text += f"\n{note}"
        say(dispatcher, self.name(), text, facts)
        # The data is on the order and the client record now; a next order asks again (or
        # offers the saved record to its owner).
        return [
            SlotSet("pedido_id", None),
            SlotSet("productos_mostrados", None),
            SlotSet("usar_datos_guardados", None),
            *[SlotSet(s, None) for s in FORM_SLOTS],
        ]

    def _short(
        self,
        turn: Turn,
        dispatcher: CollectingDispatcher,
        order: Any,
        err: orders.OutOfStockError,
    ) -> Events:
        order_id = order.id
        turn.session.rollback()  # release the locks; nothing was changed
        lines = [
            f"• {s.name}: pediste {s.requested}, "
            + ("está agotado" if s.available <= 0 else f"quedan {s.available}")
            for s in err.items
        ]
        text = (
            "Lo siento 😕, mientras tanto se vendieron unidades y ya no alcanza:\n"
            + "\n".join(lines)
            + "\nTu pedido sigue abierto: cambia la cantidad o quita el producto y luego"
            " escribe «confirmar pedido»."
        )
        facts = {
            "out_of_stock": [
                {
                    "product_id": s.product_id,
                    "name": s.name,
                    "requested": s.requested,
                    "stock": s.available,
                }
                for s in err.items
            ],
            "order": {"id": order_id, "state": "recolectando_datos"},
        }
        say(dispatcher, self.name(), text, facts)
        return []


# The words that lead from a request to where it goes: "… para la Calle 16", "… a la Cra 5".
_TO_ADDRESS = re.compile(r"\s*\b(?:para|a|en|hasta)(?:\s+(?:la|el))?\s*$", re.IGNORECASE)


class ActionGuardarDatos(TurnAction):
    """Buyer data given before checkout ("me llamo Ana, cc 123…") is kept, not thrown away.

    Each field is validated like in the form; the valid ones fill the form's slots, so the
    checkout only asks what is still missing. A bare answer whose words all name one of the
    shop's products is not a name: it is grounded like a fallback (usually an add).
    """

    action_name = "action_guardar_datos"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        text = latest_text(tracker)
        fields = parse_buyer_data(text, region=turn.shop.country)
        if not fields:
            # A bare answer ("79845123", "Ricardo Gómez Salazar", "Guayabal") the NLU read
            # as data: the field it most likely is, given what is already noted.
            guess = bare_field(text, tracker.get_slot)
            if guess == "nombre" and catalog_query(turn, text, coverage=1.0):
                # Words the model never saw may be the shop's products, not a name: "y
                # una marraqueta" asks for the Marraqueta of a bakery's catalog.
                return ground(turn, dispatcher, tracker, "utter_datos_sin_pedido")
            if guess is not None:
                fields = parse_buyer_data(text, requested=guess, region=turn.shop.country)
        cleaners = {
            "nombre": checkout_data.clean_name,
            "cedula": checkout_data.clean_cedula,
            "telefono": lambda v: checkout_data.clean_phone(v, turn.shop.country),
            "email": checkout_data.clean_email,
            "direccion": lambda v: checkout_data.clean_text(v, "la dirección"),
            "barrio": lambda v: checkout_data.clean_text(v, "el barrio"),
        }
        kept: dict[str, str] = {}
        for slot, value in fields.items():
            try:
                kept[slot] = cleaners[slot](value)
            except checkout_data.InvalidField:
                continue
        order = orders.get_open_order(
            session=turn.session, shop_id=turn.shop.id, user_id=turn.user_id
        )
        sure = any(slot in kept for slot in ("telefono", "email", "cedula"))
        pieces = [i.words for i in split_items(text) if i.words]
        if not sure and len(pieces) > 1 and all(catalog_query(turn, w, 0.6) for w in pieces):
            # "y un short de fútbol de nene talle 10 y un conjunto topper talle 8" is no
            # address: pieces that each name the shop's products are a product request.
            return [FollowupAction("action_agregar_producto")]
        if not kept:  # "el más barato, ese nomás" read as data: what did it mean here?
            return ground(turn, dispatcher, tracker, "utter_datos_sin_pedido")
        if not sure and catalog_query(turn, text, coverage=0.6):
            return ground(turn, dispatcher, tracker, "utter_datos_sin_pedido")
        labels = {
            "nombre": "nombre",
            "cedula": "documento",
            "telefono": "celular",
            "email": "correo",
            "direccion": "dirección",
            "barrio": "barrio",
        }
        noted = ", ".join(labels[s] for s in FORM_SLOTS if s in kept)
        reply = f"¡Gracias! Anoté tu {noted} para el envío 📝."
        facts = {"saved_fields": sorted(kept)}
        events: Events = [SlotSet(slot, value) for slot, value in kept.items()]
        request = product_request(text)
        address = kept.get("direccion") or ""
        if request and address and address in request:
            # "quiero 2 Postobón … para la Calle 16 # 100-45": the request ends at the address
            request = _TO_ADDRESS.sub("", request[: request.index(address)]).strip(" ,.")
        asked = [i.words for i in split_items(request)] if request else []
        if request and (
            catalog_query(turn, request, coverage=0.5)
            or (len(asked) > 1 and all(catalog_query(turn, w, 0.5) for w in asked if w))
        ):
            # "soy Natalia, quiero una licuadora oster": the data noted, the product added.
            # Only fields outside the request count ("me pasa un cloralex de 3.75 y un
            # ariel" is no address).
            outside = parse_buyer_data(text.replace(request, " "), region=turn.shop.country)
            kept = {slot: value for slot, value in kept.items() if slot in outside}
            added = CollectingDispatcher()
            many = add_many(turn, added, self.name(), split_items(request))
            if many is not None:
                if kept:
                    noted = ", ".join(labels[s] for s in FORM_SLOTS if s in kept)
                    facts = {"saved_fields": sorted(kept)}
                    say(
                        dispatcher,
                        self.name(),
                        f"¡Gracias! Anoté tu {noted} para el envío 📝.",
                        facts,
                    )
                dispatcher.messages.extend(added.messages)
                return [*[SlotSet(slot, value) for slot, value in kept.items()], *many]
        if order is None or not order.items:
            say(dispatcher, self.name(), f"{reply} ¿Qué te gustaría comprar?", facts)
            return events
        say(dispatcher, self.name(), reply, facts)
        # Data given with a cart means the shopper is checking out: confirm the cart when it
        # was not yet summarized, else go on with the form (it asks only what is missing).
        follow = (
            "action_iniciar_checkout" if order.state == "pendiente" else "action_confirmar_pedido"
        )
        return [*events, FollowupAction(follow)]


class ActionCancelarPedido(TurnAction):
    """Cancel the open order (any open state); a closed order cannot be cancelled here."""

    action_name = "action_cancelar_pedido"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        order = orders.get_open_order(
            session=turn.session, shop_id=turn.shop.id, user_id=turn.user_id
        )
        if order is None:
            text = "No tienes un pedido abierto para cancelar. ¿Te ayudo con algo más?"
            say(dispatcher, self.name(), text, {"order": None})
            return []
        text = latest_text(tracker)
        if text and not is_explicit_cancel(text):
            # Only an explicit cancel cancels: "te dejo que estoy manejando, después sigo"
            # read as a cancel keeps the order waiting for the shopper.
            return say_postponed(dispatcher, self.name(), order)
        orders.cancel(session=turn.session, order=order)
        text = f"Listo, cancelé tu pedido #{order.id}. Cuando quieras empezamos uno nuevo 😊"
        say(dispatcher, self.name(), text, {"order": {"id": order.id, "state": order.state}})
        events: Events = [SlotSet("pedido_id", None), *[SlotSet(s, None) for s in FORM_SLOTS]]
        if tracker.active_loop_name:
            # Reached from the fallback while the form was asking: nothing left to ask.
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
