"""`notify` on SQLite and PostgreSQL: WhatsApp's 24-hour window, templates, opt-out, dedupe,
and `send_pending` through the real twilio client to the fake Twilio."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.models import OutboundMessage, Shop, utcnow
from db.notifications import WINDOW, in_window, is_opted_out, notify, set_opt_out
from orchestrator.notifications import send_pending
from orchestrator.senders import TwilioSender
from tests.factories import make_inbound, make_shop
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

BUYER = "+573001234567"
SID = "HX" + "ab" * 16


def wrote(session: Session, shop: Shop, phone: str, hours_ago: float) -> None:
    """An inbound WhatsApp message from `phone` to `shop`, `hours_ago` hours ago."""
    make_inbound(session, shop, phone, hours_ago)


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session, notification_templates={"order_status": SID})


def test_window_is_24_hours_from_the_last_inbound_to_that_shop(
    session: Session, shop: Shop
) -> None:
    other = make_shop(session)
    assert not in_window(session, shop.id, BUYER)  # never wrote
    wrote(session, other, BUYER, 1)  # wrote to another shop: not this shop's window
    assert not in_window(session, shop.id, BUYER)
    wrote(session, shop, BUYER, 30)
    assert not in_window(session, shop.id, BUYER)
    wrote(session, shop, BUYER, 23.9)
    assert in_window(session, shop.id, BUYER)
    assert in_window(session, shop.id, f"whatsapp:{BUYER}")
    later = utcnow() + WINDOW
    assert not in_window(session, shop.id, BUYER, now=later)


def test_inside_the_window_free_text_is_queued(session: Session, shop: Shop) -> None:
    wrote(session, shop, BUYER, 2)
    result = notify(session, shop, BUYER, "order_status", "Tu pedido va en camino", {"1": 7})
    row = session.get(OutboundMessage, result.outbound_id)
    assert row is not None
    assert (result.status, result.in_window, result.content_sid) == ("queued", True, None)
    assert (row.status, row.kind, row.inbound_id, row.content_sid) == (
        "queued",
        "order_status",
        None,
        None,
    )
    assert (row.to_number, row.from_number, row.body) == (
        BUYER,
        shop.whatsapp_number,
        "Tu pedido va en camino",
    )


def test_outside_the_window_the_kinds_template_is_queued(session: Session, shop: Shop) -> None:
    wrote(session, shop, BUYER, 25)
    result = notify(
        session, shop, BUYER, "order_status", "Tu pedido va en camino", {"1": 7, "2": "enviado 🚚"}
    )
    row = session.get(OutboundMessage, result.outbound_id)
    assert row is not None
    assert (result.status, result.in_window, row.content_sid) == ("queued", False, SID)
    assert json.loads(row.content_variables or "") == {"1": "7", "2": "enviado 🚚"}


def test_outside_the_window_without_template_is_kept_as_needs_template(
    session: Session, shop: Shop
) -> None:
    result = notify(session, shop, BUYER, "low_stock", "Stock bajo")
    row = session.get(OutboundMessage, result.outbound_id)
    assert row is not None
    assert (row.status, row.content_sid) == ("needs_template", None)
    assert result.reason is not None and "low_stock" in result.reason
    assert row.error_message == result.reason


def test_opted_out_numbers_get_nothing_and_the_row_says_why(session: Session, shop: Shop) -> None:
    wrote(session, shop, BUYER, 1)
    assert set_opt_out(session, shop.id, BUYER, opted_out=True, keyword="BAJA")
    assert not set_opt_out(session, shop.id, BUYER, opted_out=True, keyword="STOP")
    assert is_opted_out(session, shop.id, BUYER)
    other = make_shop(session)
    assert not is_opted_out(session, other.id, BUYER)  # per shop
    result = notify(session, shop, BUYER, "order_status", "Tu pedido va en camino")
    assert result.status == "opted_out" and "opted out" in (result.reason or "")
    assert set_opt_out(session, shop.id, BUYER, opted_out=False, keyword="ALTA")
    assert notify(session, shop, BUYER, "order_status", "Otra vez").status == "queued"


def test_local_chat_users_are_recorded_not_sent(session: Session, shop: Shop) -> None:
    result = notify(session, shop, "chat:ana", "order_status", "Tu pedido va en camino")
    assert result.status == "recorded"


def test_one_dedupe_key_one_notification(session: Session, shop: Shop) -> None:
    wrote(session, shop, BUYER, 1)
    first = notify(session, shop, BUYER, "order_status", "A", dedupe_key="order_event:1")
    again = notify(session, shop, BUYER, "order_status", "A", dedupe_key="order_event:1")
    assert again.duplicate and again.outbound_id == first.outbound_id
    assert session.query(OutboundMessage).count() == 1


def test_send_pending_sends_text_and_templates_through_twilio(
    session_factory: sessionmaker[Session], fake_twilio: FakeTwilio
) -> None:
    inside, outside, closed = "+573001110001", "+573001110002", "+573001110003"
    with session_factory() as s:
        shop = make_shop(s, notification_templates={"order_status": SID})
        wrote(s, shop, inside, 1)
        wrote(s, shop, closed, 1)  # our DB thinks the window is open; Twilio disagrees
        notify(s, shop, inside, "order_status", "Tu pedido #3 va en camino 🚚")
        notify(s, shop, outside, "order_status", "Tu pedido #4 va en camino 🚚", {"1": 4})
        notify(s, shop, closed, "order_status", "Tu pedido #5 va en camino 🚚")
        notify(s, shop, outside, "low_stock", "sin plantilla")  # needs_template: never sent
        s.commit()
    fake_twilio.close_window(closed)
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, api_base=fake_twilio.url, backoff_s=0.01)
    assert send_pending(session_factory, sender) == 3
    assert send_pending(session_factory, sender) == 0  # nothing sent twice
    [text] = fake_twilio.sent[:1]
    assert (text.to, text.body, text.content_sid) == (
        f"whatsapp:{inside}",
        "Tu pedido #3 va en camino 🚚",
        None,
    )
    [template] = fake_twilio.templates_to(outside)
    assert template.content_sid == SID and template.body == ""
    assert json.loads(template.content_variables or "") == {"1": "4"}
    assert [r["To"] for r in fake_twilio.rejected] == [f"whatsapp:{closed}"]
    with session_factory() as s:
        rows = {(r.to_number, r.kind): r for r in s.query(OutboundMessage)}
    assert rows[(inside, "order_status")].status == "queued"
    assert rows[(inside, "order_status")].provider_sid == text.sid
    assert rows[(outside, "order_status")].provider_sid == template.sid
    assert (rows[(closed, "order_status")].status, rows[(closed, "order_status")].error_code) == (
        "failed",
        "63016",
    )
    assert rows[(outside, "low_stock")].status == "needs_template"
