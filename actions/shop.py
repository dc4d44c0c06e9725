"""Shop answers: company info, handoff to a person, and the shopper's order status."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.interpret import closes_order, ground
from actions.respond import pesos, say
from actions.services import orders
from actions.services.catalog import fold
from actions.services.shop_info import answer_info
from actions.turn import Turn, TurnAction, latest_text
from db.models import Order
from db.order_states import LABELS

Events = list[dict[str, Any]]


class ActionInfoEmpresa(TurnAction):
    """Hours, address, delivery and payment from the shop row (the aspect asked, else all)."""

    action_name = "action_info_empresa"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        aspects, lines, info = answer_info(turn.shop.info or {}, latest_text(tracker))
        facts: dict[str, Any] = {"shop": {"name": turn.shop.name}, "aspects": aspects, "info": info}
        if not lines:
            text = (
                "Esa información no la tengo a la mano. "
                'Si quieres hablar con una persona de la tienda, escribe "asesor".'
            )
        else:
            text = "\n".join(lines)
        say(dispatcher, self.name(), text, facts)
        if closes_order(turn, tracker):
            # "nada más, ¿cómo pago?": the answer, then the order's summary to confirm.
            return [FollowupAction("action_confirmar_pedido")]
        return []


class ActionHablarConHumano(TurnAction):
    """Flag the handoff in the facts. The orchestrator sees this action, alerts the shop's
    staff, puts the conversation in human mode and sends its own message instead of this
    one (`orchestrator.handoff_text.handoff_started`); this text promises nothing the
    action does not do itself."""

    action_name = "action_hablar_con_humano"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        info = turn.shop.info or {}
        facts: dict[str, Any] = {
            "handoff": True,
            "shop": {"name": turn.shop.name},
            "reason": latest_text(tracker)[:500],
        }
        text = f"Claro 🙌 Le paso tu mensaje al equipo de {turn.shop.name}."
        contact = info.get("telefono")
        if contact:
            facts["contact"] = contact
            text += f" Si prefieres, también puedes llamar al {contact}."
        say(dispatcher, self.name(), text, facts)
        return []


# Words of a question about an order already placed ("¿ya salió mi pedido?", "¿cuándo llega?").
_ABOUT_ORDERS = re.compile(
    r"\b(pedidos?|orden(es)?|compras?|envio|domicilio|lleg\w*|despach\w*|estado|seguimiento|"
    r"rastre\w*|guia|sali\w*|mand(aron|o)|numero)\b|#\s*\d"
)


class ActionEstadoPedido(TurnAction):
    """The shopper's latest orders and their states (or the order number they name)."""

    action_name = "action_estado_pedido"

    def handle(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        if closes_order(turn, tracker):  # "listo eso es todo" read as "where is my order"
            return [FollowupAction("action_confirmar_pedido")]
        if not _ABOUT_ORDERS.search(fold(latest_text(tracker))):
            # "¿tienen el Redmi Note 13 de 256?", "el de 36,5 pulgadas, llevo ese" read as
            # "where is my order": what the words mean here (a search, an add) comes first.
            return ground(
                turn, dispatcher, tracker, lambda: self._status(turn, dispatcher, tracker)
            )
        return self._status(turn, dispatcher, tracker)

    def _status(self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        stmt = (
            select(Order)
            .where(Order.shop_id == turn.shop.id, Order.user_id == turn.user_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
        number = re.search(r"#?\b(\d{1,9})\b", latest_text(tracker))
        found = []
        if number:
            found = list(turn.session.scalars(stmt.where(Order.id == int(number.group(1)))))
        mine = found or list(turn.session.scalars(stmt.limit(5)))
        if not mine:
            text = "No encuentro pedidos a tu nombre todavía. ¿Quieres que te ayude a hacer uno?"
            say(dispatcher, self.name(), text, {"orders": []})
            return []
        for order in mine:
            orders.recompute_total(session=turn.session, order=order)
        lines = [
            f"• Pedido #{o.id}: {LABELS.get(o.state, o.state)}, total {pesos(o.total)}"
            for o in mine
        ]
        facts = {
            "orders": [
                {
                    **orders.order_facts(o),
                    "state_label": LABELS.get(o.state, o.state),
                    "created_at": o.created_at.isoformat(),
                }
                for o in mine
            ]
        }
        head = "Este es tu pedido:" if len(mine) == 1 else "Estos son tus últimos pedidos:"
        say(dispatcher, self.name(), "\n".join([head, *lines]), facts)
        return []
