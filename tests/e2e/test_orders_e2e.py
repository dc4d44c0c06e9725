"""Acceptance (issue 15, items 3-4): after a sale closed over signed webhooks on the real
stack, the admin API moves the order and the buyer is told through `notify` — free text
inside WhatsApp's 24-hour window, the approved template (ContentSid + ContentVariables)
outside it — `estado_pedido` shows the new state, and after BAJA nothing more is sent."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import InboundMessage, Order, OutboundMessage, Shop
from tests.e2e.harness import DEMO_NUMBER, send_whatsapp, turn_logs, wait_for
from tests.e2e.test_whatsapp_e2e import PURCHASE
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.e2e

ADMIN = {"Authorization": "Bearer e2e-admin-token"}  # load_demo's token in the harness
SID = "HX" + "0123456789abcdef" * 2
# test_whatsapp_e2e runs PURCHASE too, in the same database: a cédula saved from another
# number is (rightly) not linked to this order, so this purchase gives its own.
PURCHASE_OWN_CEDULA = [("1045678912" if t == "1037654321" else t, i, a) for t, i, a in PURCHASE]


def _say(client: TestClient, sf: sessionmaker[Session], phone: str, text: str) -> str:
    n = len(turn_logs(sf, phone))
    send_whatsapp(client, phone, text)
    wait_for(lambda: len(turn_logs(sf, phone)) == n + 1)
    return turn_logs(sf, phone)[-1].final_reply or ""


def _move(client: TestClient, order_id: int, state: str) -> dict[str, Any]:
    res = client.post(f"/admin/orders/{order_id}/state", json={"state": state}, headers=ADMIN)
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def _notification(sf: sessionmaker[Session], outbound_id: int) -> OutboundMessage:
    with sf() as s:
        row = s.get(OutboundMessage, outbound_id)
        assert row is not None
        return row


def _sent(sf: sessionmaker[Session], outbound_id: int) -> OutboundMessage | None:
    row = _notification(sf, outbound_id)
    return row if row.provider_sid else None


@pytest.fixture
def templates(e2e_sf: sessionmaker[Session]) -> Any:
    """Set the demo shop's template mapping for the test, restore it afterwards."""
    with e2e_sf() as s:
        shop = s.scalars(select(Shop).where(Shop.whatsapp_number == DEMO_NUMBER)).one()
        before = dict(shop.notification_templates or {})
        shop.notification_templates = {"order_status": SID}
        s.commit()
    yield
    with e2e_sf() as s:
        shop = s.scalars(select(Shop).where(Shop.whatsapp_number == DEMO_NUMBER)).one()
        shop.notification_templates = before
        s.commit()


def test_closed_order_shipped_and_delivered_is_notified_by_the_rules(
    stack: Any,
    fake_twilio: FakeTwilio,
    e2e_sf: sessionmaker[Session],
    phone: str,
    templates: None,
) -> None:
    with stack(notifier_poll_s=0.2) as client:
        for text, _, _ in PURCHASE_OWN_CEDULA:
            _say(client, e2e_sf, phone, text)
        with e2e_sf() as s:
            order = s.scalars(select(Order).where(Order.user_id == phone)).one()
            order_id, state = order.id, order.state
        assert state == "cerrada"

        # In the window (the shopper just wrote): free text through Twilio.
        shipped = _move(client, order_id, "enviada")
        note = shipped["notification"]
        assert (note["status"], note["in_window"], note["content_sid"]) == ("queued", True, None)
        text = f"¡Buenas noticias! Tu pedido #{order_id} de"
        wait_for(lambda: any(b.startswith(text) for b in fake_twilio.bodies_to(phone)), 30)
        row = wait_for(lambda: _sent(e2e_sf, note["outbound_id"]), 30)
        [sent] = [s for s in fake_twilio.sent if s.sid == row.provider_sid]
        assert sent.content_sid is None and sent.from_ == f"whatsapp:{DEMO_NUMBER}"

        # estado_pedido shows the fulfilment state with its Spanish label.
        reply = _say(client, e2e_sf, phone, "estado de mi pedido")
        assert turn_logs(e2e_sf, phone)[-1].intent == "estado_pedido"
        assert f"Pedido #{order_id}: enviado 🚚" in reply

        # Out of the window: the last message moved back 25 h; Twilio refuses free text now.
        with e2e_sf() as s:
            for row in s.scalars(select(InboundMessage).where(InboundMessage.from_number == phone)):
                row.received_at = row.received_at - timedelta(hours=25)
            s.commit()
        fake_twilio.close_window(phone)
        delivered = _move(client, order_id, "entregada")
        note = delivered["notification"]
        assert (note["status"], note["in_window"], note["content_sid"]) == ("queued", False, SID)
        [template] = wait_for(lambda: fake_twilio.templates_to(phone), 30)
        assert template.content_sid == SID and template.body == ""
        assert json.loads(template.content_variables or "") == {
            "1": str(order_id),
            "2": "entregado 📦",
        }
        assert fake_twilio.rejected == []  # no free text was tried outside the window
        row = wait_for(lambda: _sent(e2e_sf, note["outbound_id"]), 30)
        assert row.provider_sid == template.sid and row.content_sid == SID

        # BAJA: confirmed (an answer to the shopper's own message), then nothing more.
        fake_twilio.closed_windows.discard(phone)
        confirmation = _say(client, e2e_sf, phone, "BAJA")
        assert "ALTA" in confirmation
        wait_for(lambda: confirmation in fake_twilio.bodies_to(phone), 30)
        count = len([s for s in fake_twilio.sent if s.to == f"whatsapp:{phone}"])
        returned = _move(client, order_id, "devuelta")
        note = returned["notification"]
        assert note["status"] == "opted_out" and "opted out" in note["reason"]
        row = _notification(e2e_sf, note["outbound_id"])
        assert (row.status, row.provider_sid) == ("opted_out", None)
        listed = client.get("/admin/notifications?status=opted_out", headers=ADMIN).json()
        assert note["outbound_id"] in [n["id"] for n in listed["items"]]
        time.sleep(1.0)  # several notifier polls: the refused row must stay unsent
        assert len([s for s in fake_twilio.sent if s.to == f"whatsapp:{phone}"]) == count
        assert _notification(e2e_sf, note["outbound_id"]).status == "opted_out"
