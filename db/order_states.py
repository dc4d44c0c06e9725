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
from db.models import ORDER_STATES, Order, OrderEvent, OrderState, Shop, utcnow
from db.notifications import NotifyResult, notify

OPEN_STATES: tuple[OrderState, ...] = (
    OrderState.INICIADA,
    OrderState.PENDIENTE,
    OrderState.RECOLECTANDO_DATOS,
)
FULFILMENT_STATES: tuple[OrderState, ...] = (
    OrderState.PAGADA,
    OrderState.ENVIADA,
    OrderState.ENTREGADA,
    OrderState.DEVUELTA,
)
# A sale counts in revenue, purchases and exports from the close on, unless returned.
SOLD_STATES: tuple[OrderState, ...] = (
    OrderState.CERRADA,
    OrderState.PAGADA,
    OrderState.ENVIADA,
    OrderState.ENTREGADA,
)

# Keyed by OrderState members; str keys look them up alike (a StrEnum hashes as its value).
TRANSITIONS: dict[str, frozenset[OrderState]] = {
    OrderState.INICIADA: frozenset({OrderState.PENDIENTE, OrderState.CANCELADA}),
    OrderState.PENDIENTE: frozenset(
        {OrderState.INICIADA, OrderState.RECOLECTANDO_DATOS, OrderState.CANCELADA}
    ),
    OrderState.RECOLECTANDO_DATOS: frozenset(
        {OrderState.CERRADA, OrderState.PENDIENTE, OrderState.CANCELADA}
    ),
    # Cash on delivery ships (or hands over) before it is paid: every step may be skipped
    # forward, none goes back. A return is recorded once the buyer had the goods or paid.
    OrderState.CERRADA: frozenset({OrderState.PAGADA, OrderState.ENVIADA, OrderState.ENTREGADA}),
    OrderState.PAGADA: frozenset({OrderState.ENVIADA, OrderState.ENTREGADA, OrderState.DEVUELTA}),
    OrderState.ENVIADA: frozenset({OrderState.ENTREGADA, OrderState.DEVUELTA}),
    OrderState.ENTREGADA: frozenset({OrderState.DEVUELTA}),
    OrderState.DEVUELTA: frozenset(),
    OrderState.CANCELADA: frozenset(),
}
assert set(TRANSITIONS) == set(ORDER_STATES), "every state needs a row"

# What a shopper reads for each state ("Pedido #12: enviado 🚚").
LABELS: dict[str, str] = {
    OrderState.INICIADA: "en tu carrito",
    OrderState.PENDIENTE: "esperando tu confirmación",
    OrderState.RECOLECTANDO_DATOS: "tomando tus datos de envío",
    OrderState.CERRADA: "confirmado ✅",
    OrderState.PAGADA: "pago recibido 💵",
    OrderState.ENVIADA: "enviado 🚚",
    OrderState.ENTREGADA: "entregado 📦",
    OrderState.DEVUELTA: "devuelto ↩️",
    OrderState.CANCELADA: "cancelado",
}

# What the shopper is told when the shop moves their order ({id}: order number, {shop}).
NOTICES: dict[str, str] = {
    OrderState.PAGADA: "¡Hola! Recibimos el pago de tu pedido #{id} en {shop}. ¡Gracias! 💵",
    OrderState.ENVIADA: "¡Buenas noticias! Tu pedido #{id} de {shop} va en camino 🚚",
    OrderState.ENTREGADA: "Tu pedido #{id} de {shop} fue entregado 📦 ¡Gracias por tu compra!",
    OrderState.DEVUELTA: (
        "Registramos la devolución de tu pedido #{id} en {shop}. "
        "Si tienes alguna duda, respóndenos por aquí."
    ),
}


class OrderStateError(Exception):
    """An illegal transition or a change to an order that cannot change any more."""

    def __init__(self, state: str, wanted: str) -> None:
        state, wanted = str(state), str(wanted)  # plain values in messages and API errors
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
