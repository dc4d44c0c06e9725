"""A tiny threaded HTTP server base for fakes: subclasses implement `handle`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request a fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or b"null")


# A reply body is bytes, or an iterable of chunks streamed without Content-Length (chunked)
# unless the headers carry one; `FakeServer.streamed` counts the bytes actually written.
Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]


def json_reply(status: int, data: Any) -> Reply:
    """A JSON response."""
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


class FakeServer:
    """Serves `handle()` on 127.0.0.1 at a free port in a daemon thread; records requests."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.streamed = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                req = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                if "form-urlencoded" in req.headers.get("content-type", ""):
                    req.form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
                with fake._lock:
                    fake.requests.append(req)
                try:
                    status, headers, payload = fake.handle(req)
                except Exception as exc:  # a bug in a fake must show, not hang the client
                    status, headers, payload = json_reply(500, {"fake_error": repr(exc)})
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if isinstance(payload, bytes):
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                    else:
                        self._stream(payload, chunked="Content-Length" not in headers)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (timeouts, limits)

            def _stream(self, chunks: Iterable[bytes], *, chunked: bool) -> None:
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(
                        f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
                    )
                    self.wfile.flush()
                    with fake._lock:
                        fake.streamed += len(chunk)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Start serving; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging handlers and stop."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def hang(self, seconds: float) -> None:
        """Block the current request for `seconds` (released early by `stop`)."""
        self._release.wait(seconds)

    def handle(self, req: Request) -> Reply:
        """Answer one request (subclasses)."""
        return json_reply(404, {"error": "not found"})
