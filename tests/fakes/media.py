"""Fakes for WhatsApp media: Twilio's media host and the transcription / vision APIs.

`FakeMediaHost` serves files behind HTTP basic auth (Account SID / auth token) like
`api.twilio.com/…/Media/ME…`, and can serve a huge body (with or without Content-Length)
to prove a download stops at the limit. `FakeMediaAI` speaks OpenAI's
`/v1/audio/transcriptions` (multipart, checks the upload is an OGG file) and
`/v1/chat/completions` with an image, and Gemini's `generateContent` with inline audio or
image data; each answers a fixed text per test. Modes: `ok`, `hang` (sleep `hang_s`),
`error` (HTTP 500).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.fakes.server import FakeServer, Reply, Request, json_reply
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN

OGG_MAGIC = b"OggS"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FakeMediaHost(FakeServer):
    """Serves `files[path] = (content_type, body)` to requests with the Twilio credentials."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.auth = _basic(account_sid, auth_token)
        self.files: dict[str, tuple[str, bytes]] = {}
        self.huge: dict[str, tuple[str, int, bool]] = {}
        self.delay_s = 0.0

    def add(self, path: str, content_type: str, body: bytes) -> str:
        """Serve `body` at `path`; returns its URL."""
        self.files[path] = (content_type, body)
        return self.url + path

    def add_huge(self, path: str, content_type: str, size: int, *, declare: bool = True) -> str:
        """Serve `size` bytes at `path`, with a Content-Length only when `declare`."""
        self.huge[path] = (content_type, size, declare)
        return self.url + path

    def handle(self, req: Request) -> Reply:
        if req.headers.get("authorization") != self.auth:
            return json_reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if self.delay_s:
            self.hang(self.delay_s)
        if req.path in self.huge:
            ctype, size, declare = self.huge[req.path]
            headers = {"Content-Type": ctype}
            if declare:
                headers["Content-Length"] = str(size)
            return 200, headers, _zeros(size)
        if req.path not in self.files:
            return json_reply(404, {"code": 20404, "message": "not found", "status": 404})
        ctype, body = self.files[req.path]
        return 200, {"Content-Type": ctype}, body


def _zeros(size: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        n = min(chunk, size - sent)
        sent += n
        yield b"\0" * n


def multipart_fields(req: Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name → (filename, content)."""
    head = f"Content-Type: {req.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + req.body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


class FakeMediaAI(FakeServer):
    """OpenAI-compatible transcription + vision and Gemini generateContent, one fake.

    `transcript` answers voice notes, `vision_text` answers photos. `received` lists
    `(kind, content_type, bytes)` of every media the fake got.
    """

    def __init__(
        self, transcript: str = "", vision_text: str = "", mode: str = "ok", hang_s: float = 30.0
    ) -> None:
        super().__init__()
        self.transcript, self.vision_text = transcript, vision_text
        self.mode, self.hang_s = mode, hang_s
        self.received: list[tuple[str, str, bytes]] = []

    def _failing(self) -> Reply | None:
        if self.mode == "hang":
            self.hang(self.hang_s)
        if self.mode == "error":
            return json_reply(500, {"error": {"message": "fake failure", "code": 500}})
        return None

    def handle(self, req: Request) -> Reply:
        if req.method == "POST" and req.path == "/v1/audio/transcriptions":
            return self._transcription(req)
        if req.method == "POST" and req.path == "/v1/chat/completions":
            return self._vision(req)
        if req.method == "POST" and req.path.startswith("/v1beta/models/"):
            return self._gemini(req)
        return json_reply(404, {"error": {"message": "not found"}})

    def _transcription(self, req: Request) -> Reply:
        fields = multipart_fields(req)
        filename, audio = fields.get("file", (None, b""))
        if not audio.startswith(OGG_MAGIC):
            return json_reply(400, {"error": {"message": "not an OGG file", "code": 400}})
        self.received.append(("audio", "audio/ogg", audio))
        failing = self._failing()
        if failing:
            return failing
        model = fields.get("model", (None, b""))[1].decode()
        if not model or not filename:
            return json_reply(400, {"error": {"message": "model and file required"}})
        return json_reply(200, {"text": self.transcript})

    def _vision(self, req: Request) -> Reply:
        body: dict[str, Any] = req.json()
        user = next(m for m in body["messages"] if m["role"] == "user")
        images = [p for p in user["content"] if p.get("type") == "image_url"]
        if not images or not images[0]["image_url"]["url"].startswith("data:image/"):
            return json_reply(400, {"error": {"message": "no image"}})
        header, _, data = images[0]["image_url"]["url"].partition(",")
        self.received.append(("image", header[5:].split(";")[0], base64.b64decode(data)))
        failing = self._failing()
        if failing:
            return failing
        return json_reply(
            200,
            {
                "id": "chatcmpl-vision",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": self.vision_text},
                    }
                ],
            },
        )

    def _gemini(self, req: Request) -> Reply:
        body: dict[str, Any] = req.json()
        parts = [p for c in body.get("contents", []) for p in c.get("parts", [])]
        inline = [p.get("inlineData") or p.get("inline_data") for p in parts]
        blobs = [b for b in inline if b]
        if not blobs:
            return json_reply(400, {"error": {"code": 400, "message": "no inline data"}})
        mime = blobs[0].get("mimeType") or blobs[0].get("mime_type", "")
        # google-genai sends URL-safe base64, possibly without padding.
        raw = str(blobs[0]["data"])
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        kind = "audio" if mime.startswith("audio/") else "image"
        if kind == "audio" and not data.startswith(OGG_MAGIC):
            return json_reply(400, {"error": {"code": 400, "message": "not an OGG file"}})
        self.received.append((kind, mime, data))
        failing = self._failing()
        if failing:
            return failing
        text = self.transcript if kind == "audio" else self.vision_text
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
                "modelVersion": req.path.split("/")[-1].split(":")[0],
            },
        )
