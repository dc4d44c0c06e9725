"""scripts/rr_proxy.py: connections alternate between backends; a backend that refuses
connections is skipped; with none left the client sees the connection closed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from scripts.rr_proxy import parse_hostport, serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _backend(name: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _proxy(backends: list[tuple[str, int]]) -> Iterator[str]:
    port = _free_port()
    loop = asyncio.new_event_loop()
    task: asyncio.Task[None] | None = None

    def run() -> None:
        nonlocal task
        asyncio.set_event_loop(loop)
        task = loop.create_task(serve(("127.0.0.1", port), backends, install_signals=False))
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
        rest = asyncio.all_tasks(loop)  # connections still being copied
        for t in rest:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(lambda: task and task.cancel())
    thread.join(timeout=5)


@pytest.fixture
def backends() -> Iterator[list[ThreadingHTTPServer]]:
    servers = [_backend("a"), _backend("b")]
    yield servers
    for s in servers:
        s.shutdown()
        s.server_close()


def _addr(server: ThreadingHTTPServer) -> tuple[str, int]:
    return "127.0.0.1", int(server.server_address[1])


def _get(url: str) -> str:
    # A fresh connection per request: the proxy balances connections.
    with httpx.Client() as client:
        return client.get(url, timeout=5).text


def test_connections_alternate_between_backends(backends: list[ThreadingHTTPServer]) -> None:
    for url in _proxy([_addr(s) for s in backends]):
        got = [_get(url) for _ in range(4)]
        assert sorted(got) == ["a", "a", "b", "b"]
        assert all(x != y for x, y in itertools.pairwise(got)), got


def test_a_backend_that_refuses_connections_is_skipped(
    backends: list[ThreadingHTTPServer],
) -> None:
    dead = ("127.0.0.1", _free_port())  # nothing listens there
    for url in _proxy([dead, _addr(backends[1])]):
        assert [_get(url) for _ in range(3)] == ["b", "b", "b"]


def test_no_backend_left_closes_the_client_connection() -> None:
    for url in _proxy([("127.0.0.1", _free_port())]):
        with pytest.raises(httpx.HTTPError):
            _get(url)


@pytest.mark.parametrize("bad", ["nohost", ":80", "h:0", "h:x", "h:70000"])
def test_bad_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_hostport(bad)
