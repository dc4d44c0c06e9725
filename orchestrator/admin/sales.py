"""Admin routes for sales: the dashboard, orders and clients of the token's shop."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from db import analytics
from db.models import Client, Order, OrderEvent, OrderState
from db.order_states import FULFILMENT_STATES, LABELS, allowed
from orchestrator.admin.deps import PageDep, RangeDep, RowId, SearchText, SessionDep, ShopDep
from orchestrator.admin.schemas import (
    ClientDetail,
    ClientOut,
    ConversationDay,
    Dashboard,
    DaySales,
    IntentStat,
    OrderDetail,
    OrderEventOut,
    OrderLine,
    OrderSummary,
    Page,
    TopProduct,
    not_found,
)

router = APIRouter()


@router.get("/dashboard", response_model=Dashboard)
def dashboard(shop: ShopDep, session: SessionDep, dates: RangeDep) -> Dashboard:
    """Orders and revenue per day, top products, conversion, average order value, and the
    conversation figures (turns and success rate per day, intents) for the charts."""
    sales = analytics.sales_dashboard(session, shop.id, dates.date_from, dates.date_to)
    days = analytics.conversation_days(session, shop.id, dates.date_from, dates.date_to)
    intents = analytics.stats_rows(session, analytics.intent_stats, shop.id)
    return Dashboard(
        shop=shop.name,
        date_from=dates.date_from,
        date_to=dates.date_to,
        orders=sales.orders,
        revenue=sales.revenue,
        average_order_value=sales.average_order_value,
        users_with_conversations=sales.users_with_conversations,
        users_with_closed_orders=sales.users_with_closed_orders,
        conversion_rate=sales.conversion_rate,
        sales_per_day=[DaySales(**d) for d in sales.per_day],
        top_products=[TopProduct(**p) for p in sales.top_products],
        conversations_per_day=[ConversationDay(**d) for d in days],
        intents=[IntentStat(**i) for i in intents],
    )


def _summary(order: Order) -> OrderSummary:
    out = OrderSummary.model_validate(order)
    out.client_name = order.client.name if order.client else None
    out.items_count = sum(item.quantity for item in order.items)
    out.state_label = LABELS.get(order.state, order.state)
    out.allowed_states = [s for s in allowed(order.state) if s in FULFILMENT_STATES]
    return out


@router.get("/orders", response_model=Page[OrderSummary])
def list_orders(
    shop: ShopDep,
    session: SessionDep,
    dates: RangeDep,
    paging: PageDep,
    state: Annotated[list[OrderState] | None, Query(description="One or more order states")] = None,
) -> Page[OrderSummary]:
    """The shop's orders, newest first, filtered by creation day and state."""
    where: list[Any] = [
        Order.shop_id == shop.id,
        *analytics.in_range(Order.created_at, dates.date_from, dates.date_to),
    ]
    if state:
        where.append(Order.state.in_(state))
    total = session.scalar(select(func.count(Order.id)).where(*where)) or 0
    orders = session.scalars(
        select(Order)
        .where(*where)
        .options(selectinload(Order.items), selectinload(Order.client))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .offset(paging.offset)
        .limit(paging.page_size)
    ).all()
    return Page(
        items=[_summary(o) for o in orders],
        page=paging.page,
        page_size=paging.page_size,
        total=total,
    )


@router.get("/orders/{order_id}", response_model=OrderDetail, responses=not_found("order"))
def get_order(order_id: RowId, shop: ShopDep, session: SessionDep) -> OrderDetail:
    """One order of the shop with its lines, its fulfilment history and the fulfilment
    states it may go to; 404 when it is not the shop's."""
    order = session.scalars(
        select(Order)
        .where(Order.id == order_id, Order.shop_id == shop.id)
        .options(selectinload(Order.items), selectinload(Order.client))
    ).one_or_none()
    if order is None:
        raise HTTPException(404, detail="Order not found")
    lines = [
        OrderLine(
            product_id=i.product_id,
            sku=i.product.sku,
            name=i.product.name,
            quantity=i.quantity,
            unit_price=i.unit_price,
            subtotal=i.quantity * i.unit_price,
        )
        for i in order.items
    ]
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    )
    return OrderDetail(
        **_summary(order).model_dump(),
        items=lines,
        events=[OrderEventOut.model_validate(e) for e in events],
    )


@router.get("/clients", response_model=Page[ClientOut])
def list_clients(
    shop: ShopDep,
    session: SessionDep,
    dates: RangeDep,
    paging: PageDep,
    q: Annotated[SearchText, Query(description="Name, cédula or phone contains")] = None,
) -> Page[ClientOut]:
    """The shop's clients, newest first, filtered by creation day and a search text."""
    where: list[Any] = [
        Client.shop_id == shop.id,
        *analytics.in_range(Client.created_at, dates.date_from, dates.date_to),
    ]
    if q:
        like = f"%{q.strip()}%"
        where.append(
            or_(Client.name.ilike(like), Client.cedula.like(like), Client.phone.like(like))
        )
    total = session.scalar(select(func.count(Client.id)).where(*where)) or 0
    clients = session.scalars(
        select(Client)
        .where(*where)
        .order_by(Client.created_at.desc(), Client.id.desc())
        .offset(paging.offset)
        .limit(paging.page_size)
    ).all()
    return Page(
        items=[ClientOut.model_validate(c) for c in clients],
        page=paging.page,
        page_size=paging.page_size,
        total=total,
    )


@router.get("/clients/{client_id}", response_model=ClientDetail, responses=not_found("client"))
def get_client(client_id: RowId, shop: ShopDep, session: SessionDep) -> ClientDetail:
    """One client of the shop with their orders; 404 when it is not the shop's."""
    client = session.scalars(
        select(Client).where(Client.id == client_id, Client.shop_id == shop.id)
    ).one_or_none()
    if client is None:
        raise HTTPException(404, detail="Client not found")
    orders = session.scalars(
        select(Order)
        .where(Order.shop_id == shop.id, Order.client_id == client.id)
        .options(selectinload(Order.items), selectinload(Order.client))
        .order_by(Order.created_at.desc(), Order.id.desc())
    ).all()
    closed = [o for o in orders if o.state in analytics.SOLD]
    return ClientDetail(
        **ClientOut.model_validate(client).model_dump(),
        orders=[_summary(o) for o in orders],
        closed_orders=len(closed),
        spend=sum(o.total for o in closed),
    )
