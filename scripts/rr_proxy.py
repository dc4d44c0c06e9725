"""A tiny round-robin TCP proxy: one listening port in front of several replicas.

Run: `python scripts/rr_proxy.py --listen 127.0.0.1:5005 --backends 127.0.0.1:5101,127.0.0.1:5102`

Each new client connection goes to the next backend in turn; a backend that refuses the
connection (down, restarting) is skipped and the next one tried, so a dead replica costs a
retry of the connect, not a failed request. Bytes are copied both ways until either side
closes. It balances connections, not requests: a client that keeps a connection alive stays
on one replica until it reconnects. That is enough here because Rasa opens a fresh
connection for every action call and the orchestrator's pool holds one connection per turn
in flight (WORKER_CONCURRENCY). Used by `make fleet` and `tests/fleet/` for the Rasa and
action-server tiers (Rasa's action endpoint takes one URL) and for the orchestrators; the
compose profile uses it for the internal tiers and Caddy for the public one.

Why not a library: the standard library's asyncio streams do it in ~100 lines, and nginx or
HAProxy are not installed on the development machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("rr_proxy")
CONNECT_TIMEOUT_S = 3.0
CHUNK = 64 * 1024


def parse_hostport(value: str) -> tuple[str, int]:
    """`host:port` → (host, port); raises ValueError on anything else."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {value!r}")
    return host, int(port)


@dataclass
class RoundRobin:
    """The backends and the turn counter; `connect` returns the next one that answers."""

    backends: list[tuple[str, int]]
    _turn: itertools.count = field(default_factory=itertools.count)
    connections: dict[tuple[str, int], int] = field(default_factory=dict)

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Open a connection to the next live backend, trying each at most once."""
        start = next(self._turn)
        for offset in range(len(self.backends)):
            backend = self.backends[(start + offset) % len(self.backends)]
            try:
                streams = await asyncio.wait_for(
                    asyncio.open_connection(*backend), CONNECT_TIMEOUT_S
                )
            except (OSError, TimeoutError) as exc:
                log.warning("backend %s:%s unavailable: %s", *backend, exc)
                continue
            self.connections[backend] = self.connections.get(backend, 0) + 1
            return streams
        return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ConnectionError):
        await writer.wait_closed()


def handler(
    rr: RoundRobin,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """The per-connection callback of `asyncio.start_server`."""

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        streams = await rr.connect()
        if streams is None:
            log.error("no backend available; closing the client connection")
            await _close(client_w)
            return
        backend_r, backend_w = streams
        await asyncio.gather(_pipe(client_r, backend_w), _pipe(backend_r, client_w))
        await _close(backend_w)
        await _close(client_w)

    return handle


async def serve(
    listen: tuple[str, int],
    backends: Sequence[tuple[str, int]],
    *,
    install_signals: bool = True,
) -> None:
    """Proxy `listen` to `backends` until SIGTERM/SIGINT (or the task is cancelled)."""
    rr = RoundRobin(list(backends))
    server = await asyncio.start_server(handler(rr), *listen, reuse_address=True)
    stop = asyncio.Event()
    if install_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    log.info("listening on %s:%s → %s", *listen, ", ".join(f"{h}:{p}" for h, p in backends))
    async with server:
        await stop.wait()
    log.info("stopped; connections per backend: %s", rr.connections)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: --listen host:port --backends host:port,host:port,..."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port to listen on")
    parser.add_argument("--backends", required=True, help="comma-separated host:port list")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s rr_proxy %(message)s")
    try:
        listen = parse_hostport(args.listen)
        backends = [parse_hostport(b) for b in args.backends.split(",") if b.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    if not backends:
        parser.error("--backends needs at least one host:port")
    asyncio.run(serve(listen, backends))
    return 0


if __name__ == "__main__":
    sys.exit(main())
