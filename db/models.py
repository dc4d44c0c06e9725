"""SQLAlchemy 2 models. Alembic owns the schema (`db/migrations`); keep both in step.

Every shop-owned row carries `shop_id`. Money is integer pesos. Timestamps are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class OrderState(StrEnum):
    """`orders.state`. The transitions are `db.order_states.TRANSITIONS`; the sale is written
    by `actions.services.orders`, the fulfilment by `db.order_states.advance`, and the
    analytics views, exports and the admin API read them."""

    INICIADA = "iniciada"
    PENDIENTE = "pendiente"
    RECOLECTANDO_DATOS = "recolectando_datos"
    CERRADA = "cerrada"
    PAGADA = "pagada"
    ENVIADA = "enviada"
    ENTREGADA = "entregada"
    DEVUELTA = "devuelta"
    CANCELADA = "cancelada"


ORDER_STATES: tuple[OrderState, ...] = tuple(OrderState)


class GuardVerdict(StrEnum):
    """`conversation_logs.guard_verdict`: what the guard said about the LLM's reply.

    Shared by the writer (orchestrator.phrasing) and the readers: the analytics view
    `conversation_stats` counts `REJECTED` rows as `guard_rejections` (migration 0002).
    """

    PASSED = "passed"
    REJECTED = "rejected"
    TIMEOUT = "timeout"
    ERROR = "error"


class OutboundStatus(StrEnum):
    """`outbound_messages.status`: written by the delivery, the notifier and the handoff desk
    (`orchestrator.delivery`, `orchestrator.notifications`, `orchestrator.handoff`), moved
    forward by Twilio's status callbacks, read by the admin API."""

    QUEUED = "queued"  # stored, not sent yet (or accepted by Twilio, with its sid)
    SENDING = "sending"  # a send is in progress (claimed)
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECORDED = "recorded"  # the outbox or /chat: nothing to deliver
    # Shop-initiated messages that were not sent, and why (`db.notifications`).
    NEEDS_TEMPLATE = "needs_template"
    OPTED_OUT = "opted_out"


OUTBOUND_STATUSES: tuple[OutboundStatus, ...] = tuple(OutboundStatus)
# Not handed to Twilio yet (a row with a provider sid was, whatever its status says).
UNSENT_STATUSES = (OutboundStatus.QUEUED, OutboundStatus.SENDING)


class InboundStatus(StrEnum):
    """`inbound_messages.status`: the durable inbound queue (`orchestrator.queue`).

    `RECEIVED` waits for a worker, `PROCESSING` is claimed (heartbeated), `DONE` / `FAILED`
    are final; a released or recovered claim goes back to `RECEIVED`.
    """

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


INBOUND_STATUSES: tuple[InboundStatus, ...] = tuple(InboundStatus)
# Who answers a conversation: the bot, or the shop's staff (a human handoff is open).
ConversationMode = Literal["bot", "human"]
CONVERSATION_MODES: tuple[ConversationMode, ...] = get_args(ConversationMode)
# What a turn log row is: a bot turn, a shopper message received in human mode, or a
# message written by staff (a reply, a command, a hand-back).
TurnMode = Literal["bot", "human", "staff"]
TURN_MODES: tuple[TurnMode, ...] = get_args(TurnMode)
# Why a handoff started, and why it ended.
HandoffReason = Literal["requested", "fallbacks", "staff"]
HANDOFF_REASONS: tuple[HandoffReason, ...] = get_args(HandoffReason)
HandoffEnd = Literal["staff", "idle"]
HANDOFF_ENDS: tuple[HandoffEnd, ...] = get_args(HandoffEnd)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no timezone type; this keeps Python-side values comparable on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING)


class Shop(Base):
    """A tenant: one shop with its WhatsApp number, persona and staff."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    whatsapp_number: Mapped[str] = mapped_column(String(32), unique=True)
    persona: Mapped[str] = mapped_column(Text, default="")
    staff_phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    admin_token_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # ISO 3166 country: the region national phone numbers are read in (`db.identity`).
    country: Mapped[str] = mapped_column(String(2), default="CO", server_default="CO")
    timezone: Mapped[str] = mapped_column(
        String(64), default="America/Bogota", server_default="America/Bogota"
    )
    # Quick-reply content SIDs of the shop's WhatsApp sender (`db.shop_config.QuickReplies`).
    quick_replies: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Notification kind (`order_status`, `low_stock`…) → approved Twilio Content SID, used
    # outside WhatsApp's 24-hour window (`db.notifications`).
    notification_templates: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    # Staff get a low-stock alert when a product's stock falls to or under this.
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    """A catalog item. `sku` is unique per shop; price in integer pesos."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("shop_id", "sku", name="uq_products_shop_sku"),
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        Index("ix_products_shop_category", "shop_id", "category"),
        Index("ix_products_shop_updated", "shop_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(120), default="")
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The catalog's optional `imagen`: a public http(s) URL sent with one-product replies.
    image_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Client(Base):
    """A buyer. `cedula` is unique per shop.

    `owner_id` is the conversation identity the record was saved from (a verified WhatsApp
    number, or a local-channel id such as `chat:ana`): only that identity, or the shop's
    staff, may see or change the stored data (docs/SECURITY.md). `phone` is the contact
    number the buyer typed, which proves nothing.
    """

    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("shop_id", "cedula", name="uq_clients_shop_cedula"),
        Index("ix_clients_shop_phone", "shop_id", "phone"),
        Index("ix_clients_shop_owner", "shop_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    cedula: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    barrio: Mapped[str] = mapped_column(String(120), default="")
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Order(Base):
    """A sale. The state column only changes through `actions.services.orders`."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("state", ORDER_STATES), name="state_valid"),
        CheckConstraint("total >= 0", name="total_non_negative"),
        Index("ix_orders_shop_user_state", "shop_id", "user_id", "state"),
        Index("ix_orders_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), nullable=True
    )
    user_id: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(32), default=OrderState.INICIADA)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The buyer data typed for this order (name, cédula, phone, email, address, barrio),
    # kept on the order even when it may not change the stored client record.
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    client: Mapped[Client | None] = relationship()


class OrderItem(Base):
    """A line of an order; one line per product."""

    __tablename__ = "order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_order_items_order_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class InboundMessage(Base):
    """A message received from a channel: the durable inbound queue.

    Stored before the webhook is acknowledged; unique per (provider, provider_message_id)
    so a retried webhook is a no-op.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id", name="uq_inbound_provider_msg"),
        CheckConstraint(_in("status", INBOUND_STATUSES), name="status_valid"),
        Index("ix_inbound_status_received", "status", "received_at"),
        Index("ix_inbound_conversation", "shop_id", "from_number", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), nullable=True
    )
    provider: Mapped[str] = mapped_column(String(20), default="twilio")
    provider_message_id: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str] = mapped_column(String(64))
    to_number: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    profile_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    wa_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A quick-reply answer: Twilio's ButtonPayload / ButtonText (docs/MEDIA.md).
    button_payload: Mapped[str | None] = mapped_column(String(256), nullable=True)
    button_text: Mapped[str | None] = mapped_column(String(256), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Renewed every few seconds by the worker holding the claim; a stale one is recovered.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboundMessage(Base):
    """A message sent (or recorded). (inbound_id, seq) is unique: one answer per message.

    Shop-initiated messages (notifications) have no `inbound_id`; they carry their `kind`,
    the template (`content_sid`, `content_variables` as a JSON string) when sent outside the
    24-hour window, and a `dedupe_key` so one event is notified once.
    """

    __tablename__ = "outbound_messages"
    __table_args__ = (
        UniqueConstraint("inbound_id", "seq", name="uq_outbound_inbound_seq"),
        UniqueConstraint("dedupe_key", name="uq_outbound_dedupe_key"),
        Index("ix_outbound_kind_status", "kind", "status"),
        CheckConstraint(_in("status", OUTBOUND_STATUSES), name="status_valid"),
        Index("ix_outbound_provider_sid", "provider_sid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), nullable=True
    )
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="CASCADE"), nullable=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(20), default="twilio")
    to_number: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text)
    # Sent with the body (Twilio MediaUrl): a product image.
    media_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboundStatus.QUEUED)
    error_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # A template (Twilio Content API): a quick reply (`body` is its numbered-text fallback)
    # or a notification outside the 24-hour window; its variables as a JSON string.
    content_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_variables: Mapped[str | None] = mapped_column(Text, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrderEvent(Base):
    """One fulfilment change of an order: who moved it from which state to which, when."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OptOut(Base):
    """A number's choice about messages the shop starts (BAJA / ALTA), one row per shop."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("shop_id", "phone", name="uq_opt_outs_shop_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(64))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    # The message that set it ("BAJA", "no me escriban más", "ALTA"…), for the audit.
    keyword: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProductChange(Base):
    """One edit of a product's stock, price or active flag: who, when, old → new."""

    __tablename__ = "product_changes"
    __table_args__ = (Index("ix_product_changes_product", "product_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str] = mapped_column(String(64))
    new_value: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationLog(Base):
    """One row per processed inbound message: what happened in that turn."""

    __tablename__ = "conversation_logs"
    __table_args__ = (
        UniqueConstraint("inbound_id", name="uq_conversation_logs_inbound"),
        Index("ix_logs_shop_created", "shop_id", "created_at"),
        Index("ix_logs_shop_user", "shop_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[str] = mapped_column(String(36), unique=True)
    shop_id: Mapped[int | None] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), nullable=True
    )
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), nullable=True
    )
    channel: Mapped[str] = mapped_column(String(20), default="twilio")
    user_id: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    rasa_response: Mapped[Any] = mapped_column(JSON, nullable=True)
    facts: Mapped[Any] = mapped_column(JSON, nullable=True)
    template_reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    llm_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    llm_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    llm_latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    llm_prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    llm_completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    llm_raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    guard_verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    guard_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    final_reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    queue_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    rasa_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    phrase_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    send_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The voice note or photo of the turn (docs/MEDIA.md): its content type, the provider
    # that read it, the transcript / product query, and the download + provider time.
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    media_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    media_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    error_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # `bot` turn, shopper message in `human` mode (not sent to Rasa), or a `staff` message;
    # `author` says which staff member (`+57…` on WhatsApp, `panel:<name>` on the dashboard).
    mode: Mapped[str] = mapped_column(String(8), default="bot", server_default="bot")
    author: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """One shopper's conversation with a shop: its short id (`#12`) and who answers it.

    Created on the shopper's first turn. `mode` is `human` exactly while a handoff is open;
    only `orchestrator.handoff` changes it.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("shop_id", "user_id", name="uq_conversations_shop_user"),
        CheckConstraint(_in("mode", CONVERSATION_MODES), name="mode_valid"),
        Index("ix_conversations_shop_last", "shop_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20), default="twilio")
    profile_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mode: Mapped[str] = mapped_column(String(8), default="bot", server_default="bot")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handoff(Base):
    """One stretch of a conversation in `human` mode: why it started, when staff first
    answered, when and why it ended (`ended_at` NULL = open; at most one open each)."""

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(_in("reason", HANDOFF_REASONS), name="reason_valid"),
        CheckConstraint(
            f"end_reason IS NULL OR {_in('end_reason', HANDOFF_ENDS)}", name="end_valid"
        ),
        Index(
            "uq_handoffs_open",
            "conversation_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_handoffs_shop_started", "shop_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    # The inbound message whose turn started it (its reply is the handoff message).
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), nullable=True
    )
    started_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_staff_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    staff_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(8), nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(80), nullable=True)


class AppliedAction(Base):
    """The recorded result of one state-changing action for one inbound message.

    Written in the same transaction as the action's effects; a retried turn (same
    idempotency key, same action) gets these messages and events back instead of applying
    the effects again (`actions.turn.run_turn`).
    """

    __tablename__ = "applied_actions"
    __table_args__ = (
        UniqueConstraint("idempotency_key", "action", name="uq_applied_actions_key_action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    sender_id: Mapped[str] = mapped_column(String(160), default="")
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
