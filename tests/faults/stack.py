"""A whole stack for fault tests, every part a real process that can be kill -9'd.

Real Rasa (trained model, SQL tracker store in the same SQLite file as the app), the real
action server and the orchestrator as a uvicorn subprocess, all on free ports; Twilio and
the LLM are the in-process fakes. One stack per fault module; each scenario talks as a
fresh phone number.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import AppliedAction, InboundMessage, Order, OutboundMessage, Product
from orchestrator import queue
from tests.fakes.llm import FakeLLM
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, message_sid, sign
from tests.rasa.conftest import (
    RASA_SH,
    ROOT,
    STARTUP_TIMEOUT_S,
    _free_port,
    _stop,
    _wait_until_ready,
)
from tests.stack import ACTION_SERVER_TOKEN, RASA_TOKEN, SECRET_KEY

PUBLIC = "https://tendero.faults.test"
DEMO_NUMBER = "+14155238886"
_phones = itertools.count(1)


def new_phone() -> str:
    """A phone number no other scenario uses."""
    return f"+5731{int(time.time()) % 100000:05d}{next(_phones):03d}"


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or exc.code == 503:  # /health is 503 while a part is down
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not up within {timeout:.0f} s")


def kill9(process: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL the process group and reap it (a zombie would look alive)."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class FaultStack:
    """The processes, fakes and database of one fault module."""

    workdir: Path
    db_url: str
    sf: sessionmaker[Session]
    twilio: FakeTwilio
    llm: FakeLLM
    rasa_port: int = field(default_factory=_free_port)
    actions_port: int = field(default_factory=_free_port)
    app_port: int = field(default_factory=_free_port)
    rasa: subprocess.Popen[bytes] | None = None
    actions: subprocess.Popen[bytes] | None = None
    app: subprocess.Popen[bytes] | None = None
    _logs: itertools.count = field(default_factory=itertools.count)

    @property
    def app_url(self) -> str:
        """The orchestrator's base URL."""
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def rasa_url(self) -> str:
        """Rasa's base URL."""
        return f"http://127.0.0.1:{self.rasa_port}"

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.workdir / f"{name}-{next(self._logs)}.log"
        with log.open("wb") as out:
            return subprocess.Popen(
                cmd,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def latest_log(self, name: str) -> Path:
        return max(self.workdir.glob(f"{name}-*.log"), key=lambda p: p.stat().st_mtime)

    def start_rasa(
        self,
        extra_env: dict[str, str] | None = None,
        endpoints: Path | None = None,
        timeout: float = STARTUP_TIMEOUT_S,
    ) -> None:
        """Rasa with the trained model; its tracker store is the app's database. A fleet
        passes its own endpoints file (lock store), `extra_env` (its variables) and a
        longer start-up `timeout` (replicas load their models at the same time)."""
        self.rasa = self._spawn(
            "rasa",
            [str(RASA_SH), "run", *(["--endpoints", str(endpoints)] if endpoints else [])],
            {
                "RASA_PORT": str(self.rasa_port),
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
                "RASA_TOKEN": RASA_TOKEN,
                "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
                "TRACKER_STORE_URL": self.db_url,
                **(extra_env or {}),
            },
        )
        _wait_until_ready(self.rasa_url, self.rasa, self.latest_log("rasa"), RASA_TOKEN, timeout)

    def start_actions(self, sleep_after_commit_s: float = 0.0) -> None:
        """The action server (slowed after each commit when asked)."""
        module = "tests.faults.slow_actions" if sleep_after_commit_s else "actions.server"
        self.actions = self._spawn(
            "actions",
            [sys.executable, "-m", module, "--port", str(self.actions_port)],
            {
                "DATABASE_URL": self.db_url,
                "APP_ENV": "development",
                "SEARCH_BACKEND": "chargram",
                "INDEX_DIR": str(self.workdir / "index"),
                "EXPORT_DIR": str(self.workdir / "exports"),
                "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
                "SECRET_KEY": SECRET_KEY,
                "FAULT_SLEEP_AFTER_COMMIT_S": str(sleep_after_commit_s),
                "PYTHONWARNINGS": "ignore",
            },
        )
        url = f"http://127.0.0.1:{self.actions_port}/health"
        _wait_http(url, self.actions, self.latest_log("actions"), 120)

    def start_app(self, extra_env: dict[str, str] | None = None) -> float:
        """The orchestrator under uvicorn (`extra_env` overrides settings); returns the
        monotonic time it was spawned."""
        spawned = time.monotonic()
        env = {
            "APP_ENV": "development",
            "DATABASE_URL": self.db_url,
            "RUN_MIGRATIONS_ON_START": "false",
            "RASA_URL": self.rasa_url,
            "RASA_TOKEN": RASA_TOKEN,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}",
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": DEMO_NUMBER,
            "TWILIO_API_BASE": self.twilio.url,
            "TWILIO_RETRY_BACKOFF_S": "0.05",
            "LLM_PROVIDER": "openrouter",
            "OPENROUTER_API_KEY": "sk-or-fault-test",
            "OPENROUTER_BASE_URL": f"{self.llm.url}/v1",
            "OPENROUTER_MODEL": "fake/model",
            "LLM_TIMEOUT_S": "30",
            "WORKER_POLL_INTERVAL_S": "0.2",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        self.app = self._spawn(
            "app",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "orchestrator.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.app_port),
                "--no-access-log",
            ],
            env,
        )
        _wait_http(f"{self.app_url}/health", self.app, self.latest_log("app"), 60)
        return spawned

    def stop(self) -> None:
        """Stop every process this stack started."""
        for process in (self.app, self.actions, self.rasa):
            if process is not None:
                _stop(process)

    # ------------------------------------------------------------------ Twilio side
    def post(self, phone: str, body: str, sid: str | None = None, timeout: float = 30.0) -> Any:
        """POST one signed inbound webhook as Twilio would; returns the response."""
        sid = sid or message_sid()
        form = {
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ProfileName": "Cliente",
            "WaId": phone.lstrip("+"),
            "Body": body,
            "To": f"whatsapp:{DEMO_NUMBER}",
            "From": f"whatsapp:{phone}",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
        }
        return httpx.post(
            f"{self.app_url}/twilio/whatsapp",
            data=form,
            headers={"X-Twilio-Signature": sign(f"{PUBLIC}/twilio/whatsapp", form)},
            timeout=timeout,
        )

    def post_until_accepted(self, phone: str, body: str, sid: str, deadline_s: float) -> int:
        """Retry the webhook like Twilio until a 200; returns the number of tries."""
        end, tries = time.monotonic() + deadline_s, 0
        while True:
            tries += 1
            try:
                if self.post(phone, body, sid, timeout=20).status_code == 200:
                    return tries
            except httpx.HTTPError:
                pass
            if time.monotonic() > end:
                raise AssertionError(f"webhook never accepted {sid} in {deadline_s} s")
            time.sleep(1.0)

    # ------------------------------------------------------------------ observations
    def answers(self, phone: str) -> list[OutboundMessage]:
        """Outbound rows to `phone` (answers and hold messages), in order."""
        with self.sf() as s:
            return list(
                s.scalars(
                    select(OutboundMessage)
                    .where(OutboundMessage.to_number == phone)
                    .order_by(OutboundMessage.inbound_id, OutboundMessage.seq)
                )
            )

    def inbound(self, phone: str) -> list[InboundMessage]:
        """Inbound rows from `phone`."""
        with self.sf() as s:
            return list(
                s.scalars(select(InboundMessage).where(InboundMessage.from_number == phone))
            )

    def cart(self, phone: str) -> dict[str, int]:
        """Product name → quantity in `phone`'s orders."""
        with self.sf() as s:
            out: dict[str, int] = {}
            for order in s.scalars(select(Order).where(Order.user_id == phone)):
                for item in order.items:
                    name = s.get(Product, item.product_id).name  # type: ignore[union-attr]
                    out[name] = out.get(name, 0) + item.quantity
            return out

    def applied(self, key: str) -> int:
        """How many actions recorded an answer for idempotency key `key`."""
        with self.sf() as s:
            return int(
                s.scalar(select(func.count()).where(AppliedAction.idempotency_key == key)) or 0
            )

    def pending(self) -> int:
        """Inbound messages waiting or in flight."""
        with self.sf() as s:
            return queue.pending_count(s)

    def tracker_keys(self, phone: str) -> list[str]:
        """Idempotency keys of the user events in `phone`'s Rasa tracker, in order."""
        resp = httpx.get(
            f"{self.rasa_url}/conversations/demo:{phone}/tracker",
            params={"token": RASA_TOKEN},
            timeout=10,
        )
        resp.raise_for_status()
        return [
            (e.get("metadata") or {}).get("idempotency_key", "")
            for e in resp.json().get("events", [])
            if e.get("event") == "user"
        ]


def wait_until(predicate: Any, timeout: float, what: str) -> Any:
    """Poll `predicate` every 50 ms until truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")
