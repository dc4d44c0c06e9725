"""Admin routes moving a closed order through its fulfilment (pagada, enviada, …).

`POST /admin/orders/{id}/state` changes the state through `db.order_states.advance` (which
owns the transitions), stores who and when (`order_events`), and — unless `notify` is false —
tells the buyer through `notify` (24-hour window, template, opt-out), in one transaction.
An illegal transition is a 409 listing the allowed ones; asking for the state the order is
already in changes nothing and notifies nobody (a retried request is harmless).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from db.models import Order, OrderEvent, OrderState, Shop
from db.order_states import (
    LABELS,
    OrderStateError,
    advance,
    allowed,
    notify_shopper,
)
from orchestrator.admin.deps import NO_NUL, RowId, SessionDep, ShopDep
from orchestrator.admin.schemas import (
    ErrorDetail,
    NotificationResult,
    OrderEventOut,
    OrderStateChange,
    not_found,
)
from orchestrator.notifications import wake

router = APIRouter()
FulfilmentState = Literal[
    OrderState.PAGADA, OrderState.ENVIADA, OrderState.ENTREGADA, OrderState.DEVUELTA
]
Actor = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]


class StateChange(BaseModel):
    """The fulfilment state to move to; `actor` names who did it (audit)."""

    model_config = ConfigDict(extra="forbid")

    state: FulfilmentState
    notify: bool = True
    note: Annotated[str, Field(max_length=500, pattern=NO_NUL)] = ""
    actor: Actor | None = None


def actor_of(name: str | None) -> str:
    """The audit's `actor`: the admin token (shop staff), with the name they gave."""
    return f"admin:{name.strip()}" if name and name.strip() else "admin"


@router.post(
    "/orders/{order_id}/state",
    response_model=OrderStateChange,
    responses={
        **not_found("order"),
        400: {"model": ErrorDetail, "description": "the body is not valid JSON"},
        409: {"model": ErrorDetail, "description": "the transition is not allowed"},
    },
)
def change_state(
    order_id: RowId, body: StateChange, shop: ShopDep, session: SessionDep, request: Request
) -> OrderStateChange:
    """Move the order to `state` (a fulfilment step), record it, notify the buyer."""
    order = session.scalars(
        select(Order)
        .where(Order.id == order_id, Order.shop_id == shop.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        session.rollback()
        raise HTTPException(404, detail="Order not found")
    if order.state == body.state:
        current: str = order.state
        session.rollback()
        return OrderStateChange(
            order_id=order_id,
            state=current,
            state_label=LABELS[current],
            changed=False,
            allowed_states=allowed(current),
            event=None,
            notification=None,
            notification_note="already in this state: nothing changed, nobody notified",
        )
    try:
        event = advance(
            session=session,
            order=order,
            wanted=body.state,
            actor=actor_of(body.actor),
            note=body.note,
        )
    except OrderStateError as exc:
        state, options = order.state, allowed(order.state)
        session.rollback()
        can = ", ".join(options) if options else "no other state"
        raise HTTPException(
            409, detail=f"order #{order_id} is {state!r}; it can go to: {can}"
        ) from exc
    notification, note = None, None
    if body.notify:
        shop_row = session.get(Shop, shop.id)
        assert shop_row is not None
        sent = notify_shopper(session=session, shop=shop_row, order=order, event=event)
        if sent is None:
            note = "the order has no WhatsApp number (a local chat order): nobody to notify"
        else:
            notification = NotificationResult.of(sent)
    else:
        note = "notify was false: the buyer was not told"
    out = OrderStateChange(
        order_id=order.id,
        state=order.state,
        state_label=LABELS[order.state],
        changed=True,
        allowed_states=allowed(order.state),
        event=OrderEventOut.model_validate(event),
        notification=notification,
        notification_note=note,
    )
    session.commit()
    wake(request.app.state)
    return out


@router.get(
    "/orders/{order_id}/events", response_model=list[OrderEventOut], responses=not_found("order")
)
def order_events(order_id: RowId, shop: ShopDep, session: SessionDep) -> list[OrderEventOut]:
    """The order's fulfilment changes, oldest first."""
    found = session.scalar(select(Order.id).where(Order.id == order_id, Order.shop_id == shop.id))
    if found is None:
        raise HTTPException(404, detail="Order not found")
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    )
    return [OrderEventOut.model_validate(e) for e in events]
