"""Messages the shop starts (order updates, staff alerts): the one way to write them.

WhatsApp allows free text to a number only inside the 24-hour customer-service window that
number's last message to the shop opened (`inbound_messages`); outside it only an approved
template may go out (Twilio Content API: `content_sid` + `content_variables`). `notify`
decides, per message, and writes one `outbound_messages` row (no `inbound_id`) in the
caller's transaction, so the notification exists exactly when the change that caused it
was committed:

- opted out (`opt_outs`, BAJA): status ``opted_out``, never sent;
- not a WhatsApp number (a local `/chat` user): ``recorded``, nothing to send;
- inside the window: ``queued`` free text;
- outside with a template for the kind (`Shop.notification_templates`): ``queued`` with the
  Content SID and variables (the text is kept as the dashboard's description);
- outside without one: ``needs_template``, never sent, listed by the admin API.

Queued rows are sent by `orchestrator.notifications.send_pending`. Answers to a shopper's own
message are not notifications: they go through the turn pipeline, opted out or not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.identity import verified_phone
from db.models import InboundMessage, OptOut, OutboundMessage, Shop, utcnow

WINDOW = timedelta(hours=24)
KINDS = ("order_status", "low_stock")


class NotifyStatus(StrEnum):
    """What `notify` did with a message (the `outbound_messages.status` it wrote)."""

    QUEUED = "queued"
    NEEDS_TEMPLATE = "needs_template"
    OPTED_OUT = "opted_out"
    RECORDED = "recorded"


@dataclass(frozen=True)
class NotifyResult:
    """The row `notify` wrote (or found, for a repeated `dedupe_key`) and why."""

    status: str
    outbound_id: int
    in_window: bool
    content_sid: str | None = None
    reason: str | None = None
    duplicate: bool = False


def _phone(raw: str) -> str:
    return raw.strip().removeprefix("whatsapp:")


def last_inbound_at(session: Session, shop_id: int, phone: str) -> datetime | None:
    """When `phone` last wrote to shop `shop_id` over WhatsApp (None: never)."""
    return session.scalar(
        select(func.max(InboundMessage.received_at)).where(
            InboundMessage.shop_id == shop_id,
            InboundMessage.provider == "twilio",
            InboundMessage.from_number == _phone(phone),
        )
    )


def in_window(session: Session, shop_id: int, phone: str, now: datetime | None = None) -> bool:
    """True when `phone`'s last message to the shop is less than 24 hours old."""
    last = last_inbound_at(session, shop_id, phone)
    if last is None:
        return False
    if isinstance(last, str):  # SQLite returns the aggregate untyped
        last = datetime.fromisoformat(last)
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return (now or utcnow()) - last < WINDOW


def is_opted_out(session: Session, shop_id: int, phone: str) -> bool:
    """True when `phone` asked the shop (BAJA) to stop the messages it starts."""
    return bool(
        session.scalar(
            select(OptOut.opted_out).where(OptOut.shop_id == shop_id, OptOut.phone == _phone(phone))
        )
    )


def set_opt_out(
    session: Session, shop_id: int, phone: str, *, opted_out: bool, keyword: str = ""
) -> bool:
    """Store `phone`'s choice for the shop; True when it changed. Flushes."""
    row = session.scalars(
        select(OptOut).where(OptOut.shop_id == shop_id, OptOut.phone == _phone(phone))
    ).first()
    if row is None:
        if not opted_out:
            return False  # never opted out: nothing to undo
        session.add(OptOut(shop_id=shop_id, phone=_phone(phone), opted_out=True, keyword=keyword))
        session.flush()
        return True
    if row.opted_out == opted_out:
        return False
    row.opted_out, row.keyword = opted_out, keyword[:200]
    session.flush()
    return True


def content_variables(variables: dict[str, Any] | None) -> str:
    """Twilio's `ContentVariables`: a JSON object of string values (`{"1": "12"}`)."""
    return json.dumps({str(k): str(v) for k, v in (variables or {}).items()}, ensure_ascii=False)


def notify(
    session: Session,
    shop: Shop,
    to_phone: str,
    kind: str,
    text: str,
    variables: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> NotifyResult:
    """Write the shop-initiated message `text` (`kind`) to `to_phone`; see the module doc.

    `variables` fill the kind's template outside the window. A `dedupe_key` already used
    returns the earlier row instead of writing another (one event, one notification).
    Flushes; the caller commits (and then wakes the sender).
    """
    if dedupe_key is not None:
        earlier = session.scalars(
            select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key)
        ).first()
        if earlier is not None:
            return NotifyResult(
                earlier.status,
                earlier.id,
                earlier.content_sid is None,
                earlier.content_sid,
                earlier.error_message,
                duplicate=True,
            )
    phone = verified_phone(_phone(to_phone))
    row = OutboundMessage(
        shop_id=shop.id,
        inbound_id=None,
        seq=0,
        channel="twilio",
        to_number=phone or to_phone,
        from_number=shop.whatsapp_number,
        body=text,
        kind=kind,
        dedupe_key=dedupe_key,
    )
    open_window = phone is not None and in_window(session, shop.id, phone, now)
    reason: str | None = None
    if phone is None:
        row.status, reason = NotifyStatus.RECORDED.value, "not a WhatsApp number"
    elif is_opted_out(session, shop.id, phone):
        row.status, reason = NotifyStatus.OPTED_OUT.value, "the number opted out (BAJA)"
    elif open_window:
        row.status = NotifyStatus.QUEUED.value
    elif sid := (shop.notification_templates or {}).get(kind):
        row.status = NotifyStatus.QUEUED.value
        row.content_sid, row.content_variables = sid, content_variables(variables)
    else:
        row.status = NotifyStatus.NEEDS_TEMPLATE.value
        reason = f"outside the 24-hour window and no template for {kind!r}"
    row.error_message = reason
    session.add(row)
    session.flush()
    return NotifyResult(row.status, row.id, open_window, row.content_sid, reason)
