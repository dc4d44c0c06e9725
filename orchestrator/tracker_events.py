"""The turn log's NLU detail read from Rasa's SQL tracker store, not from Rasa's API.

Rasa's REST channel answers only the bot messages; the turn log also wants the intent,
confidence, entities and actions of the turn. Asking Rasa (`GET /conversations/…/tracker`)
makes Rasa load and replay the whole tracker from its store and serialize it: serial work
on the one process that limits throughput (bench/RESULTS.md). Rasa's `SQLTrackerStore`
keeps the events in the app's own database by default (table `events`, scripts/rasa.sh),
and it saves the tracker before the REST channel answers, so the orchestrator reads the
turn's events there instead: newest first, back to the user event carrying this turn's
idempotency key. Nothing of Rasa's is written; `None` (the caller then asks Rasa's API)
when the table is missing or the key is not among the newest `max_events` events.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from db.session import read_scope
from orchestrator.logging import get_logger
from orchestrator.rasa_client import TurnDetail, event_key, parse_tracker

log = get_logger("orchestrator.tracker_events")

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, `SQLEvent`); not an app table.
EVENTS = table("events", column("id"), column("sender_id"), column("type_name"), column("data"))


class TrackerEvents:
    """Reads one turn's detail from Rasa's `events` table in the app database.

    Args:
        session_factory: the app database's sessions.
        max_events: how many of the conversation's newest events are looked through.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        max_events: int = 200,
        recheck_s: float = 60.0,
    ) -> None:
        self.sf = session_factory
        self.max_events = max_events
        self.recheck_s = recheck_s
        self._available = False
        self._checked_at = float("-inf")

    @property
    def available(self) -> bool:
        """True when the app database holds Rasa's `events` table. Once found it stays;
        until then it is looked for again every `recheck_s` (Rasa creates the table on its
        first start, possibly after the orchestrator's)."""
        if not self._available and time.monotonic() - self._checked_at >= self.recheck_s:
            self._checked_at = time.monotonic()
            try:
                self._available = bool(inspect(self.sf.kw["bind"]).has_table("events"))
            except SQLAlchemyError:
                self._available = False
        return self._available

    def turn_detail(self, sender: str, key: str) -> TurnDetail | None:
        """(intent, confidence, entities, actions) of the user message of `sender` with
        idempotency key `key`, or None when the table is not there or holds no such event."""
        if not key or not self.available:
            return None
        try:
            with read_scope(self.sf) as s:
                rows = s.execute(
                    select(EVENTS.c.type_name, EVENTS.c.data)
                    .where(EVENTS.c.sender_id == sender)
                    .order_by(EVENTS.c.id.desc())
                    .limit(self.max_events)
                ).all()
        except SQLAlchemyError as exc:
            log.warning("tracker_events.read_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            return None
        events: list[dict[str, Any]] = []
        for type_name, data in rows:  # newest first
            try:
                event = json.loads(data) if data else {}
            except ValueError:
                event = {}
            events.append(event if isinstance(event, dict) else {})
            if type_name == "user" and event_key(events[-1]) == key:
                events.reverse()
                return parse_tracker({"events": events}, key)
        return None
