"""Delivering a turn's replies exactly once: outbound rows first, then the sender.

The chunks of a reply are stored as `outbound_messages` (unique per inbound message and
sequence number) before anything is sent; a retried turn finds them and only sends the
ones not sent yet, in order, so a shopper never gets an answer twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import OutboundMessage
from db.session import session_scope
from orchestrator.senders import Sender, split_message

UNSENT = ("queued", "sending")


@dataclass
class Delivery:
    """What happened: all sent (`ok`), the bodies in order, the first error if any."""

    ok: bool
    bodies: list[str]
    error: str | None = None


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
) -> Delivery:
    """Store the chunks of `replies` (≤ 1,600 characters each), then send the unsent ones.

    A chunk whose send fails stops the delivery: later chunks are not sent out of order.
    """
    chunks = [chunk for text in replies for chunk in split_message(text)]
    with session_scope(session_factory) as s:
        existing = set(
            s.scalars(select(OutboundMessage.seq).where(OutboundMessage.inbound_id == inbound_id))
        )
        for seq, body in enumerate(chunks):
            if seq not in existing:
                s.add(
                    OutboundMessage(
                        shop_id=shop_id,
                        inbound_id=inbound_id,
                        seq=seq,
                        channel=channel,
                        to_number=to,
                        from_number=from_,
                        body=body,
                        status="queued",
                    )
                )
    with session_scope(session_factory) as s:
        rows = list(
            s.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.inbound_id == inbound_id)
                .order_by(OutboundMessage.seq)
            )
        )
        for row in rows:
            if row.status not in UNSENT:
                continue
            row.status, row.attempts = "sending", row.attempts + 1
            s.commit()
            result = sender.send(to=row.to_number, from_=row.from_number, body=row.body)
            row.status, row.provider_sid = result.status, result.sid
            row.error_code, row.error_message = result.error_code, result.error_message
            row.attempts += result.attempts - 1
            s.commit()
            if result.status == "failed":
                return Delivery(
                    False, [r.body for r in rows], f"{result.error_code}: {result.error_message}"
                )
        return Delivery(True, [r.body for r in rows])
