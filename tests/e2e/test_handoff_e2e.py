"""Acceptance: a human handoff that happens, on the real stack (trained model, action
server, orchestrator) with the fake Twilio driven through the real twilio client.

The shopper asks for a person → the staff phone gets an alert with the conversation's
short id; while in human mode the bot stays silent but every message is stored, logged and
shown in the inbox; a dashboard reply and a `#N texto` from the staff phone reach the
shopper; `#N bot` hands it back and the bot answers again. Also: repeated fallbacks hand
off, and an idle handoff returns to the bot with a message.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Conversation, Handoff, OutboundMessage, Shop
from orchestrator import handoff_text as say
from orchestrator.handoff_turns import is_fallback
from tests.e2e.harness import DEMO_NUMBER, outbound_to, send_whatsapp, turn_logs, wait_for
from tests.factories import make_inbound
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.e2e

STAFF = "+573001112233"  # db/demo/shop.json staff_phones
ADMIN = {"Authorization": "Bearer e2e-admin-token"}


@pytest.fixture(autouse=True)
def staff_wrote_today(e2e_sf: sessionmaker[Session]) -> None:
    """The staff phone used the shop's number today, so alerts to it may be free text (its
    24-hour window is open; outside it they need the `handoff_alert` template, tested in
    tests/integration/handoff/test_handoff_rules.py)."""
    with e2e_sf() as s:
        make_inbound(s, _demo(e2e_sf), STAFF)
        s.commit()


def _conversation(sf: sessionmaker[Session], phone: str) -> Conversation:
    with sf() as s:
        return s.scalars(select(Conversation).where(Conversation.user_id == phone)).one()


def _handoffs(sf: sessionmaker[Session], conversation_id: int) -> list[Handoff]:
    with sf() as s:
        return list(s.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id)))


def _demo(sf: sessionmaker[Session]) -> Shop:
    with sf() as s:
        return s.scalars(select(Shop).where(Shop.whatsapp_number == DEMO_NUMBER)).one()


def _say(client: TestClient, sf: sessionmaker[Session], phone: str, text: str) -> None:
    """Send as `phone` and wait until its turn is logged."""
    before = len(turn_logs(sf, phone))
    send_whatsapp(client, phone, text)
    wait_for(lambda: len(turn_logs(sf, phone)) > before)


def _staff_bodies_with(fake: FakeTwilio, text: str) -> list[str]:
    return [b for b in fake.bodies_to(STAFF) if text in b]


def test_handoff_staff_replies_from_dashboard_and_phone_then_back_to_bot(
    stack: Any, fake_twilio: FakeTwilio, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    shop = _demo(e2e_sf)
    with stack() as client:
        _say(client, e2e_sf, phone, "hola buenas")
        _say(client, e2e_sf, phone, "quiero hablar con un asesor")
        logs = turn_logs(e2e_sf, phone)
        assert logs[1].intent == "hablar_con_humano", logs[1].actions
        honest = say.handoff_started(shop.name, shop.info, "requested")
        assert logs[1].final_reply == honest and shop.info["horario"].rstrip(".") in honest
        conv = _conversation(e2e_sf, phone)
        assert conv.mode == "human"
        cid = conv.id
        # The staff phone is told, with the short id, the last message and how to reply.
        [alert] = wait_for(lambda: _staff_bodies_with(fake_twilio, f"#{cid} "))
        assert "quiero hablar con un asesor" in alert and f"#{cid} bot" in alert
        assert phone in alert
        sent_before = len(fake_twilio.bodies_to(phone))

        # Human mode: no bot answer, but stored, logged, forwarded and shown.
        _say(client, e2e_sf, phone, "hola? sigue alguien por ahi?")
        row = turn_logs(e2e_sf, phone)[-1]
        assert (row.mode, row.final_reply, row.rasa_response, row.intent) == (
            "human",
            "",
            None,
            None,
        )
        wait_for(lambda: _staff_bodies_with(fake_twilio, "sigue alguien por ahi?"))
        assert len(fake_twilio.bodies_to(phone)) == sent_before
        items = client.get("/admin/inbox", headers=ADMIN).json()["items"]
        modes = [i["mode"] for i in items]
        assert modes == sorted(modes, key=lambda m: m != "human")  # open handoffs first
        [mine] = [i for i in items if i["id"] == cid]
        assert mine["mode"] == "human" and mine["handoff"]["reason"] == "requested"
        assert mine["last_message"] == "hola? sigue alguien por ahi?"
        detail = client.get(f"/admin/inbox/{cid}", headers=ADMIN).json()
        shopper = [(m["text"], m["mode"]) for m in detail["messages"] if m["sender"] == "shopper"]
        assert shopper[-1] == ("hola? sigue alguien por ahi?", "human")

        # A reply from the dashboard reaches the shopper through the shop's number.
        resp = client.post(
            f"/admin/inbox/{cid}/reply",
            json={"text": "Hola, soy Rosa 👋 ¿En qué te ayudo?", "author": "Rosa"},
            headers=ADMIN,
        )
        assert resp.status_code == 200 and resp.json()["sent"] is True, resp.text
        assert fake_twilio.bodies_to(phone)[-1] == "Hola, soy Rosa 👋 ¿En qué te ayudo?"
        assert fake_twilio.sent[-1].from_ == f"whatsapp:{DEMO_NUMBER}"

        # A reply from the staff phone: `#N texto`.
        _say(client, e2e_sf, STAFF, f"#{cid} Sí tenemos mangueras de 10 m, te la separo")
        wait_for(lambda: fake_twilio.bodies_to(phone)[-1].startswith("Sí tenemos mangueras"))
        assert fake_twilio.bodies_to(phone)[-1] == "Sí tenemos mangueras de 10 m, te la separo"
        assert fake_twilio.bodies_to(STAFF)[-1] == say.sent(cid)
        staff_row = turn_logs(e2e_sf, STAFF)[-1]
        assert (staff_row.mode, staff_row.author, staff_row.rasa_response) == ("staff", STAFF, None)
        # An unknown conversation: a clear answer to the staff member, nothing sent.
        _say(client, e2e_sf, STAFF, "#999999 hola")
        assert fake_twilio.bodies_to(STAFF)[-1] == say.unknown_conversation(999999)

        # The transcript shows both staff replies with who wrote them.
        detail = client.get(f"/admin/inbox/{cid}", headers=ADMIN).json()
        staff = [
            (m["text"][:10], m["author"]) for m in detail["messages"] if m["sender"] == "staff"
        ]
        assert staff == [("Hola, soy ", "panel:Rosa"), ("Sí tenemos", STAFF)]

        # `#N bot` hands it back: the shopper is told, and the bot answers again.
        _say(client, e2e_sf, STAFF, f"#{cid} bot")
        assert fake_twilio.bodies_to(STAFF)[-1] == say.handed_back(cid, True)
        assert fake_twilio.bodies_to(phone)[-1] == say.back_to_bot(shop.name)
        assert _conversation(e2e_sf, phone).mode == "bot"
        _say(client, e2e_sf, phone, "tienen mangueras?")
        last = turn_logs(e2e_sf, phone)[-1]
        assert last.mode == "bot" and "action_buscar_producto" in last.actions
        wait_for(lambda: fake_twilio.bodies_to(phone)[-1] == last.final_reply)
    [handoff] = _handoffs(e2e_sf, cid)
    assert (handoff.reason, handoff.end_reason, handoff.ended_by) == ("requested", "staff", STAFF)
    assert handoff.staff_messages == 2 and handoff.first_response_at is not None
    # Everything the shopper got went through Twilio and is stored, once, in order.
    out = outbound_to(e2e_sf, phone)
    assert sorted(o.body for o in out) == sorted(fake_twilio.bodies_to(phone))
    assert all(o.provider_sid for o in out)


def test_repeated_fallbacks_hand_off_to_staff(
    stack: Any, fake_twilio: FakeTwilio, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    shop = _demo(e2e_sf)
    with stack(handoff_after_fallbacks=2) as client:
        _say(client, e2e_sf, phone, "quien gano el partido ayer?")
        first = turn_logs(e2e_sf, phone)[-1]
        assert is_fallback(first.intent, first.actions), (first.intent, first.actions)
        assert _conversation(e2e_sf, phone).mode == "bot"
        _say(client, e2e_sf, phone, "como va a estar el clima mañana?")
        second = turn_logs(e2e_sf, phone)[-1]
        assert second.final_reply == say.handoff_started(shop.name, shop.info, "fallbacks")
        conv = _conversation(e2e_sf, phone)
        assert conv.mode == "human"
        [alert] = wait_for(lambda: _staff_bodies_with(fake_twilio, f"#{conv.id} "))
        assert "no logró que el asistente le entendiera" in alert
        assert [h.reason for h in _handoffs(e2e_sf, conv.id)] == ["fallbacks"]
        _say(client, e2e_sf, STAFF, f"#{conv.id} bot")


def test_idle_handoff_returns_to_the_bot_with_a_message(
    stack: Any, fake_twilio: FakeTwilio, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    shop = _demo(e2e_sf)
    idle = {"handoff_idle_return_s": 1.0, "handoff_check_s": 0.2, "worker_heartbeat_s": 0.2}
    with stack(**idle) as client:
        _say(client, e2e_sf, phone, "pasame con alguien por favor")
        cid = _conversation(e2e_sf, phone).id
        assert _conversation(e2e_sf, phone).mode == "human"
        wait_for(lambda: fake_twilio.bodies_to(phone)[-1:] == [say.idle_return(shop.name)], 20)
        assert _conversation(e2e_sf, phone).mode == "bot"
        [handoff] = _handoffs(e2e_sf, cid)
        assert (handoff.end_reason, handoff.first_response_at) == ("idle", None)
        wait_for(lambda: _staff_bodies_with(fake_twilio, say.staff_idle_notice(cid)))
        _say(client, e2e_sf, phone, "hola")
        last = turn_logs(e2e_sf, phone)[-1]
        assert last.mode == "bot" and last.intent == "saludar"
    with e2e_sf() as s:  # the idle message is stored like every other outbound message
        bodies = s.scalars(select(OutboundMessage.body).where(OutboundMessage.to_number == phone))
        assert say.idle_return(shop.name) in list(bodies)
