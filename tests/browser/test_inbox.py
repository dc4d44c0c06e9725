"""Headless Chromium works the handoff inbox: the open handoff comes first with its
transcript, a reply typed in the dashboard reaches the shopper through the real twilio
client (fake Twilio), and "Devolver al bot" hands the conversation back. Screenshot:
`reports/inbox.png`.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from db.models import Shop
from db.session import make_engine, make_session_factory
from orchestrator.handoff import HandoffDesk
from orchestrator.senders import ChatSender, TwilioSender
from tests.browser.test_dashboard import _free_port, browser  # noqa: F401 (fixture)
from tests.factories import make_inbound
from tests.fakes import fixtures as fake_fixtures
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.integration.admin.app import admin_app
from tests.integration.admin.data import TOKEN_A, at, log_turn, seed_known

pytestmark = pytest.mark.browser
fake_twilio = fake_fixtures.fake_twilio

REPORT = Path(__file__).resolve().parents[2] / "reports" / "inbox.png"
SHOPPER = "+573004445566"


def _seed(session: Session, desk: HandoffDesk) -> Shop:
    known = seed_known(session)
    shop = known.shop_a
    shop.info = {"horario": "Lunes a sábado de 8 a. m. a 6 p. m."}
    session.commit()
    session.expunge(shop)
    desk.touch(shop, "+573009990000", "twilio", None)  # a conversation the bot has
    conv = desk.touch(shop, SHOPPER, "twilio", "Marta")
    log_turn(
        session,
        shop,
        SHOPPER,
        at(21, 15),
        message="hola, tienen taladros?",
        final_reply="Sí, tenemos Taladro Bosch a $250.000.",
        intent="consultar_inventario",
    )
    log_turn(
        session,
        shop,
        SHOPPER,
        at(21, 15, 1),
        message="quiero hablar con alguien",
        final_reply="Claro 🙌 Le avisé al equipo de Tienda A.",
        intent="hablar_con_humano",
    )
    make_inbound(session, shop, SHOPPER)  # the shopper wrote just now: the window is open
    session.commit()
    desk.start(shop, conv, "requested", last_message="quiero hablar con alguien")
    return shop


@pytest.fixture
def inbox_server(sqlite_template: Path, tmp_path: Path, fake_twilio: FakeTwilio) -> Iterator[str]:
    db = tmp_path / "inbox.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    factory = make_session_factory(engine)
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, api_base=fake_twilio.url, backoff_s=0.01)
    desk = HandoffDesk(factory, {"twilio": sender, "chat": ChatSender()})
    with factory() as session:
        _seed(session, desk)
    app = admin_app(factory)
    app.state.handoff = desk
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ws="none")  # fmt: skip
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_inbox_reply_and_hand_back(
    inbox_server: str,
    browser: Any,  # noqa: F811
    fake_twilio: FakeTwilio,
) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{inbox_server}/admin/ui")
    page.wait_for_selector("body[data-state=login]")
    page.fill("#token-input", TOKEN_A)
    page.click("#login-form button")
    page.wait_for_selector("body[data-state=ready]", timeout=20000)

    # The open handoff is first, and its transcript opens by itself.
    first = page.locator("#inbox-list li").first
    first.filter(has_text="Atiende el equipo").wait_for()
    assert "Marta" in first.text_content() and "quiero hablar con alguien" in first.text_content()
    assert "(1 abierta)" in page.text_content("#inbox-open")
    page.locator("#inbox-thread .bubble.user").filter(has_text="tienen taladros").wait_for()
    assert page.text_content("#inbox-toggle") == "Devolver al bot"

    page.fill("#inbox-reply textarea", "Hola Marta, soy Pepe. Sí, te guardo uno.")
    page.fill("#inbox-reply input[name=author]", "Pepe")
    page.click("#inbox-reply button")
    page.locator("#inbox-thread .bubble.staff").filter(has_text="soy Pepe").wait_for()
    assert fake_twilio.bodies_to(SHOPPER) == ["Hola Marta, soy Pepe. Sí, te guardo uno."]
    assert "Pepe" in page.text_content("#inbox-thread")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPORT), full_page=True)

    page.click("#inbox-toggle")
    page.locator("#inbox-thread .badge.botmode").wait_for()
    assert page.text_content("#inbox-toggle") == "Tomar conversación"
    assert "Sigo yo por aquí" in fake_twilio.bodies_to(SHOPPER)[-1]
    assert page.text_content("#inbox-error") == ""
    assert errors == []
