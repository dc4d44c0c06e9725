"""Items 3, 4 and 5: stored client data belongs to the number it was saved from.

Attacks over real, Twilio-signed WhatsApp conversations on the real stack: a new number
checks out with an existing client's cédula (3), offers a cédula plus the victim's first
name (4), or shares the victim's national digits under another country code (5).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Client, Order
from tests.security.helpers import VALENTINA, whatsapp_turn

pytestmark = pytest.mark.e2e

CART = ["quiero 2 mangueras", "eso es todo", "si"]


def _valentina(sf: sessionmaker[Session]) -> Client:
    with sf() as s:
        return s.scalars(select(Client).where(Client.cedula == VALENTINA["cedula"])).one()


def _replies(logs: list[Any]) -> str:
    return "\n".join(lg.final_reply or "" for lg in logs)


def test_a_known_cedula_from_another_number_does_not_take_over_the_record(
    stack: Any, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    before = _valentina(e2e_sf)
    turns = [
        *CART,
        "me llamo Pedro Pérez",
        VALENTINA["cedula"],
        "3209998877",
        "no tengo correo",
        "calle 99 # 1-1 casa del atacante",
        "barrio Manrique",
    ]
    with stack() as client:
        logs = [whatsapp_turn(client, e2e_sf, phone, text) for text in turns]
        history = whatsapp_turn(
            client, e2e_sf, phone, f"historial del cliente {VALENTINA['cedula']}"
        )
    after = _valentina(e2e_sf)
    assert (after.name, after.phone, after.address, after.barrio, after.owner_id) == (
        before.name,
        before.phone,
        before.address,
        before.barrio,
        before.owner_id,
    )
    with e2e_sf() as s:
        [order] = s.scalars(select(Order).where(Order.user_id == phone)).all()
    assert order.state == "cerrada", _replies(logs)
    assert order.client_id != after.id
    assert order.delivery and order.delivery["phone"] == "+573209998877"
    assert order.delivery["cedula"] == VALENTINA["cedula"]
    seen = _replies([*logs, history])
    assert VALENTINA["address"] not in seen and "Valentina" not in seen
    assert "El Poblado" not in (history.final_reply or "")


def test_a_cedula_and_a_first_name_unlock_no_saved_data(
    stack: Any, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    turns = [*CART, "me llamo Valentina Restrepo", VALENTINA["cedula"], "si"]
    with stack() as client:
        logs = [whatsapp_turn(client, e2e_sf, phone, text) for text in turns]
    seen = _replies(logs)
    assert VALENTINA["address"] not in seen and "El Poblado" not in seen
    assert "******4321" not in seen  # not even the masked hint of a stored record
    with e2e_sf() as s:
        orders = s.scalars(select(Order).where(Order.user_id == phone)).all()
    assert all(o.state != "cerrada" for o in orders)


def test_same_national_digits_under_another_country_code_are_another_person(
    stack: Any, e2e_sf: sessionmaker[Session]
) -> None:
    impostor = "+1" + VALENTINA["phone"].removeprefix("+57")  # +1 310 456 7890
    with stack() as client:
        mine = whatsapp_turn(client, e2e_sf, impostor, "mis datos")
        logs = [whatsapp_turn(client, e2e_sf, impostor, text) for text in CART]
    seen = _replies([mine, *logs])
    assert "Valentina" not in seen and VALENTINA["address"] not in seen
