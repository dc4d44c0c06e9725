"""Run Tendero as a fleet on one machine, without Docker: `make fleet`.

Two of everything (FLEET_REPLICAS=n for another number): action servers, Rasa replicas
and orchestrators, with a round-robin TCP proxy (`scripts/rr_proxy.py`) in front of each
tier, all on one PostgreSQL database (created when missing, migrated, demo shop seeded):

    shoppers ─► :8000 proxy ─► orchestrator 1..n ─► :5005 proxy ─► Rasa 1..n
                                                                       │ action calls
                                                  :5055 proxy ◄────────┘
                                                      └─► action server 1..n

Rasa replicas share the SQL tracker store (the app database's `events` table) and Rasa's
Redis lock store (`deploy/endpoints.fleet.yml`), which serialises one conversation's
messages across replicas; orchestrators share the durable inbound queue (claims with
`FOR UPDATE SKIP LOCKED`, one conversation in flight at a time). `tests/fleet/` runs the
same topology with fake Twilio and LLM servers.

Environment: FLEET_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/tendero_fleet), REDIS_URL (default
redis://127.0.0.1:6379/6), REDIS_KEY_PREFIX (default tenderofleet), FLEET_BASE_PORT
(default 5100: replicas listen on base+1.. so the public ports stay the usual 8000, 5005,
5055), PORT / RASA_PORT / ACTIONS_PORT for the proxies. Logs in var/logs/fleet-*.log.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python scripts/fleet.py`
    sys.path.insert(0, str(ROOT))

ENDPOINTS = ROOT / "deploy" / "endpoints.fleet.yml"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tendero_fleet"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
# Longer than the slowest Rasa turn, shorter than the orchestrator's Rasa timeout (30 s):
# a lock left by a killed replica blocks that conversation for at most this long.
TICKET_LOCK_LIFETIME_S = 20


def redis_env(url: str, key_prefix: str) -> dict[str, str]:
    """The REDIS_* variables of `deploy/endpoints.fleet.yml` from a redis:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:6379/6, got {url!r}")
    if not key_prefix.isalnum():
        raise ValueError(f"REDIS_KEY_PREFIX must be alphanumeric, got {key_prefix!r}")
    db = parts.path.lstrip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"the Redis database number must be an integer, got {db!r}")
    return {
        "REDIS_HOST": parts.hostname,
        "REDIS_PORT": str(parts.port or 6379),
        "REDIS_DB": db,
        "REDIS_PASSWORD": parts.password or "",
        "REDIS_KEY_PREFIX": key_prefix,
    }


def rasa_fleet_env(
    actions_url: str, tracker_store_url: str, redis_url: str, key_prefix: str
) -> dict[str, str]:
    """Everything a Rasa replica of the fleet needs besides its port and tokens."""
    return {
        "ACTION_ENDPOINT_URL": f"{actions_url.rstrip('/')}/webhook",
        "TRACKER_STORE_URL": tracker_store_url,
        "TICKET_LOCK_LIFETIME": str(TICKET_LOCK_LIFETIME_S),
        # Rasa's tracker-store pool: its default is 50 + 100 overflow per replica.
        "SQL_POOL_SIZE": "5",
        "SQL_MAX_OVERFLOW": "10",
        **redis_env(redis_url, key_prefix),
    }


def proxy_cmd(listen_port: int, backend_ports: list[int]) -> list[str]:
    """The command line of a round-robin proxy on loopback."""
    backends = ",".join(f"127.0.0.1:{p}" for p in backend_ports)
    return [
        sys.executable,
        str(ROOT / "scripts" / "rr_proxy.py"),
        "--listen",
        f"127.0.0.1:{listen_port}",
        "--backends",
        backends,
    ]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` when it does not exist."""
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        raise SystemExit("make fleet needs PostgreSQL: set FLEET_DATABASE_URL=postgresql://...")
    admin = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{target.database}"')


@dataclass(frozen=True)
class Ports:
    """Public (proxy) and per-replica ports of a fleet of `n`."""

    n: int
    base: int
    app: int
    rasa: int
    actions: int

    def replica(self, tier: int, i: int) -> int:
        """Port of replica `i` (0-based) of tier 0 (actions), 1 (Rasa) or 2 (orchestrator)."""
        return self.base + tier * 10 + i + 1


def build_services(ports: Ports, db_url: str, redis_url: str, prefix: str) -> list[Any]:
    """The fleet's processes, in start order (run_stack.Service)."""
    from scripts.run_stack import Service

    py = str(ROOT / ".venv" / "bin" / "python")
    actions_url = f"http://127.0.0.1:{ports.actions}"
    rasa_url = f"http://127.0.0.1:{ports.rasa}"
    common = {"DATABASE_URL": db_url}
    out: list[Service] = []
    for i in range(ports.n):
        port = ports.replica(0, i)
        out.append(
            Service(
                f"fleet-actions-{i + 1}",
                [py, "-m", "actions.server", "--port", str(port)],
                f"http://127.0.0.1:{port}/health",
                common,
            )
        )
    out.append(
        Service(
            "fleet-actions-proxy",
            proxy_cmd(ports.actions, [ports.replica(0, i) for i in range(ports.n)]),
            f"{actions_url}/health",
        )
    )
    rasa_env = rasa_fleet_env(actions_url, db_url, redis_url, prefix)
    for i in range(ports.n):
        port = ports.replica(1, i)
        out.append(
            Service(
                f"fleet-rasa-{i + 1}",
                ["bash", "scripts/rasa.sh", "run", "--endpoints", str(ENDPOINTS)],
                f"http://127.0.0.1:{port}/",
                {**rasa_env, "RASA_PORT": str(port)},
            )
        )
    out.append(
        Service(
            "fleet-rasa-proxy",
            proxy_cmd(ports.rasa, [ports.replica(1, i) for i in range(ports.n)]),
            f"{rasa_url}/",
        )
    )
    for i in range(ports.n):
        port = ports.replica(2, i)
        out.append(
            Service(
                f"fleet-orchestrator-{i + 1}",
                [
                    py,
                    "-m",
                    "uvicorn",
                    "orchestrator.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
                f"http://127.0.0.1:{port}/health",
                {
                    **common,
                    "RUN_MIGRATIONS_ON_START": "false",
                    "RASA_URL": rasa_url,
                    "ACTION_SERVER_URL": actions_url,
                },
            )
        )
    out.append(
        Service(
            "fleet-proxy",
            proxy_cmd(ports.app, [ports.replica(2, i) for i in range(ports.n)]),
            f"http://127.0.0.1:{ports.app}/health",
        )
    )
    return out


def main() -> int:
    """Create/migrate the database, start the fleet, wait for Ctrl-C, stop everything."""
    import subprocess

    import httpx

    from scripts.run_stack import console, ensure_local_secrets, status_table, tail

    db_url = os.environ.get("FLEET_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    prefix = os.environ.get("REDIS_KEY_PREFIX", "tenderofleet")
    n = int(os.environ.get("FLEET_REPLICAS", "2"))
    ports = Ports(
        n=n,
        base=int(os.environ.get("FLEET_BASE_PORT", "5100")),
        app=int(os.environ.get("PORT", "8000")),
        rasa=int(os.environ.get("RASA_PORT", "5005")),
        actions=int(os.environ.get("ACTIONS_PORT", "5055")),
    )
    redis_env(redis_url, prefix)  # fail early on a bad URL or prefix
    ensure_database(db_url)
    env = {**os.environ, **ensure_local_secrets(), "DATABASE_URL": db_url}
    subprocess.run(
        [sys.executable, "scripts/tendero.py", "seed-demo"], cwd=ROOT, env=env, check=True
    )
    services = build_services(ports, db_url, redis_url, prefix)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    for s in services:
        s.start(env)
    deadline = time.monotonic() + float(os.environ.get("STARTUP_TIMEOUT_S", "420"))
    with httpx.Client() as client:
        while not stopping and not all(s.check(client) for s in services):
            dead = next((s for s in services if s.proc and s.proc.poll() is not None), None)
            if dead or time.monotonic() > deadline:
                console.print(status_table(services))
                if dead:
                    console.print(f"[red]{dead.name} exited.[/] Last lines of its log:")
                    console.print(tail(ROOT / "var" / "logs" / f"{dead.name}.log"), markup=False)
                for s in reversed(services):
                    s.stop()
                return 1
            time.sleep(2)
    if not stopping:
        console.print(status_table(services))
        console.print(
            f"[bold green]Fleet up[/]: {n} orchestrators behind http://127.0.0.1:{ports.app}/, "
            f"{n} Rasa replicas behind :{ports.rasa}, {n} action servers behind "
            f":{ports.actions}; database {db_url.rsplit('@', 1)[-1]}, lock store "
            f"{redis_url.rsplit('@', 1)[-1]} (prefix {prefix}). Logs: var/logs/fleet-*. "
            "Stop: Ctrl-C"
        )
    while not stopping:
        dead = next((s for s in services if s.proc and s.proc.poll() is not None), None)
        if dead:
            console.print(f"[red]{dead.name} stopped unexpectedly[/] (var/logs/{dead.name}.log)")
            break
        time.sleep(1)
    for s in reversed(services):
        s.stop()
    console.print("All fleet processes stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
