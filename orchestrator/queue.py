"""The durable inbound queue in the database: store, claim, heartbeat, recover, finish.

A message is stored once (unique provider + message id). Workers claim the oldest waiting
message of each conversation that has none in flight (per-conversation order), with
`FOR UPDATE SKIP LOCKED` on PostgreSQL so several processes can share the queue. A worker
renews `heartbeat_at` of its claims every few seconds; a claim whose heartbeat stopped, or
whose worker process is gone, goes back to the queue (`recover_stale`, `release_locked_by`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from db.models import InboundMessage, InboundStatus, utcnow

# Waiting or in flight: what /health and /metrics call pending.
PENDING = (InboundStatus.RECEIVED, InboundStatus.PROCESSING)


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
    values.setdefault("status", InboundStatus.RECEIVED)
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
            m.status == InboundStatus.RECEIVED,
            ~exists().where(same_conversation, other.status == InboundStatus.PROCESSING),
            ~exists().where(
                same_conversation, other.status == InboundStatus.RECEIVED, other.id < m.id
            ),
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
                status=InboundStatus.PROCESSING,
                locked_by=worker_id,
                locked_at=utcnow(),
                heartbeat_at=utcnow(),
                attempts=m.attempts + 1,
            )
        )
    return ids


def heartbeat(session: Session, worker_id: str, ids: Collection[int]) -> int:
    """Renew the claims `ids` still held by `worker_id`; the number renewed."""
    if not ids:
        return 0
    m = InboundMessage
    result = session.execute(
        update(m)
        .where(m.id.in_(list(ids)), m.status == InboundStatus.PROCESSING, m.locked_by == worker_id)
        .values(heartbeat_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_RELEASED = {
    "status": InboundStatus.RECEIVED,
    "locked_by": None,
    "locked_at": None,
    "heartbeat_at": None,
}


def recover_stale(session: Session, older_than_s: float, keep: Collection[int] = ()) -> int:
    """Put `processing` rows whose heartbeat is older than `older_than_s` back in the queue.

    Rows in `keep` (the caller's own claims in flight) are never touched. Rows claimed
    before heartbeats existed fall back to their `locked_at`.
    """
    m = InboundMessage
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    stale = or_(m.heartbeat_at < cutoff, and_(m.heartbeat_at.is_(None), m.locked_at < cutoff))
    stmt = update(m).where(m.status == InboundStatus.PROCESSING, stale)
    if keep:
        stmt = stmt.where(m.id.not_in(list(keep)))
    result = session.execute(stmt.values(**_RELEASED))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def lockers(session: Session, prefix: str) -> list[str]:
    """The distinct `locked_by` values of `processing` rows starting with `prefix`."""
    m = InboundMessage
    return list(
        session.scalars(
            select(m.locked_by)
            .where(
                m.status == InboundStatus.PROCESSING,
                m.locked_by.startswith(prefix, autoescape=True),
            )
            .distinct()
        )
    )


def release_locked_by(session: Session, worker_id: str) -> int:
    """Put every `processing` row of `worker_id` (a dead process) back in the queue."""
    m = InboundMessage
    result = session.execute(
        update(m)
        .where(m.status == InboundStatus.PROCESSING, m.locked_by == worker_id)
        .values(**_RELEASED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release(session: Session, inbound_id: int, worker_id: str) -> None:
    """Give one claim back (its turn could not finish); it is claimed again later."""
    m = InboundMessage
    session.execute(
        update(m)
        .where(m.id == inbound_id, m.status == InboundStatus.PROCESSING, m.locked_by == worker_id)
        .values(**_RELEASED)
    )


def finish(session: Session, inbound_id: int, *, ok: bool, error: str | None = None) -> None:
    """Mark a message `done` (or `failed` with `error`) and release its lock."""
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id)
        .values(
            status=InboundStatus.DONE if ok else InboundStatus.FAILED,
            error=error,
            processed_at=utcnow(),
            locked_by=None,
            locked_at=None,
            heartbeat_at=None,
        )
    )


def pending_count(session: Session) -> int:
    """Messages waiting or in flight (for health and tests)."""
    return int(session.scalar(select(func.count()).where(InboundMessage.status.in_(PENDING))) or 0)


def oldest_pending_age_s(session: Session) -> float:
    """Seconds since the oldest message waiting or in flight was received (0 when none)."""
    oldest = session.scalar(
        select(func.min(InboundMessage.received_at)).where(InboundMessage.status.in_(PENDING))
    )
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite returns the aggregate untyped
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (utcnow() - oldest).total_seconds())
