"""A real Rasa server for tests: one process per test session, started from the Rasa venv.

`rasa_server` starts ``scripts/rasa.sh run`` (``rasa run --enable-api``) with the model for
the current training data on a free port and waits up to 180 s for ``/status``. Without a
trained model the tests fail when ``CI`` is set and are skipped otherwise (with the command
to run). The fixture is defined in ``tests/stack.py`` and registered by ``tests/conftest.py``,
so the Rasa and e2e tests share the process; the helpers stay here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_SH = ROOT / "scripts" / "rasa.sh"
# Loading the model takes ~40 s alone and several minutes on a loaded 2-core machine.
STARTUP_TIMEOUT_S = float(
    os.environ.get("RASA_STARTUP_TIMEOUT_S") or os.environ.get("TENDERO_RASA_STARTUP_S") or "420"
)


@dataclass(frozen=True)
class RasaServer:
    """A running Rasa server: its base URL and the model it serves."""

    url: str
    model: Path
    token: str = ""

    def parse(self, text: str) -> dict[str, Any]:
        """POST /model/parse and return Rasa's parse result (intent, entities, ...)."""
        return _post_json(f"{self.url}/model/parse?token={self.token}", {"text": text})


def _post_json(url: str, payload: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        result: dict[str, Any] = json.load(response)
        return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"a trained Rasa model is required in CI: {reason}")
    pytest.skip(reason)


def trained_model_path() -> Path | None:
    """The model for the current Rasa data (``scripts/rasa.sh model-path``), or None."""
    result = subprocess.run(
        [str(RASA_SH), "model-path"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    return Path(result.stdout.strip())


def _wait_until_ready(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    token: str = "",
    timeout: float = STARTUP_TIMEOUT_S,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Rasa exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/status?token={token}", timeout=5) as response:
                if response.status == 200 and json.load(response).get("model_file"):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1.0)
    raise RuntimeError(f"Rasa did not answer /status within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # the server's own process group
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# The `rasa_server` fixture itself lives in `tests/stack.py`, registered by `tests/conftest.py`,
# so the Rasa tests and the e2e tests share one Rasa process per session.
