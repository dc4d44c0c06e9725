"""A fake Rasa server (REST channel, tracker, status) and a fake action-server health
endpoint, for the orchestrator's error-handling tier. Acceptance tests use the real Rasa."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, insert

from tests.fakes.server import FakeServer, Reply, Request, json_reply

Responder = Callable[[str, str], list[dict[str, Any]]]


def template_reply(
    text: str, facts: dict[str, Any] | None = None, action: str = "action_buscar_producto"
) -> Responder:
    """A responder answering `text` (and a facts payload when given) to every message."""

    def respond(sender: str, message: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"recipient_id": sender, "text": text}]
        if facts is not None:
            out.append({"recipient_id": sender, "custom": {"facts": facts, "action": action}})
        return out

    return respond


# The table of Rasa 3.6's SQLTrackerStore (rasa/core/tracker_store.py, `SQLEvent`).
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class FakeRasa(FakeServer):
    """Answers `/webhooks/rest/webhook` with `responder(sender, message)`.

    The tracker holds every message (its metadata, `intent` with confidence 0.97, the
    actions of its payloads and its bot messages), like Rasa's. `delay_s` makes every
    webhook call slow (for ordering tests); `fail_next` answers the next n calls with 500.
    With `tracker_store` (an engine) the events are also saved, before the answer, as rows
    of Rasa's SQLTrackerStore table `events` there (`RASA_EVENTS`), like Rasa with
    `tracker_store: type: SQL`.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        intent: str = "consultar_inventario",
        delay_s: float = 0.0,
    ) -> None:
        super().__init__()
        self.responder = responder or template_reply("¡Hola! ¿En qué te puedo ayudar?")
        self.intent, self.delay_s = intent, delay_s
        self.confidence = 0.97
        self.messages: list[tuple[str, str]] = []
        self.metadata: list[dict[str, Any] | None] = []
        self.fail_next = 0
        self._history: dict[str, list[dict[str, Any]]] = {}
        self.tracker_store: Engine | None = None

    def use_tracker_store(self, engine: Engine) -> None:
        """Save every turn's events in Rasa's `events` table of `engine` from now on."""
        RASA_EVENTS.create(engine, checkfirst=True)
        self.tracker_store = engine

    def _save(self, sender: str, events: list[dict[str, Any]]) -> None:
        if self.tracker_store is None:
            return
        rows = []
        for event in events:
            data = {**event, "timestamp": time.time()}
            intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
            rows.append(
                {
                    "sender_id": sender,
                    "type_name": data["event"],
                    "timestamp": data["timestamp"],
                    "intent_name": intent,
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        with self.tracker_store.begin() as conn:
            conn.execute(insert(RASA_EVENTS), rows)

    def handle(self, req: Request) -> Reply:
        if req.path == "/status":
            return json_reply(200, {"model_file": "fake.tar.gz"})
        if req.path == "/health":  # doubles as the action server's health endpoint
            return json_reply(200, {"status": "ok"})
        if req.method == "POST" and req.path == "/webhooks/rest/webhook":
            body = req.json()
            sender, message = body["sender"], body["message"]
            if self.delay_s:
                self.hang(self.delay_s)
            if self.fail_next > 0:
                self.fail_next -= 1
                return json_reply(500, {"error": "fake Rasa failure"})
            self.messages.append((sender, message))
            self.metadata.append(body.get("metadata"))
            answer = self.responder(sender, message)
            events = self._events(message, body.get("metadata"), answer)
            self._history.setdefault(sender, []).extend(events)
            self._save(sender, events)
            return json_reply(200, answer)
        if req.path.startswith("/conversations/") and req.path.endswith("/tracker"):
            sender = unquote(req.path.split("/")[2])
            events = self._history.get(sender) or self._events("", None, [])
            return json_reply(200, {"sender_id": sender, "events": events})
        return json_reply(404, {"error": "not found"})

    def _events(
        self, message: str, metadata: dict[str, Any] | None, answer: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        actions = [m["custom"].get("action") for m in answer if "custom" in m]
        bots: list[dict[str, Any]] = []
        for m in answer:
            if "text" in m:
                bots.append({"event": "bot", "text": m["text"], "data": {}})
            if "custom" in m:
                bots.append({"event": "bot", "text": None, "data": {"custom": m["custom"]}})
        return [
            {"event": "action", "name": "action_listen"},
            {
                "event": "user",
                "text": message,
                "metadata": metadata or {},
                "parse_data": {
                    "intent": {"name": self.intent, "confidence": self.confidence},
                    "entities": [
                        {
                            "entity": "producto",
                            "value": "arroz",
                            "start": 0,
                            "end": 5,
                            "extractor": "DIETClassifier",
                        }
                    ],
                },
            },
            *({"event": "action", "name": a} for a in actions if a),
            *bots,
            {"event": "action", "name": "action_listen"},
        ]
