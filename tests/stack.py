"""Session-wide servers of the real stack for tests: one Rasa process and its action server.

`rasa_server` (shared by `tests/rasa` and `tests/e2e`) runs ``scripts/rasa.sh run`` once
per test session, pointed at `action_server_url`; the action server itself is started only
by the tests that need it (`start_action_server`), on that URL.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rasa.conftest import (
    RASA_SH,
    ROOT,
    RasaServer,
    _free_port,
    _stop,
    _unavailable,
    _wait_until_ready,
    trained_model_path,
)

ACTION_SERVER_TIMEOUT_S = 120.0
# Internal tokens of this test session's Rasa and action server (docs/SECURITY.md).
RASA_TOKEN = os.environ.get("TEST_RASA_TOKEN") or secrets.token_urlsafe(24)
ACTION_SERVER_TOKEN = os.environ.get("TEST_ACTION_SERVER_TOKEN") or secrets.token_urlsafe(24)
# Signs the action server's download links; the e2e orchestrator verifies with the same key.
SECRET_KEY = os.environ.get("TEST_SECRET_KEY") or secrets.token_urlsafe(24)


def _external_rasa() -> str | None:
    """`TEST_RASA_URL` outside CI (CI always starts its own Rasa with the current model)."""
    return None if os.environ.get("CI") else os.environ.get("TEST_RASA_URL")


@pytest.fixture(scope="session")
def action_server_url() -> str:
    """Where this session's action server listens (started on demand).

    With `TEST_RASA_URL` (a Rasa you started yourself, to skip its minute-long start in a
    development loop), `TEST_ACTION_SERVER_URL` must name the action URL that Rasa uses.
    """
    if _external_rasa():
        return os.environ["TEST_ACTION_SERVER_URL"].removesuffix("/webhook")
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture(scope="session")
def rasa_server(
    tmp_path_factory: pytest.TempPathFactory, action_server_url: str
) -> Iterator[RasaServer]:
    """Start ``rasa run --enable-api`` with the current model once per test session."""
    external = _external_rasa()
    if external:
        yield RasaServer(
            url=external.rstrip("/"),
            model=Path(os.environ.get("TEST_RASA_MODEL", "")),
            token=RASA_TOKEN,
        )
        return
    model = trained_model_path()
    if model is None:
        _unavailable("no trained Rasa model for the current data; run `make train`")
    assert model is not None
    port = _free_port()
    log = tmp_path_factory.mktemp("rasa") / "rasa-server.log"
    env = {
        **os.environ,
        "RASA_PORT": str(port),
        "ACTION_ENDPOINT_URL": f"{action_server_url}/webhook",
        "RASA_TOKEN": RASA_TOKEN,
        "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
        # This session's conversations, never the developer's var/tendero.db.
        "TRACKER_STORE_URL": f"sqlite:///{log.parent / 'tracker.db'}",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(RASA_SH), "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process, log, RASA_TOKEN)
        yield RasaServer(url=url, model=model, token=RASA_TOKEN)
    finally:
        _stop(process)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=3) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start_action_server(url: str, database_url: str, workdir: Path) -> subprocess.Popen[bytes]:
    """Run ``python -m actions.server`` on `url`'s port against `database_url`."""
    port = url.rsplit(":", 1)[1]
    log = workdir / "action-server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "development",
        "INDEX_DIR": str(workdir / "index"),
        "EXPORT_DIR": str(workdir / "exports"),
        "PYTHONWARNINGS": "ignore",
        "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
        "SECRET_KEY": SECRET_KEY,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "actions.server", "--port", port],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + ACTION_SERVER_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"action server exited:\n{log.read_text(errors='replace')[-3000:]}")
        if _healthy(url):
            return process
        time.sleep(0.5)
    _stop(process)
    raise RuntimeError(f"action server not healthy within {ACTION_SERVER_TIMEOUT_S:.0f} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own process group."""
    _stop(process)
