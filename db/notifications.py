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
# Kinds a shop may map to a template (`plantillas`): order updates, low-stock alerts to
# staff, and the human handoff's messages (docs/HANDOFF.md).
KINDS = (
    "order_status",
    "low_stock",
    "handoff_alert",
    "handoff_forward",
    "handoff_idle_notice",
    "staff_reply",
    "handoff_ended",
    "handoff_idle_return",
)
# Messages that answer the shopper's own request for a person (`decide`).
REPLY_KINDS = frozenset({"staff_reply", "handoff_ended", "handoff_idle_return"})


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
    rule = decide(session, shop, to_phone, kind, variables, now=now)
    row = OutboundMessage(
        shop_id=shop.id,
        inbound_id=None,
        seq=0,
        channel="twilio",
        to_number=rule.to_number,
        from_number=shop.whatsapp_number,
        body=text,
        kind=kind,
        dedupe_key=dedupe_key,
        status=rule.status.value,
        content_sid=rule.content_sid,
        content_variables=rule.content_variables,
        error_message=rule.reason,
    )
    session.add(row)
    session.flush()
    return NotifyResult(row.status, row.id, rule.in_window, row.content_sid, rule.reason)


@dataclass(frozen=True)
class Decision:
    """How a shop-initiated message to one number may go out (see the module doc)."""

    status: NotifyStatus
    to_number: str
    in_window: bool
    content_sid: str | None = None
    content_variables: str | None = None
    reason: str | None = None


def decide(
    session: Session,
    shop: Shop,
    to_phone: str,
    kind: str,
    variables: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> Decision:
    """The rules of the module doc for one message of `kind` to `to_phone`.

    Kinds in `REPLY_KINDS` answer a conversation the shopper opened with a person (a staff
    reply, the hand-back): the opt-out, which stops what the shop starts on its own, does not
    stop them; the 24-hour window does.
    """
    phone = verified_phone(_phone(to_phone))
    if phone is None:
        return Decision(NotifyStatus.RECORDED, to_phone, False, reason="not a WhatsApp number")
    open_window = in_window(session, shop.id, phone, now)
    if kind not in REPLY_KINDS and is_opted_out(session, shop.id, phone):
        return Decision(
            NotifyStatus.OPTED_OUT, phone, open_window, reason="the number opted out (BAJA)"
        )
    if open_window:
        return Decision(NotifyStatus.QUEUED, phone, True)
    if sid := (shop.notification_templates or {}).get(kind):
        return Decision(NotifyStatus.QUEUED, phone, False, sid, content_variables(variables))
    return Decision(
        NotifyStatus.NEEDS_TEMPLATE,
        phone,
        False,
        reason=f"outside the 24-hour window and no template for {kind!r}",
    )
