"""Messages the shop starts: `notify` writes them (`db.notifications`), `Notifier` sends them.

`notify(session, shop, to_phone, kind, text, variables)` is the one entry point for every
shop-initiated message (order updates, staff alerts, staff replies…): it applies WhatsApp's
24-hour rule and the shopper's opt-out and writes an `outbound_messages` row in the caller's
transaction. After the commit, `wake(app_state)` lets the `Notifier` thread send the queued
rows at once through the same sender as the replies (`orchestrator.senders`); it also polls,
so a row committed by another process (the action server) goes out within `poll_s`.

A row is marked ``sending`` and committed before the provider is called; a row left in
``sending`` without a provider id for `stale_s` (a crash mid-send) is tried again, like the
replies' outbox (`orchestrator.delivery`).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import OutboundMessage, OutboundStatus, utcnow
from db.notifications import (
    KINDS,
    NotifyResult,
    NotifyStatus,
    in_window,
    is_opted_out,
    notify,
    set_opt_out,
)
from db.session import session_scope
from orchestrator.logging import get_logger
from orchestrator.senders import Sender

log = get_logger("orchestrator.notifications")

__all__ = [
    "KINDS",
    "Notifier",
    "NotifyResult",
    "NotifyStatus",
    "in_window",
    "is_opted_out",
    "notify",
    "send_pending",
    "set_opt_out",
    "wake",
]


def _claim(session: Session, limit: int, stale_s: float) -> list[OutboundMessage]:
    o = OutboundMessage
    stale = utcnow() - timedelta(seconds=stale_s)
    stmt = (
        select(o)
        .where(
            o.inbound_id.is_(None),
            o.kind.is_not(None),
            o.provider_sid.is_(None),
            or_(
                o.status == OutboundStatus.QUEUED,
                and_(o.status == OutboundStatus.SENDING, o.updated_at < stale),
            ),
        )
        .order_by(o.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for row in rows:
        row.status, row.attempts = OutboundStatus.SENDING, row.attempts + 1
    return rows


def send_pending(
    session_factory: sessionmaker[Session], sender: Sender, *, limit: int = 50, stale_s: float = 60
) -> int:
    """Send up to `limit` queued notifications, oldest first; the number handed to `sender`."""
    with session_scope(session_factory) as s:
        claimed = [
            (r.id, r.to_number, r.from_number, r.body, r.content_sid, r.content_variables)
            for r in _claim(s, limit, stale_s)
        ]
    for row_id, to, from_, body, sid, variables in claimed:
        result = sender.send(
            to=to, from_=from_, body=body, content_sid=sid, content_variables=variables
        )
        with session_scope(session_factory) as s:
            row = s.get(OutboundMessage, row_id)
            if row is None:
                continue
            row.status, row.provider_sid = result.status, result.sid
            row.error_code, row.error_message = result.error_code, result.error_message
            row.attempts += result.attempts - 1
        log.info(
            "notification.sent",
            outbound_id=row_id,
            status=result.status,
            template=bool(sid),
            error_code=result.error_code,
        )
    return len(claimed)


class Notifier:
    """A thread sending queued notifications when woken and every `poll_s` seconds."""

    def __init__(
        self, session_factory: sessionmaker[Session], sender: Sender, *, poll_s: float = 2.0
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sending thread."""
        self._thread = threading.Thread(target=self._loop, name="notifier", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Rows were committed: send them now."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the current batch."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                sent = send_pending(self.session_factory, self.sender)
            except Exception as exc:  # database down: try again on the next tick, never die
                log.error("notification.send_failed", error=f"{type(exc).__name__}: {exc}"[:300])
                sent = 0
            if not sent:
                self._wake.wait(self.poll_s)


def wake(state: Any) -> None:
    """Wake the app's `Notifier` (`app.state.services.notifier`), when there is one."""
    notifier = getattr(getattr(state, "services", None), "notifier", None)
    if notifier is not None:
        notifier.wake()
