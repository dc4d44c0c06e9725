"""`action_consultar_cliente` on both backends: who may see which client record."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from actions.clients import ASK, INVALID_TEXT, NO_SHOP, REFUSED, ActionConsultarCliente
from actions.runtime import Runtime, set_runtime
from actions.settings import ActionsSettings
from db.models import Client, Order, Shop
from tests.factories import make_client, make_shop

STAFF = "+573001112233"
ANA_PHONE = "+573104567890"


@pytest.fixture
def runtime(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[Runtime]:
    """Point the actions at the test database."""
    settings = ActionsSettings(database_url=db_url, export_dir=tmp_path / "exports")
    rt = Runtime(settings, engine, session_factory)
    set_runtime(rt)
    yield rt
    set_runtime(None)


@pytest.fixture
def shop(session: Session, runtime: Runtime) -> Shop:
    shop = make_shop(session, slug="tienda", staff_phones=[STAFF])
    other = make_shop(session)
    ana = make_client(
        session,
        shop,
        cedula="1020304050",
        name="Ana Muñoz",
        phone=ANA_PHONE,
        email="ana@example.com",
    )
    make_client(session, shop, cedula="71789456", name="Carlos Zapata", phone="+573017894561")
    make_client(session, other, cedula="43567890", name="De otra tienda", phone=ANA_PHONE)
    for day, state, total in ((1, "cerrada", 45900), (5, "cerrada", 12000), (9, "cancelada", 7000)):
        session.add(
            Order(
                shop_id=shop.id,
                client_id=ana.id,
                user_id=ANA_PHONE,
                state=state,
                total=total,
                created_at=datetime(2026, 11, day, 15, tzinfo=UTC),
            )
        )
    session.commit()
    return shop


def ask(
    phone: str,
    text: str,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    shop: str = "tienda",
) -> dict[str, Any]:
    """Run the action for one message; return its single dispatched message."""
    tracker = Tracker(
        sender_id=f"{shop}:{phone}",
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": "consultar_cliente", "confidence": 1.0},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionConsultarCliente().run(dispatcher, tracker, {}))
    assert events == []
    [message] = dispatcher.messages
    json.dumps(message)  # what the action server sends must be plain JSON
    assert message["custom"]["action"] == "action_consultar_cliente"
    return {"text": message["text"], "facts": message["custom"]["facts"]}


def cedula(value: str) -> list[dict[str, Any]]:
    return [{"entity": "cedula", "value": value}]


def test_shopper_sees_own_record(shop: Shop) -> None:
    reply = ask(ANA_PHONE, "mis compras, cédula 1020304050", cedula("1020304050"))
    facts = reply["facts"]
    assert facts["client"] == {
        "cedula": "1020304050",
        "name": "Ana Muñoz",
        "phone": ANA_PHONE,
        "email": "ana@example.com",
        "address": "Calle 1 # 2-3",
        "barrio": "Centro",
    }
    assert facts["closed_orders"] == 2 and facts["total_spent"] == 57900
    assert facts["order_count"] == 3
    assert [(o["date"], o["state"], o["total"]) for o in facts["orders"]] == [
        ("09/11/2026", "cancelada", 7000),
        ("05/11/2026", "cerrada", 12000),
        ("01/11/2026", "cerrada", 45900),
    ]
    text = reply["text"]
    assert "Ana Muñoz" in text and "$57.900" in text and "$45.900" in text
    assert "ana@example.com" in text and "Calle 1 # 2-3" in text  # "¿qué dirección tienen?"


def test_own_record_without_cedula_or_ask(shop: Shop, session: Session) -> None:
    reply = ask(ANA_PHONE, "quiero ver mis compras")
    assert reply["facts"]["client"]["cedula"] == "1020304050"
    assert reply["facts"]["total_spent"] == 57900
    unknown = ask("+573009999999", "quiero ver mis compras")
    assert unknown == {"text": ASK, "facts": {}}


def test_someone_elses_or_unknown_cedula_is_refused_alike(shop: Shop) -> None:
    with capture_logs() as logs:
        other = ask(ANA_PHONE, "la de 71789456", cedula("71789456"))
        missing = ask(ANA_PHONE, "la de 11223344", cedula("11223344"))
        other_shop = ask(ANA_PHONE, "consulta 43567890")  # exists, but in another shop
    assert other == missing == other_shop == {"text": REFUSED, "facts": {"refused": True}}
    assert "Carlos" not in other["text"]
    refusals = [e for e in logs if e["event"] == "client_lookup_refused"]
    assert [(e["shop"], e["requester"], e["reason"]) for e in refusals] == [
        ("tienda", ANA_PHONE, "not_yours"),
        ("tienda", ANA_PHONE, "not_found"),
        ("tienda", ANA_PHONE, "not_found"),
    ]


def test_staff_may_look_anyone_up(shop: Shop) -> None:
    reply = ask(STAFF, "consulta el cliente 1.020.304.050")
    assert reply["facts"]["client"]["phone"] == ANA_PHONE
    assert reply["facts"]["client"]["email"] == "ana@example.com"
    assert "ana@example.com" in reply["text"] and "$57.900" in reply["text"]
    carlos = ask(STAFF, "y 71789456?", cedula("71789456"))
    assert carlos["facts"]["client"]["name"] == "Carlos Zapata"
    assert carlos["facts"]["orders"] == [] and "no tiene pedidos" in carlos["text"]
    missing = ask(STAFF, "cliente 11223344", cedula("11223344"))
    assert missing["text"] == "No encontré ningún cliente con la cédula 11223344."


@pytest.mark.parametrize("value", ["123", "12345678901", "12a45678", "cédula"])
def test_invalid_cedula(shop: Shop, value: str) -> None:
    assert ask(STAFF, f"consulta {value}", cedula(value)) == {"text": INVALID_TEXT, "facts": {}}


def test_slot_is_used_when_the_message_has_no_number(shop: Shop) -> None:
    reply = ask(STAFF, "consulta ese cliente", slots={"cedula": "71789456"})
    assert reply["facts"]["client"]["name"] == "Carlos Zapata"


def test_only_the_number_a_record_was_saved_from_sees_it(shop: Shop, session: Session) -> None:
    ana = session.scalars(
        select(Client).where(Client.shop_id == shop.id, Client.cedula == "1020304050")
    ).one()
    ana.phone = "3104567890"  # the typed contact number proves nothing
    session.commit()
    assert ask(ANA_PHONE, "1020304050")["facts"]["client"]["name"] == "Ana Muñoz"
    # Same national digits, another country: another person.
    ana.owner_id = "+523104567890"
    session.commit()
    assert ask(ANA_PHONE, "1020304050")["text"] == REFUSED


def test_unknown_shop(shop: Shop) -> None:
    assert ask(ANA_PHONE, "1020304050", shop="no-existe") == {"text": NO_SHOP, "facts": {}}
