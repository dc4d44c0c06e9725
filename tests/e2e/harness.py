"""The whole stack: the real trained Rasa model, the real action server, the orchestrator,
with Twilio and the LLM providers as fake servers on 127.0.0.1.

One Rasa process and one action server serve the whole session, on one PostgreSQL database
seeded with the demo shop; each test talks as a different phone number. The fixtures are
registered by `tests/conftest.py`, so `tests/e2e`, `tests/security` and
`tests/conversations` share one stack per session.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import ConversationLog, InboundMessage, OutboundMessage, Product, Shop
from db.seed import load_demo
from db.session import make_engine, make_session_factory, session_scope
from orchestrator.app import create_app
from orchestrator.settings import Settings
from tests.conftest import drop_pg_database, fresh_pg_database
from tests.fakes import fixtures as fake_fixtures
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, message_sid, sign
from tests.rasa.conftest import RasaServer
from tests.stack import SECRET_KEY, start_action_server, stop_process

fake_llm = fake_fixtures.fake_llm
fake_twilio = fake_fixtures.fake_twilio

PUBLIC = "https://tendero.e2e.test"
DEMO_NUMBER = "+14155238886"
_phones = itertools.count(1)


@pytest.fixture(scope="session")
def e2e_db_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    """A PostgreSQL database with the demo shop, shared by the action server and the app."""
    url, name = fresh_pg_database(pg_admin_url, pg_template)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        load_demo(s, admin_token="e2e-admin-token")
    engine.dispose()
    yield url
    drop_pg_database(pg_admin_url, name)


@pytest.fixture(scope="session")
def action_server(
    action_server_url: str, e2e_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real action server on the session's action-server URL."""
    process = start_action_server(action_server_url, e2e_db_url, tmp_path_factory.mktemp("actions"))
    yield action_server_url
    stop_process(process)


@pytest.fixture(scope="session")
def e2e_sf(e2e_db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the e2e database (for assertions)."""
    engine = make_engine(e2e_db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def phone() -> str:
    """A phone number no other test of the session uses (a fresh Rasa conversation)."""
    return f"+5730{int(time.time()) % 100000:05d}{next(_phones):03d}"


DEMO_CATALOG = Path(__file__).resolve().parents[2] / "db" / "demo" / "catalog.json"


def restock_demo(sf: sessionmaker[Session]) -> None:
    """Put the demo catalog's stock back: the session's tests share one database, and
    orders closed by earlier tests (the conversation suite closes dozens) sell it out."""
    stock = {p["sku"]: int(p["stock"]) for p in json.loads(DEMO_CATALOG.read_text("utf-8"))}
    with session_scope(sf) as s:
        demo = s.scalar(select(Shop.id).where(Shop.slug == "demo"))
        for sku, units in stock.items():
            s.execute(
                update(Product)
                .where(Product.shop_id == demo, Product.sku == sku)
                .values(stock=units)
            )


@pytest.fixture
def stack(
    rasa_server: RasaServer,
    action_server: str,
    e2e_db_url: str,
    e2e_sf: sessionmaker[Session],
    fake_twilio: FakeTwilio,
) -> Callable[..., Any]:
    """`with stack(**settings) as client:` runs the orchestrator on the real Rasa (with the
    demo shop's stock as in its catalog file)."""

    @contextmanager
    def run(**kw: Any) -> Iterator[TestClient]:
        restock_demo(e2e_sf)
        values: dict[str, Any] = {
            "database_url": e2e_db_url,
            "run_migrations_on_start": False,
            "rasa_url": rasa_server.url,
            "rasa_token": rasa_server.token,
            "secret_key": SECRET_KEY,
            "action_server_url": action_server,
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_whatsapp_from": DEMO_NUMBER,
            "twilio_api_base": fake_twilio.url,
            "worker_poll_interval_s": 0.1,
            "twilio_retry_backoff_s": 0.01,
            "log_format": "json",
            "log_level": "WARNING",
        }
        values.update(kw)
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        with TestClient(create_app(settings)) as client:
            yield client

    return run


def send_whatsapp(
    client: TestClient, phone: str, body: str, sid: str | None = None, to: str = DEMO_NUMBER
) -> str:
    """POST a signed inbound WhatsApp webhook; returns its MessageSid."""
    sid = sid or message_sid()
    form = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Cliente",
        "WaId": phone.lstrip("+"),
        "Body": body,
        "To": f"whatsapp:{to}",
        "From": f"whatsapp:{phone}",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
    }
    resp = client.post(
        "/twilio/whatsapp",
        data=form,
        headers={"X-Twilio-Signature": sign(f"{PUBLIC}/twilio/whatsapp", form)},
    )
    assert resp.status_code == 200, resp.text
    return sid


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll `predicate` until truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout} s")


def turn_logs(sf: sessionmaker[Session], phone: str) -> list[ConversationLog]:
    """The turn log rows of `phone`, oldest first."""
    with sf() as s:
        return list(
            s.scalars(
                select(ConversationLog)
                .where(ConversationLog.user_id == phone)
                .order_by(ConversationLog.id)
            )
        )


def inbound_of(sf: sessionmaker[Session], phone: str) -> list[InboundMessage]:
    """Inbound rows of `phone`."""
    with sf() as s:
        return list(
            s.scalars(
                select(InboundMessage)
                .where(InboundMessage.from_number == phone)
                .order_by(InboundMessage.id)
            )
        )


def outbound_to(sf: sessionmaker[Session], phone: str) -> list[OutboundMessage]:
    """Outbound rows to `phone`, in sending order."""
    with sf() as s:
        return list(
            s.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.to_number == phone)
                .order_by(OutboundMessage.inbound_id, OutboundMessage.seq)
            )
        )
