"""Run the whole Tendero stack locally: Rasa, the action server and the orchestrator.

Started by `make run` after set-up. Each process runs in its own process group with its
output in `var/logs/<name>.log`; the runner waits until all three are healthy (Rasa needs
about a minute to load its model), prints where to chat, and on Ctrl-C (or if any process
dies) stops all of them: SIGTERM, then SIGKILL after a grace period. No orphans.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "logs"
console = Console()


@dataclass
class Service:
    """One process of the stack and how to tell it is healthy."""

    name: str
    cmd: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    healthy: bool = False
    started: float = 0.0

    def start(self, base_env: dict[str, str]) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = open(LOGS / f"{self.name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env={**base_env, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: Ctrl-C is ours to forward
        )

    def check(self, client: httpx.Client) -> bool:
        if self.healthy:
            return True
        try:
            self.healthy = client.get(self.health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            self.healthy = False
        return self.healthy

    def _group_alive(self) -> bool:
        assert self.proc is not None
        self.proc.poll()  # reap the leader so it does not count as alive
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the whole process group, wait for every member, SIGKILL after `grace`.

        The leader may exit before its children (e.g. `bash scripts/rasa.sh` before Rasa
        itself), so waiting for the leader alone would leave orphans behind.
        """
        if self.proc is None or not self._group_alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self._group_alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            while self._group_alive():
                time.sleep(0.1)


def build_services() -> list[Service]:
    rasa_port = os.environ.get("RASA_PORT", "5005")
    actions_port = os.environ.get("ACTIONS_PORT", "5055")
    port = os.environ.get("PORT", "8000")
    py = str(ROOT / ".venv" / "bin" / "python")
    return [
        Service(
            "actions",
            [py, "-m", "rasa_sdk", "--actions", "actions", "-p", actions_port],
            f"http://127.0.0.1:{actions_port}/health",
        ),
        Service(
            "rasa",
            ["bash", "scripts/rasa.sh", "run"],
            f"http://127.0.0.1:{rasa_port}/status",
            {
                "RASA_PORT": rasa_port,
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            },
        ),
        Service(
            "orchestrator",
            [
                py,
                "-m",
                "uvicorn",
                "orchestrator.app:create_app",
                "--factory",
                "--host",
                os.environ.get("HOST", "127.0.0.1"),
                "--port",
                port,
            ],
            f"http://127.0.0.1:{port}/health",
            {
                "RASA_URL": f"http://127.0.0.1:{rasa_port}",
                "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}",
            },
        ),
    ]


def status_table(services: list[Service]) -> Table:
    table = Table(title="Starting Tendero", show_header=True)
    for col in ("process", "state", "seconds", "log"):
        table.add_column(col)
    for s in services:
        dead = s.proc is not None and s.proc.poll() is not None
        state = (
            "[red]exited[/]"
            if dead
            else ("[green]healthy[/]" if s.healthy else "[yellow]starting…[/]")
        )
        table.add_row(
            s.name, state, f"{time.monotonic() - s.started:.0f}", f"var/logs/{s.name}.log"
        )
    return table


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main() -> int:
    services = build_services()
    env = dict(os.environ)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    for s in services:
        s.start(env)
    deadline = time.monotonic() + float(os.environ.get("STARTUP_TIMEOUT_S", "300"))
    failed: Service | None = None
    with (
        httpx.Client() as client,
        Live(status_table(services), console=console, refresh_per_second=2) as live,
    ):
        while not stopping and not all(s.check(client) for s in services):
            failed = next((s for s in services if s.proc and s.proc.poll() is not None), None)
            if failed or time.monotonic() > deadline:
                break
            live.update(status_table(services))
            time.sleep(1)
        live.update(status_table(services))
    if stopping or failed or not all(s.healthy for s in services):
        if failed:
            console.print(f"[red]{failed.name} exited during start-up.[/] Last lines of its log:")
            console.print(tail(LOGS / f"{failed.name}.log"), markup=False, highlight=False)
        elif not stopping:
            console.print("[red]Timed out waiting for the stack to become healthy.[/]")
        for s in reversed(services):
            s.stop()
        return 0 if stopping else 1

    port = os.environ.get("PORT", "8000")
    token_file = ROOT / "var" / "demo_admin_token"
    console.print(
        f"\n[bold green]Tendero is up.[/] Chat at [cyan]http://127.0.0.1:{port}/[/] "
        "or run [cyan]make chat[/] in another terminal."
    )
    console.print(
        f"Health: http://127.0.0.1:{port}/health   Dashboard: http://127.0.0.1:{port}/admin/ui"
    )
    if token_file.exists():
        console.print(f"Demo shop admin token: [bold]{token_file.read_text().strip()}[/]")
    console.print("Twilio webhook: POST /twilio/whatsapp   Logs: var/logs/   Stop: Ctrl-C\n")
    while not stopping:
        dead = next((s for s in services if s.proc and s.proc.poll() is not None), None)
        if dead:
            console.print(
                f"[red]{dead.name} stopped unexpectedly[/] (see var/logs/{dead.name}.log)"
            )
            break
        time.sleep(1)
    console.print("Stopping…")
    for s in reversed(services):
        s.stop()
    console.print("All processes stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
