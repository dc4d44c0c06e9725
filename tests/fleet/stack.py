"""The fleet of `make fleet` for tests: 2 of every process on one PostgreSQL database.

Built from the fault-test stack (`tests/faults/stack.py`): each replica slot is a
`FaultStack` whose action server, Rasa and orchestrator are real processes that can be
kill -9'd, and a `front` FaultStack whose ports are the round-robin proxies
(`scripts/rr_proxy.py`), so its `post`, `answers`, `cart`, `tracker_keys` helpers talk to
the fleet as a whole. Rasa replicas use `deploy/endpoints.fleet.yml` (SQL tracker store in
the test database, Redis lock store on 127.0.0.1:6379 with its own db number and key
prefix); the environment is the one `scripts/fleet.py` builds. Twilio and the LLM are the
in-process fakes, shared by all replicas.
"""

from __future__ import annotations

import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from scripts.fleet import ENDPOINTS, proxy_cmd, rasa_fleet_env
from tests.faults.stack import FaultStack, kill9
from tests.rasa.conftest import _stop

REDIS_URL = "redis://127.0.0.1:6379/7"
# Replicas load their models at the same time, on a machine other people share.
RASA_STARTUP_TIMEOUT_S = 1200.0
REDIS_ADDR, REDIS_DB = ("127.0.0.1", 6379), 7


def redis_command(*args: str) -> bytes:
    """Send one command to the test Redis (db 7) in RESP; the raw first reply line.

    The app venv has no Redis client (only Rasa's venv needs one); PING and one EVAL are
    all the suite sends.
    """

    def encode(*parts: str) -> bytes:
        out = [f"*{len(parts)}\r\n".encode()]
        for part in parts:
            data = part.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)

    with socket.create_connection(REDIS_ADDR, timeout=3) as sock:
        sock.sendall(encode("SELECT", str(REDIS_DB)) + encode(*args))
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.split(b"\r\n")[1]


def forget_locks(prefix: str) -> int:
    """Delete the lock keys under `prefix` (a killed replica leaves its lock behind)."""
    script = "local n = 0 for _, k in ipairs(redis.call('keys', ARGV[1])) do "
    script += "redis.call('del', k) n = n + 1 end return n"
    reply = redis_command("EVAL", script, "0", f"{prefix}*")
    return int(reply.lstrip(b":") or 0)


@dataclass
class Fleet:
    """Replica slots, the proxies in front of each tier and a `front` view of the whole."""

    front: FaultStack
    slots: list[FaultStack]
    redis_prefix: str
    proxies: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def _rasa_env(self) -> dict[str, str]:
        actions = f"http://127.0.0.1:{self.front.actions_port}"
        return rasa_fleet_env(actions, self.front.db_url, REDIS_URL, self.redis_prefix)

    def _app_env(self) -> dict[str, str]:
        return {
            "RASA_URL": self.front.rasa_url,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.front.actions_port}",
        }

    def start(self) -> None:
        """Proxies first (they only forward), then each tier, replicas in parallel."""
        tiers = {
            "actions": (self.front.actions_port, [s.actions_port for s in self.slots]),
            "rasa": (self.front.rasa_port, [s.rasa_port for s in self.slots]),
            "app": (self.front.app_port, [s.app_port for s in self.slots]),
        }
        for name, (listen, backends) in tiers.items():
            self.proxies[name] = self.front._spawn(f"proxy-{name}", proxy_cmd(listen, backends), {})
        with ThreadPoolExecutor(len(self.slots)) as pool:
            list(pool.map(lambda s: s.start_actions(), self.slots))
            list(pool.map(self.start_rasa, self.slots))
            list(pool.map(self.start_app, self.slots))

    def start_rasa(self, slot: FaultStack) -> None:
        """(Re)start the Rasa replica of `slot` with the fleet's endpoints."""
        slot.start_rasa(self._rasa_env(), endpoints=ENDPOINTS, timeout=RASA_STARTUP_TIMEOUT_S)

    def start_app(self, slot: FaultStack) -> None:
        """(Re)start the orchestrator of `slot`, talking to the Rasa tier's proxy."""
        slot.start_app(self._app_env())

    def kill_rasa(self, i: int) -> None:
        """kill -9 the Rasa replica of slot `i`."""
        kill9(self.slots[i].rasa)

    def kill_app(self, i: int) -> None:
        """kill -9 the orchestrator of slot `i`."""
        kill9(self.slots[i].app)

    def stop(self) -> None:
        """Stop every process of the fleet."""
        for slot in self.slots:
            slot.stop()
        for proxy in self.proxies.values():
            _stop(proxy)

    def logs(self, pattern: str) -> list[Path]:
        """Log files of all slots matching `pattern` (e.g. `app-*.log`)."""
        return sorted(p for s in self.slots for p in s.workdir.glob(pattern))
