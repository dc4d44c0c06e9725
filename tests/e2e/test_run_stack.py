"""`make run`'s stack runner: three real processes come up healthy and Ctrl-C stops them all.

Runs `scripts/run_stack.py` exactly as `make run` does (after set-up), on a seeded temporary
SQLite database and free ports, then checks `/health`, answers one chat turn, sends SIGINT
and verifies that no process of the stack outlives the runner.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.rasa.conftest import ROOT, _free_port, _unavailable, trained_model_path

pytestmark = pytest.mark.e2e
STARTUP_TIMEOUT_S = 300


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stack_comes_up_healthy_answers_and_stops_without_orphans(tmp_path: Path) -> None:
    if trained_model_path() is None:
        _unavailable("no trained Rasa model for the current data; run `make train`")
    db = f"sqlite:///{tmp_path / 'tendero.db'}"
    py = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(
        [
            py,
            "scripts/tendero.py",
            "--database-url",
            db,
            "seed-demo",
            "--token-file",
            str(tmp_path / "token"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    port, rasa_port, actions_port = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "PORT": str(port),
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "INDEX_DIR": str(tmp_path / "index"),
        "EXPORT_DIR": str(tmp_path / "exports"),
        "LLM_PROVIDER": "none",
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
    }
    output = tmp_path / "runner.out"
    out_file = output.open("wb")
    runner = subprocess.Popen(
        [py, "scripts/run_stack.py"],
        cwd=ROOT,
        env=env,
        stdout=out_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        healthy = False
        while time.monotonic() < deadline and runner.poll() is None:
            try:
                if httpx.get(f"{base}/health", timeout=3).status_code == 200:
                    healthy = True
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        assert healthy, f"stack not healthy (runner exit {runner.poll()})"
        checks = httpx.get(f"{base}/health", timeout=5).json()["checks"]
        for part in ("database", "rasa", "action_server"):
            assert checks[part]["ok"], checks

        reply = httpx.post(
            f"{base}/chat",
            timeout=60,
            json={"shop": "demo", "user": "+573009998877", "message": "hola"},
        )
        assert reply.status_code == 200
        assert reply.json()["replies"], reply.json()

        # The runner polls its processes once a second: wait for its own "up" banner before
        # Ctrl-C, or a fast test interrupts it between Rasa answering and the banner.
        deadline = time.monotonic() + 60
        while "Tendero is up" not in output.read_text(errors="replace"):
            assert time.monotonic() < deadline and runner.poll() is None, output.read_text()
            time.sleep(0.5)
        stack = _descendants(runner.pid)
        assert len(stack) >= 3  # rasa (via rasa.sh), action server, orchestrator
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=90)
        out_file.close()
        text = output.read_text(errors="replace")
        assert runner.returncode == 0, text
        assert "Tendero is up" in text and "All processes stopped" in text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in stack):
            time.sleep(0.5)
        orphans = {pid: _cmdline(pid) for pid in stack if _alive(pid)}
        assert not orphans, f"orphan processes after Ctrl-C: {orphans}"
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
        out_file.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
