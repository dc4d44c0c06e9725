"""The durable inbound queue in the database: store, claim, recover, finish.

A message is stored once (unique provider + message id). Workers claim the oldest waiting
message of each conversation that has none in flight (per-conversation order), with
`FOR UPDATE SKIP LOCKED` on PostgreSQL so several processes can share the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from db.models import InboundMessage, utcnow


@dataclass(frozen=True)
class Stored:
    """The stored inbound row id, and whether this call created it."""

    id: int
    created: bool


def store_inbound(session: Session, **values: Any) -> Stored:
    """Insert an inbound message unless (provider, provider_message_id) exists.

    Retried webhooks end here as no-ops. `values` are `InboundMessage` columns.
    """
    values.setdefault("received_at", utcnow())
    values.setdefault("status", "received")
    values.setdefault("media", [])
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(InboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
        .returning(InboundMessage.id)
    )
    new_id = session.execute(stmt).scalar_one_or_none()
    if new_id is not None:
        return Stored(new_id, True)
    existing = session.scalars(
        select(InboundMessage.id).where(
            InboundMessage.provider == values["provider"],
            InboundMessage.provider_message_id == values["provider_message_id"],
        )
    ).one()
    return Stored(existing, False)


def claim(session: Session, worker_id: str, limit: int) -> list[int]:
    """Claim up to `limit` messages: the oldest waiting one of each idle conversation.

    Claimed rows become `processing`, locked by `worker_id`, with `attempts` incremented.
    The caller commits.
    """
    if limit <= 0:
        return []
    m = InboundMessage
    other = aliased(InboundMessage)
    same_conversation = and_(other.to_number == m.to_number, other.from_number == m.from_number)
    stmt = (
        select(m.id)
        .where(
            m.status == "received",
            ~exists().where(same_conversation, other.status == "processing"),
            ~exists().where(same_conversation, other.status == "received", other.id < m.id),
        )
        .order_by(m.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=m)
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(
            update(m)
            .where(m.id.in_(ids))
            .values(
                status="processing",
                locked_by=worker_id,
                locked_at=utcnow(),
                attempts=m.attempts + 1,
            )
        )
    return ids


def recover_stale(session: Session, older_than_s: float) -> int:
    """Put `processing` rows locked longer than `older_than_s` back in the queue."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    result = session.execute(
        update(InboundMessage)
        .where(InboundMessage.status == "processing", InboundMessage.locked_at < cutoff)
        .values(status="received", locked_by=None, locked_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def finish(session: Session, inbound_id: int, *, ok: bool, error: str | None = None) -> None:
    """Mark a message `done` (or `failed` with `error`) and release its lock."""
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id)
        .values(
            status="done" if ok else "failed",
            error=error,
            processed_at=utcnow(),
            locked_by=None,
            locked_at=None,
        )
    )


def pending_count(session: Session) -> int:
    """Messages waiting or in flight (for health and tests)."""
    from sqlalchemy import func

    return int(
        session.scalar(
            select(func.count()).where(InboundMessage.status.in_(("received", "processing")))
        )
        or 0
    )
