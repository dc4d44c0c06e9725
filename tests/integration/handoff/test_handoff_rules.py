"""The handoff's own messages follow WhatsApp's rules for messages the shop starts
(`db.notifications.decide`): free text inside a number's 24-hour window, the kind's
template outside it, else held as ``needs_template`` and shown; no alert to an opted-out
staff phone, while a staff reply still answers a shopper who opted out of notifications."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import InboundMessage, OutboundMessage, Shop
from db.notifications import set_opt_out
from tests.fakes.twilio import FakeTwilio
from tests.integration.handoff.conftest import SHOPPER, STAFF_E164, Desk

SID = "HX" + "cd" * 16


def _forget_inbound(sf: sessionmaker[Session], phone: str) -> None:
    """`phone` never wrote to the shop: its 24-hour window is closed."""
    with sf() as s:
        s.execute(delete(InboundMessage).where(InboundMessage.from_number == phone))
        s.commit()


def _outbound(sf: sessionmaker[Session], to: str) -> list[OutboundMessage]:
    with sf() as s:
        rows = s.scalars(select(OutboundMessage).where(OutboundMessage.to_number == to))
        return list(rows)


def _templates(sf: sessionmaker[Session], shop_id: int, templates: dict[str, str]) -> Shop:
    with sf() as s:
        shop = s.get(Shop, shop_id)
        assert shop is not None
        shop.notification_templates = templates
        s.commit()
        s.expunge(shop)
        return shop


def test_staff_alerts_need_the_staff_phone_window_or_a_template(
    desk: Desk, fake_twilio: FakeTwilio, session_factory: sessionmaker[Session]
) -> None:
    in_window, outside = STAFF_E164
    _forget_inbound(session_factory, outside)
    assert desk.desk.start(desk.shop, desk.conv, "requested", last_message="¿hay alguien?")
    assert [s.to for s in fake_twilio.sent] == [f"whatsapp:{in_window}"]
    [held] = _outbound(session_factory, outside)
    assert held.status == "needs_template" and held.kind == "handoff_alert"
    assert held.provider_sid is None and "no template for 'handoff_alert'" in held.error_message


def test_outside_the_window_a_staff_alert_goes_through_its_template(
    desk: Desk, fake_twilio: FakeTwilio, session_factory: sessionmaker[Session]
) -> None:
    shop = _templates(session_factory, desk.shop.id, {"handoff_alert": SID})
    outside = STAFF_E164[1]
    _forget_inbound(session_factory, outside)
    fake_twilio.close_window(outside)  # free text would be refused (63016)
    assert desk.desk.start(shop, desk.conv, "requested", last_message="¿hay alguien?")
    [template] = fake_twilio.templates_to(outside)
    assert template.content_sid == SID
    variables = json.loads(template.content_variables or "{}")
    who = f"Marta ({SHOPPER})"
    assert variables == {"1": str(desk.conv.id), "2": who, "3": "“¿hay alguien?”"}
    [row] = _outbound(session_factory, outside)
    assert row.status == "queued" and row.content_sid == SID and row.provider_sid == template.sid


def test_an_opted_out_staff_phone_gets_no_alert(
    desk: Desk, fake_twilio: FakeTwilio, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        set_opt_out(s, desk.shop.id, STAFF_E164[0], opted_out=True, keyword="BAJA")
        s.commit()
    assert desk.desk.start(desk.shop, desk.conv, "requested", last_message="hola")
    assert [s.to for s in fake_twilio.sent] == [f"whatsapp:{STAFF_E164[1]}"]
    [row] = _outbound(session_factory, STAFF_E164[0])
    assert row.status == "opted_out"


def test_a_staff_reply_answers_a_shopper_who_opted_out_of_notifications(
    client: TestClient,
    desk: Desk,
    auth: dict[str, str],
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        set_opt_out(s, desk.shop.id, SHOPPER, opted_out=True, keyword="BAJA")
        s.commit()
    resp = client.post(f"/admin/inbox/{desk.conv.id}/reply", json={"text": "Hola"}, headers=auth)
    assert resp.json()["sent"] is True
    assert fake_twilio.bodies_to(SHOPPER) == ["Hola"]


def test_a_staff_reply_after_the_window_is_held_and_reported(
    client: TestClient,
    desk: Desk,
    auth: dict[str, str],
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    _forget_inbound(session_factory, SHOPPER)
    resp = client.post(f"/admin/inbox/{desk.conv.id}/reply", json={"text": "Hola"}, headers=auth)
    assert resp.status_code == 200
    body = resp.json()
    assert body["sent"] is False and body["status"] == "needs_template"
    assert "24-hour window" in body["error"]
    assert fake_twilio.bodies_to(SHOPPER) == []
    [row] = _outbound(session_factory, SHOPPER)
    assert row.status == "needs_template" and row.kind == "staff_reply"
    listed = client.get("/admin/notifications?status=needs_template", headers=auth).json()
    assert [(n["kind"], n["to_number"]) for n in listed["items"]] == [("staff_reply", SHOPPER)]
