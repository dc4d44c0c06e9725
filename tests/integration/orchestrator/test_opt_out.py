"""BAJA / ALTA over the signed webhook: handled before Rasa, stored per shop, confirmed once,
and every later notification to that number is refused (`opted_out`)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import OptOut, Shop
from db.notifications import notify
from orchestrator.pipeline import OPT_IN_ACTION, OPT_OUT_ACTION
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio
from tests.integration.orchestrator.conftest import (
    USER,
    AppFactory,
    logs,
    post_signed,
    wait_for,
    whatsapp_form,
)


def _send(client: TestClient, text: str, sf: sessionmaker[Session], n: int) -> None:
    assert post_signed(client, "/twilio/whatsapp", whatsapp_form(text)).status_code == 200
    wait_for(lambda: len(logs(sf)) == n)


def test_baja_stops_notifications_and_alta_brings_them_back(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
    shop: Shop,
) -> None:
    with app_client() as client:
        _send(client, "No me escriban más!!", session_factory, 1)
        with session_factory() as s:
            [row] = s.scalars(select(OptOut)).all()
            assert (row.shop_id, row.phone, row.opted_out) == (shop.id, USER, True)
            shop_row = s.get(Shop, shop.id)
            assert shop_row is not None
            refused = notify(s, shop_row, USER, "order_status", "Tu pedido va en camino")
            s.commit()
        assert refused.status == "opted_out"
        _send(client, "hola", session_factory, 2)  # still answered: not shop-initiated
        _send(client, "ALTA", session_factory, 3)
        wait_for(lambda: len(fake_twilio.sent) == 3)
    # Rasa never saw the commands; only "hola" went to it.
    assert [m for _, m in fake_rasa.messages] == ["hola"]
    first, _, last = logs(session_factory)
    assert first.actions == [OPT_OUT_ACTION] and last.actions == [OPT_IN_ACTION]
    assert first.success and first.intent is None
    bodies = fake_twilio.bodies_to(USER)
    assert "ALTA" in bodies[0] and "BAJA" in bodies[2]
    assert "Tu pedido va en camino" not in bodies
    with session_factory() as s:
        assert s.scalars(select(OptOut.opted_out)).one() is False


def test_a_longer_sentence_with_baja_is_conversation(
    app_client: AppFactory, fake_rasa: FakeRasa, session_factory: sessionmaker[Session]
) -> None:
    with app_client() as client:
        _send(client, "¿la baja de precio sigue vigente?", session_factory, 1)
    assert [m for _, m in fake_rasa.messages] == ["¿la baja de precio sigue vigente?"]
    with session_factory() as s:
        assert s.scalars(select(OptOut)).all() == []
