"""`action_consultar_cliente`: a client's purchase history and totals by cédula."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.respond import pesos, say
from actions.runtime import get_runtime
from actions.services.clients import (
    INVALID,
    NOT_FOUND,
    ClientLookup,
    find_number,
    lookup_client,
    own_record,
)
from actions.services.context import UnknownShopError, load_shop, parse_sender
from db.order_states import LABELS

ACTION = "action_consultar_cliente"

ASK = "¿Me compartes el número de cédula que quieres consultar?"
INVALID_TEXT = (
    "Mmm, esa cédula no parece válida: debe tener entre 6 y 10 dígitos. ¿Me la escribes de nuevo?"
)
REFUSED = (
    "Lo siento, por seguridad solo puedo mostrarte la información de tu propia cédula, "
    "y debe estar registrada con el número desde el que me escribes. "
    "Si necesitas ayuda con otra cuenta, puedo comunicarte con alguien de la tienda."
)
NO_SHOP = "Lo siento, no pude identificar la tienda. Intenta de nuevo en un momento."
CONTACT_FIELDS = ("phone", "email", "address", "barrio")


def requested_cedula(tracker: Tracker) -> str | None:
    """The cédula asked about: the `cedula` entity, else a number in the message, else the slot.

    The slot comes last because the checkout form fills it with the shopper's own cédula.
    """
    entity = next(tracker.get_latest_entity_values("cedula"), None)
    if entity:
        return str(entity)
    number = find_number((tracker.latest_message or {}).get("text"))
    if number:
        return number
    slot = tracker.get_slot("cedula")
    return str(slot) if slot else None


def _date(order_date: Any) -> str:
    return order_date.strftime("%d/%m/%Y")


def render(result: ClientLookup) -> tuple[str, dict[str, Any]]:
    """The Spanish reply and its facts for a successful lookup."""
    client = result.client_facts()
    orders = [
        {
            "id": o.id,
            "date": _date(o.created_at),
            "state": o.state,
            "state_label": LABELS.get(o.state, o.state),
            "total": o.total,
        }
        for o in result.orders
    ]
    facts = {
        "client": client,
        "orders": orders,
        "orders_shown": len(orders),
        "order_count": result.order_count,
        "closed_orders": result.closed_count,
        "total_spent": result.total_spent,
    }
    lines = [f"Cliente: {client['name']} (cédula {client['cedula']})."]
    contact = ", ".join(str(client[k]) for k in CONTACT_FIELDS if client.get(k))
    if contact:
        lines.append(f"Contacto: {contact}.")
    if not orders:
        lines.append("Todavía no tiene pedidos registrados.")
        return "\n".join(lines), facts
    lines.append(
        f"Compras cerradas: {result.closed_count}, por un total de {pesos(result.total_spent)}."
    )
    lines.append("Último pedido:" if len(orders) == 1 else f"Últimos {len(orders)} pedidos:")
    for o in result.orders:
        label = LABELS.get(o.state, o.state)
        lines.append(f"• #{o.id} del {_date(o.created_at)}: {label}, {pesos(o.total)}")
    return "\n".join(lines), facts


class ActionConsultarCliente(Action):
    """Show a client's record: the sender's own, or anyone's for the shop's staff.

    Shoppers asking about a cédula that is not theirs (or does not exist) get the same polite
    refusal, logged by the service; a shopper who gives no cédula sees their own record when
    their phone belongs to a client, otherwise the bot asks for the cédula.
    """

    def name(self) -> str:
        """The Rasa action name."""
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Look the client up (in a worker thread) and answer."""
        text, facts = await asyncio.to_thread(self.answer, tracker)
        say(dispatcher, ACTION, text, facts)
        return []

    def answer(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        """The reply text and facts for this turn (blocking database work)."""
        sender = parse_sender(tracker.sender_id)
        cedula = requested_cedula(tracker)
        with get_runtime().session_factory() as session:
            try:
                shop = load_shop(session, sender.shop_slug)
            except UnknownShopError:
                return NO_SHOP, {}
            if cedula is None:
                own = own_record(session, shop, sender.user_id)
                return render(own) if own else (ASK, {})
            result = lookup_client(session, shop, sender.user_id, cedula)
        if result.reason == INVALID:
            return INVALID_TEXT, {}
        if result.reason == NOT_FOUND:
            return (
                f"No encontré ningún cliente con la cédula {result.cedula}.",
                {"cedula": result.cedula},
            )
        if not result.ok:
            return REFUSED, {"refused": True}
        return render(result)
