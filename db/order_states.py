"""Order states and the transitions between them: the one table both sides read.

The sale (``iniciada`` → ``pendiente`` → ``recolectando_datos`` → ``cerrada``, and
``cancelada`` from any open state) is driven by `actions.services.orders`; after the sale
the shop moves a closed order through its fulfilment (``pagada``, ``enviada``,
``entregada``, ``devuelta``) from the admin API with `advance`, which stores who and when
(`OrderEvent`). An illegal transition raises `OrderStateError` and changes nothing.

`LABELS` is the one table of Spanish labels shoppers and staff read (``estado_pedido``,
notifications, the dashboard).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.identity import verified_phone
from db.models import ORDER_STATES, Order, OrderEvent, Shop, utcnow
from db.notifications import NotifyResult, notify

OPEN_STATES = ("iniciada", "pendiente", "recolectando_datos")
FULFILMENT_STATES = ("pagada", "enviada", "entregada", "devuelta")
# A sale counts in revenue, purchases and exports from the close on, unless returned.
SOLD_STATES = ("cerrada", "pagada", "enviada", "entregada")

TRANSITIONS: dict[str, frozenset[str]] = {
    "iniciada": frozenset({"pendiente", "cancelada"}),
    "pendiente": frozenset({"iniciada", "recolectando_datos", "cancelada"}),
    "recolectando_datos": frozenset({"cerrada", "pendiente", "cancelada"}),
    # Cash on delivery ships (or hands over) before it is paid: every step may be skipped
    # forward, none goes back. A return is recorded once the buyer had the goods or paid.
    "cerrada": frozenset({"pagada", "enviada", "entregada"}),
    "pagada": frozenset({"enviada", "entregada", "devuelta"}),
    "enviada": frozenset({"entregada", "devuelta"}),
    "entregada": frozenset({"devuelta"}),
    "devuelta": frozenset(),
    "cancelada": frozenset(),
}
assert set(TRANSITIONS) == set(ORDER_STATES), "every state needs a row"

# What a shopper reads for each state ("Pedido #12: enviado 🚚").
LABELS: dict[str, str] = {
    "iniciada": "en tu carrito",
    "pendiente": "esperando tu confirmación",
    "recolectando_datos": "tomando tus datos de envío",
    "cerrada": "confirmado ✅",
    "pagada": "pago recibido 💵",
    "enviada": "enviado 🚚",
    "entregada": "entregado 📦",
    "devuelta": "devuelto ↩️",
    "cancelada": "cancelado",
}

# What the shopper is told when the shop moves their order ({id}: order number, {shop}).
NOTICES: dict[str, str] = {
    "pagada": "¡Hola! Recibimos el pago de tu pedido #{id} en {shop}. ¡Gracias! 💵",
    "enviada": "¡Buenas noticias! Tu pedido #{id} de {shop} va en camino 🚚",
    "entregada": "Tu pedido #{id} de {shop} fue entregado 📦 ¡Gracias por tu compra!",
    "devuelta": (
        "Registramos la devolución de tu pedido #{id} en {shop}. "
        "Si tienes alguna duda, respóndenos por aquí."
    ),
}


class OrderStateError(Exception):
    """An illegal transition or a change to an order that cannot change any more."""

    def __init__(self, state: str, wanted: str) -> None:
        super().__init__(f"order in state {state!r} cannot go to {wanted!r}")
        self.state = state
        self.wanted = wanted


def allowed(state: str) -> list[str]:
    """The states an order in `state` may move to, in the order of `ORDER_STATES`."""
    nxt = TRANSITIONS.get(state, frozenset())
    return [s for s in ORDER_STATES if s in nxt]


def transition(order: Order, wanted: str) -> None:
    """Move `order` to `wanted` or raise `OrderStateError`."""
    if wanted not in TRANSITIONS.get(order.state, frozenset()):
        raise OrderStateError(order.state, wanted)
    order.state = wanted


def advance(
    *, session: Session, order: Order, wanted: str, actor: str, note: str = ""
) -> OrderEvent:
    """A fulfilment step of a closed order (``cerrada`` → ``enviada``…), with its audit row.

    Only fulfilment states are reachable here: the sale itself changes through
    `actions.services.orders`. Flushes; the caller owns the transaction.

    Raises:
        OrderStateError: `wanted` is not a fulfilment state or not allowed from the current one.
    """
    if wanted not in FULFILMENT_STATES:
        raise OrderStateError(order.state, wanted)
    before = order.state
    transition(order, wanted)
    event = OrderEvent(
        shop_id=order.shop_id,
        order_id=order.id,
        from_state=before,
        to_state=wanted,
        actor=actor[:120],
        note=note[:500],
        created_at=utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def notify_shopper(
    *, session: Session, shop: Shop, order: Order, event: OrderEvent
) -> NotifyResult | None:
    """Tell the buyer about `event` (kind ``order_status``); None when the order has no
    WhatsApp number (a local `/chat` order). Template variables: {{1}} the order number,
    {{2}} the state's label. One notification per event (`dedupe_key`)."""
    if verified_phone(order.user_id) is None:
        return None
    text = NOTICES[event.to_state].format(id=order.id, shop=shop.name)
    return notify(
        session,
        shop,
        order.user_id,
        "order_status",
        text,
        {"1": order.id, "2": LABELS[event.to_state]},
        dedupe_key=f"order_event:{event.id}",
    )
