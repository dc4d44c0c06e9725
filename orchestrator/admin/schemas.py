"""Response models of the admin API. Money is integer pesos; timestamps are UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from db.notifications import NotifyResult

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a listing."""

    items: list[T]
    page: int
    page_size: int
    total: int


class ErrorDetail(BaseModel):
    """The body of a 401 or 404 (`HTTPException`)."""

    detail: str


def not_found(what: str) -> dict[int | str, dict[str, object]]:
    """The documented 404 of a route that looks one row of the shop up."""
    return {404: {"model": ErrorDetail, "description": f"no such {what} in the token's shop"}}


class _Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DaySales(BaseModel):
    """Closed orders and revenue of one UTC day."""

    day: date
    orders: int
    revenue: int


class TopProduct(BaseModel):
    """A product ranked by revenue from closed orders."""

    product_id: int
    sku: str
    name: str
    quantity: int
    revenue: int


class ConversationDay(BaseModel):
    """A row of the `conversation_stats` view."""

    day: date
    turns: int
    unique_users: int
    success_rate: float
    fallbacks: int
    fallback_rate: float
    guard_rejections: int
    avg_total_ms: float | None
    p95_total_ms: float | None


class IntentStat(BaseModel):
    """A row of the `intent_stats` view."""

    intent: str
    turns: int
    avg_confidence: float | None
    fallback_or_error: int
    fallback_or_error_rate: float
    grounded_turns: int = 0  # re-read by the catalog-grounded check (docs/CONTRACTS.md)


class ErrorStat(BaseModel):
    """A row of the `error_stats` view."""

    error_type: str
    count: int
    first_seen: datetime
    last_seen: datetime
    example_turn_id: str | None


class UserStat(BaseModel):
    """A row of the `user_conversation_stats` view."""

    user_id: str
    turns: int
    first_seen: datetime
    last_seen: datetime
    orders: int
    spend: int


class Dashboard(BaseModel):
    """Sales and conversation figures of a shop over a day range."""

    shop: str
    date_from: date | None
    date_to: date | None
    orders: int
    revenue: int
    average_order_value: float
    users_with_conversations: int
    users_with_closed_orders: int
    conversion_rate: float
    sales_per_day: list[DaySales]
    top_products: list[TopProduct]
    conversations_per_day: list[ConversationDay]
    intents: list[IntentStat]


class OrderLine(BaseModel):
    """An order item."""

    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    subtotal: int


class OrderSummary(_Orm):
    """An order in a listing."""

    id: int
    state: str
    total: int
    user_id: str
    client_id: int | None
    client_name: str | None = None
    items_count: int = 0
    state_label: str = ""
    # Fulfilment states the shop may move it to (`POST /admin/orders/{id}/state`).
    allowed_states: list[str] = []
    created_at: datetime
    closed_at: datetime | None
    cancelled_at: datetime | None


class OrderEventOut(_Orm):
    """One fulfilment change of an order (who, when, from → to)."""

    id: int
    from_state: str
    to_state: str
    actor: str
    note: str
    created_at: datetime


class OrderDetail(OrderSummary):
    """An order with its lines, its fulfilment history and the states it may go to."""

    items: list[OrderLine]
    events: list[OrderEventOut] = []


class ClientOut(_Orm):
    """A client of the shop."""

    id: int
    cedula: str
    name: str
    phone: str
    email: str | None
    address: str
    barrio: str
    created_at: datetime


class ClientDetail(ClientOut):
    """A client with their orders."""

    orders: list[OrderSummary]
    closed_orders: int
    spend: int


class ConversationSummary(BaseModel):
    """One user's conversation in a listing."""

    user_id: str
    turns: int
    first_at: datetime
    last_at: datetime
    last_message: str


class Turn(_Orm):
    """One turn of a transcript."""

    turn_id: str
    created_at: datetime
    channel: str
    message: str
    final_reply: str | None
    intent: str | None
    confidence: float | None
    success: bool
    error_type: str | None
    guard_verdict: str | None
    total_ms: float | None


class Transcript(BaseModel):
    """A user's full conversation, oldest turn first."""

    user_id: str
    turns: list[Turn]


class InventoryItem(_Orm):
    """A product with its low-stock flag."""

    id: int
    sku: str
    name: str
    category: str
    price: int
    stock: int
    active: bool
    low_stock: bool = False


class InventoryPage(Page[InventoryItem]):
    """A page of the inventory, with the threshold used for `low_stock`."""

    low_stock_threshold: int
    low_stock_count: int


class NotificationOut(_Orm):
    """A shop-initiated message: sent, queued, or not sent and why (`reason`)."""

    id: int
    kind: str | None
    to_number: str
    status: str
    body: str
    content_sid: str | None
    content_variables: str | None
    error_code: str | None
    reason: str | None = None
    created_at: datetime


class NotificationResult(BaseModel):
    """What `notify` did for a change: the row, its status and why."""

    outbound_id: int
    status: str
    in_window: bool
    content_sid: str | None
    reason: str | None

    @classmethod
    def of(cls, result: NotifyResult) -> NotificationResult:
        """The API's view of `notify`'s result."""
        return cls(
            outbound_id=result.outbound_id,
            status=result.status,
            in_window=result.in_window,
            content_sid=result.content_sid,
            reason=result.reason,
        )


class OrderStateChange(BaseModel):
    """The answer to a fulfilment change (`changed` is false when it was already there)."""

    order_id: int
    state: str
    state_label: str
    changed: bool
    allowed_states: list[str]
    event: OrderEventOut | None
    notification: NotificationResult | None
    notification_note: str | None = None


class ProductChangeOut(_Orm):
    """One edit of a product's field: who, when, old → new."""

    id: int
    field: str
    old_value: str
    new_value: str
    actor: str
    created_at: datetime


class ProductEditResult(BaseModel):
    """The product after an edit, the audit rows written and the staff alerts."""

    product: InventoryItem
    changes: list[ProductChangeOut]
    alerts: list[NotificationResult]
