"""A fake Rasa server (REST channel, tracker, status) and a fake action-server health
endpoint, for the orchestrator's error-handling tier. Acceptance tests use the real Rasa."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

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


class FakeRasa(FakeServer):
    """Answers `/webhooks/rest/webhook` with `responder(sender, message)`.

    The tracker reports `intent` with confidence 0.97 and the action of the last payload.
    `delay_s` makes every webhook call slow (for ordering tests).
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
        self.messages: list[tuple[str, str]] = []
        self._last: dict[str, tuple[str, list[dict[str, Any]]]] = {}

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
            self.messages.append((sender, message))
            answer = self.responder(sender, message)
            self._last[sender] = (message, answer)
            return json_reply(200, answer)
        if req.path.startswith("/conversations/") and req.path.endswith("/tracker"):
            sender = unquote(req.path.split("/")[2])
            message, answer = self._last.get(sender, ("", []))
            actions = [m["custom"].get("action") for m in answer if "custom" in m]
            events = [
                {"event": "action", "name": "action_listen"},
                {
                    "event": "user",
                    "text": message,
                    "parse_data": {
                        "intent": {"name": self.intent, "confidence": 0.97},
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
                {"event": "action", "name": "action_listen"},
            ]
            return json_reply(200, {"sender_id": sender, "events": events})
        return json_reply(404, {"error": "not found"})
