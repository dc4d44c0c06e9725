"""Fake LLM servers: OpenAI-compatible chat completions (OpenRouter) and Gemini.

Modes: `echo` returns the draft (`borrador`) unchanged, `text` returns `self.text`,
`invent_price` appends a price that is in no facts, `hang` sleeps `hang_s` before answering,
`error` answers HTTP 500.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from tests.fakes.server import FakeServer, Reply, Request, json_reply

INVENTED = " ¡Y hoy te lo dejo en oferta a $1.234!"


class FakeLLM(FakeServer):
    """One fake serving both APIs: `/v1/chat/completions` and `/v1beta/models/*`."""

    def __init__(self, mode: str = "echo", text: str = "", hang_s: float = 30.0) -> None:
        super().__init__()
        self.mode, self.text, self.hang_s = mode, text, hang_s

    def _draft(self, user_content: str) -> str:
        try:
            return str(json.loads(user_content).get("borrador", ""))
        except (ValueError, AttributeError):
            return user_content

    def _answer(self, user_content: str) -> str | None:
        if self.mode == "hang":
            self.hang(self.hang_s)
        if self.mode == "error":
            return None
        if self.mode == "text":
            return self.text
        draft = self._draft(user_content)
        return draft + INVENTED if self.mode == "invent_price" else draft

    def handle(self, req: Request) -> Reply:
        if req.method == "POST" and req.path.endswith("/chat/completions"):
            return self._openai(req)
        gemini = re.match(r"^/v1beta/models/([^:]+):generateContent$", req.path)
        if req.method == "POST" and gemini:
            return self._gemini(req, gemini.group(1))
        return json_reply(404, {"error": {"message": "not found"}})

    def _openai(self, req: Request) -> Reply:
        body: dict[str, Any] = req.json()
        user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        text = self._answer(user)
        if text is None:
            return json_reply(500, {"error": {"message": "fake failure", "code": 500}})
        return json_reply(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                "usage": {
                    "prompt_tokens": len(user) // 4,
                    "completion_tokens": len(text) // 4,
                    "total_tokens": (len(user) + len(text)) // 4,
                },
            },
        )

    def _gemini(self, req: Request, model: str) -> Reply:
        body: dict[str, Any] = req.json()
        parts = [p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", [])]
        user = "".join(parts)
        text = self._answer(user)
        if text is None:
            return json_reply(
                500, {"error": {"code": 500, "message": "fake failure", "status": "INTERNAL"}}
            )
        return json_reply(
            200,
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": text}]},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": len(user) // 4,
                    "candidatesTokenCount": len(text) // 4,
                    "totalTokenCount": (len(user) + len(text)) // 4,
                },
                "modelVersion": model,
            },
        )
