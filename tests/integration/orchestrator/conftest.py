"""Fixtures for the orchestrator on a real database with fake Rasa, Twilio and LLM servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import ConversationLog, InboundMessage, OutboundMessage, Shop
from orchestrator.app import create_app
from orchestrator.settings import Settings
from tests.factories import make_product, make_shop
from tests.fakes import fixtures as fake_fixtures
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, message_sid, sign

# The fakes' fixtures, registered for this directory.
fake_llm = fake_fixtures.fake_llm
fake_rasa = fake_fixtures.fake_rasa
fake_twilio = fake_fixtures.fake_twilio

PUBLIC = "https://bot.tendero.test"
SHOP_NUMBER = "+14155550100"
USER = "+573001234567"


@pytest.fixture
def shop(session_factory: sessionmaker[Session]) -> Shop:
    """A shop on SHOP_NUMBER with two products."""
    with session_factory() as s:
        shop = make_shop(
            s, slug="tienda", whatsapp_number=SHOP_NUMBER, persona="Eres Rosita, amable."
        )
        make_product(s, shop, name="Arroz Diana 500 g", price=3500, stock=20)
        make_product(s, shop, name="Aceite Premier girasol 1000 ml", price=14900, stock=5)
        s.commit()
        return shop


def settings_for(db_url: str, rasa_url: str, twilio_url: str | None, **kw: Any) -> Settings:
    """Test settings: fakes on loopback, no `.env`, fast worker polling."""
    values: dict[str, Any] = {
        "database_url": db_url,
        "run_migrations_on_start": False,
        "rasa_url": rasa_url,
        "action_server_url": rasa_url,
        "public_base_url": PUBLIC,
        "twilio_auth_token": AUTH_TOKEN,
        "worker_poll_interval_s": 0.1,
        "twilio_retry_backoff_s": 0.01,
        "log_format": "json",
        "log_level": "WARNING",
    }
    if twilio_url:
        values.update(
            twilio_account_sid=ACCOUNT_SID,
            twilio_whatsapp_from=SHOP_NUMBER,
            twilio_api_base=twilio_url,
        )
    values.update(kw)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


AppFactory = Callable[..., Any]


@pytest.fixture
def app_client(db_url: str, fake_rasa: FakeRasa, fake_twilio: FakeTwilio, shop: Shop) -> AppFactory:
    """`with app_client(**settings) as client:` runs the app (lifespan, worker) on the fakes."""

    @contextmanager
    def run(**kw: Any) -> Iterator[TestClient]:
        settings = settings_for(
            db_url, kw.pop("rasa_url", fake_rasa.url), kw.pop("twilio_url", fake_twilio.url), **kw
        )
        with TestClient(create_app(settings)) as client:
            yield client

    return run


@contextmanager
def serve(app: Any, **config: Any) -> Iterator[str]:
    """Run `app` with a real uvicorn on a free loopback port (lifespan included); yield its URL.

    `config` goes to `uvicorn.Config` (default `log_level="error"`).
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config.setdefault("log_level", "error")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def whatsapp_form(
    body: str, *, sid: str | None = None, frm: str = USER, to: str = SHOP_NUMBER, **extra: str
) -> dict[str, str]:
    """Form fields of a Twilio inbound WhatsApp webhook."""
    return {
        "SmsMessageSid": sid or "",
        "NumMedia": "0",
        "ProfileName": "Ana",
        "MessageType": "text",
        "WaId": frm.lstrip("+"),
        "Body": body,
        "To": f"whatsapp:{to}",
        "From": f"whatsapp:{frm}",
        "MessageSid": sid or message_sid(),
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def post_signed(
    client: TestClient,
    path: str,
    form: dict[str, str],
    signature: str | None = None,
    url: str | None = None,
) -> Any:
    """POST `form` to `path` signed for the public URL, as Twilio would."""
    sig = signature if signature is not None else sign(url or PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": sig})


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `predicate` until truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def rows(session_factory: sessionmaker[Session], model: Any, *where: Any) -> list[Any]:
    """All rows of `model` (ordered by id)."""
    with session_factory() as s:
        return list(s.scalars(select(model).where(*where).order_by(model.id)))


def logs(sf: sessionmaker[Session]) -> list[ConversationLog]:
    """All turn log rows."""
    return rows(sf, ConversationLog)


def inbound(sf: sessionmaker[Session]) -> list[InboundMessage]:
    """All inbound rows."""
    return rows(sf, InboundMessage)


def outbound(sf: sessionmaker[Session]) -> list[OutboundMessage]:
    """All outbound rows."""
    return rows(sf, OutboundMessage)
