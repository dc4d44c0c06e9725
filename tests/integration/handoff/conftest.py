"""A shop with two staff phones, the admin router with a real `HandoffDesk` sending through
the real twilio client to the fake Twilio, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from db.auth import set_shop_token
from db.models import Shop
from orchestrator.handoff import ConversationRef, HandoffDesk
from orchestrator.senders import ChatSender, TwilioSender
from tests.factories import make_inbound, make_shop
from tests.fakes import fixtures as fake_fixtures
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.integration.admin.app import admin_app

fake_twilio = fake_fixtures.fake_twilio

TOKEN = "token-handoff-0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "token-handoff-other-0123456789abcdef0123456789"
STAFF = ["+573001112233", "310 555 0199"]  # the second one in national format
STAFF_E164 = ["+573001112233", "+573105550199"]
SHOPPER = "+573004445566"


@dataclass
class Desk:
    """The desk, its shop and a shopper's conversation."""

    desk: HandoffDesk
    shop: Shop
    other: Shop
    conv: ConversationRef


@pytest.fixture
def desk(session_factory: sessionmaker[Session], fake_twilio: FakeTwilio) -> Desk:
    with session_factory() as s:
        shop = make_shop(
            s,
            name="Ferretería Don Pepe",
            staff_phones=STAFF,
            info={"horario": "Lunes a viernes de 8 a. m. a 6 p. m."},
        )
        other = make_shop(s, name="Otra Tienda")
        set_shop_token(s, shop, TOKEN)
        set_shop_token(s, other, OTHER_TOKEN)
        # The shopper and the staff phones wrote lately: their 24-hour windows are open
        # (tests of the window's rules move or delete these rows).
        for phone in [SHOPPER, *STAFF_E164]:
            make_inbound(s, shop, phone, hours_ago=1)
        s.commit()
        s.expunge_all()
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, api_base=fake_twilio.url, backoff_s=0.01)
    handoff = HandoffDesk(session_factory, {"twilio": sender, "chat": ChatSender()})
    conv = handoff.touch(shop, SHOPPER, "twilio", "Marta")
    return Desk(handoff, shop, other, conv)


@pytest.fixture
def client(session_factory: sessionmaker[Session], desk: Desk) -> Iterator[TestClient]:
    app = admin_app(session_factory)
    app.state.handoff = desk.desk
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}
