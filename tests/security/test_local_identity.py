"""Item 1 (critical) and item 6: local channels never carry a phone identity.

An attacker who can reach port 8000 posts to `/chat` claiming the staff number (in any
format) or a client's number. On the real stack (trained model, real action server) that
must neither export client data nor show a client's record.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import InboundMessage
from tests.security.helpers import STAFF_PHONE, VALENTINA, chat, whatsapp_turn

pytestmark = pytest.mark.e2e

STAFF_FORMATS = ["+573001112233", "+57-300-111-2233", "573001112233", "3001112233"]


@pytest.mark.parametrize("claimed", STAFF_FORMATS)
def test_chat_claiming_the_staff_number_cannot_export_clients(stack: Any, claimed: str) -> None:
    with stack() as client:
        resp = chat(client, claimed, "exporta los clientes")
    assert resp.status_code == 200, resp.text
    reply = " ".join(resp.json()["replies"])
    assert "/exports/download" not in reply and "token=" not in reply
    assert resp.json()["intent"] == "exportar_datos"  # understood, and refused


def test_chat_claiming_a_clients_number_does_not_see_their_record(stack: Any) -> None:
    for claimed in (VALENTINA["phone"], VALENTINA["phone"].removeprefix("+57")):
        with stack() as client:
            resp = chat(client, claimed, "mis datos")
            history = chat(client, claimed, f"historial del cliente {VALENTINA['cedula']}")
        for r in (resp, history):
            text = " ".join(r.json()["replies"])
            assert VALENTINA["name"] not in text and VALENTINA["address"] not in text
            assert "Valentina" not in text


def test_the_verified_staff_number_still_exports(stack: Any, e2e_sf: sessionmaker[Session]) -> None:
    """The control: the same request over a Twilio-signed webhook from the staff number."""
    with stack() as client:
        log = whatsapp_turn(client, e2e_sf, STAFF_PHONE, "exporta los clientes")
    assert "/exports/download?token=" in (log.final_reply or ""), log.final_reply


def test_message_ids_are_scoped_by_shop_and_user(stack: Any, e2e_sf: sessionmaker[Session]) -> None:
    """Another user sending the same `message_id` gets their own answer, not the first one's."""
    with stack() as client:
        first = chat(client, "ana-1", "exporta los clientes", message_id="m-1").json()
        other = chat(client, "beto-2", "hola", message_id="m-1").json()
        again = chat(client, "ana-1", "exporta los clientes", message_id="m-1").json()
    assert other["turn_id"] != first["turn_id"] and other["intent"] == "saludar"
    assert again["turn_id"] == first["turn_id"]  # a retry of the same user is idempotent
    with e2e_sf() as s:
        count = s.scalar(select(func.count()).where(InboundMessage.provider == "chat"))
    assert count is not None and count >= 2
