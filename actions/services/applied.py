"""Exactly-once effects: the recorded result of an action per idempotency key.

The orchestrator sends every turn to Rasa with `metadata.idempotency_key` (one per inbound
message). A state-changing action records what it answered (dispatched messages, returned
events) under (key, action name) in the same transaction as its effects; when the same key
comes back (a retried turn) the recorded answer is replayed and nothing is applied again.
The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AppliedAction

KEY_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Recorded:
    """What an action answered the first time it ran for a key."""

    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]


def key_of(metadata: Any) -> str | None:
    """The idempotency key in a user message's metadata, None when absent or unusable."""
    if not isinstance(metadata, dict):
        return None
    key = metadata.get(KEY_FIELD)
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        return None
    return key


def recorded(session: Session, *, key: str, action: str) -> Recorded | None:
    """The recorded result of `action` for `key`, None when it was never applied."""
    row = session.scalars(
        select(AppliedAction).where(
            AppliedAction.idempotency_key == key, AppliedAction.action == action
        )
    ).first()
    return Recorded(list(row.messages), list(row.events)) if row is not None else None


def record(
    session: Session,
    *,
    key: str,
    action: str,
    sender_id: str,
    messages: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """Record `action`'s answer for `key` (flushed: a concurrent duplicate fails here)."""
    session.add(
        AppliedAction(
            idempotency_key=key,
            action=action,
            sender_id=sender_id[:160],
            messages=[dict(m) for m in messages],
            events=[dict(e) for e in events],
        )
    )
    session.flush()
