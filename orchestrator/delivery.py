"""Delivering a turn's replies exactly once: outbound rows first, then the sender.

The chunks of a reply are stored as `outbound_messages` (unique per inbound message and
sequence number) before anything is sent; a retried turn finds them and only sends the
ones not sent yet, in order, so a shopper never gets an answer twice. The one "dame un
momento" message of a retried turn is stored the same way at sequence number `HOLD_SEQ`
(-1): sent at most once, never mistaken for the answer. A product image (`media_url`) or a
quick-reply template (`content_sid`, `content_variables`) rides on the first chunk and is
stored with it, so a resumed delivery sends exactly what was decided.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import UNSENT_STATUSES, OutboundMessage, OutboundStatus
from db.session import session_scope
from orchestrator.senders import Sender, split_message

UNSENT = UNSENT_STATUSES
HOLD_SEQ = -1


@dataclass
class Delivery:
    """What happened: all sent (`ok`), the bodies in order, the first error if any."""

    ok: bool
    bodies: list[str]
    error: str | None = None
    sent_now: bool = False


def deliver(
    session_factory: sessionmaker[Session],
    sender: Sender,
    *,
    inbound_id: int,
    shop_id: int | None,
    channel: str,
    to: str,
    from_: str,
    replies: list[str],
    first_seq: int = 0,
    media_url: str | None = None,
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
) -> Delivery:
    """Store the chunks of `replies` (≤ 1,600 characters each), then send the unsent ones.

    A chunk whose send fails stops the delivery: later chunks are not sent out of order.
    `first_seq=HOLD_SEQ` delivers the hold message, apart from the answer's chunks.
    `media_url` and the quick-reply template go with the first chunk.
    """
    chunks = [chunk for text in replies for chunk in split_message(text)]
    if first_seq == HOLD_SEQ:
        chunks, mine = chunks[:1], OutboundMessage.seq == HOLD_SEQ
    else:
        mine = OutboundMessage.seq >= 0
    with session_scope(session_factory) as s:
        # One transaction stores the missing chunks and marks the first unsent one
        # "sending" (fewer commits: each holds SQLite's write lock).
        existing = set(
            s.scalars(
                select(OutboundMessage.seq).where(OutboundMessage.inbound_id == inbound_id, mine)
            )
        )
        first: dict[str, Any] = {
            "media_url": media_url,
            "content_sid": content_sid,
            "content_variables": (
                json.dumps(content_variables, ensure_ascii=False)
                if content_sid and content_variables
                else None
            ),
        }
        for seq, body in enumerate(chunks, start=first_seq):
            if seq not in existing:
                extra = first if seq == first_seq else {}
                s.add(
                    OutboundMessage(
                        shop_id=shop_id,
                        inbound_id=inbound_id,
                        seq=seq,
                        channel=channel,
                        to_number=to,
                        from_number=from_,
                        body=body,
                        status=OutboundStatus.QUEUED,
                        **extra,
                    )
                )
        s.flush()
        rows = list(
            s.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.inbound_id == inbound_id, mine)
                .order_by(OutboundMessage.seq)
            )
        )
        sent_now = False
        for row in rows:
            # Twilio answers an accepted message with status "queued" and its sid: sent.
            if row.status not in UNSENT or row.provider_sid:
                continue
            row.status, row.attempts = OutboundStatus.SENDING, row.attempts + 1
            s.commit()
            sent_now = True
            result = sender.send(
                to=row.to_number,
                from_=row.from_number,
                body=row.body,
                media_url=row.media_url,
                content_sid=row.content_sid,
                content_variables=row.content_variables,
            )
            if row.content_sid and not result.content_used:  # sent as the text fallback
                row.content_sid, row.content_variables = None, None
            row.status, row.provider_sid = result.status, result.sid
            row.error_code, row.error_message = result.error_code, result.error_message
            row.attempts += result.attempts - 1
            s.commit()
            if result.status == OutboundStatus.FAILED:
                return Delivery(
                    False,
                    [r.body for r in rows],
                    f"{result.error_code}: {result.error_message}",
                    sent_now,
                )
        return Delivery(True, [r.body for r in rows], sent_now=sent_now)
