"""The turn log's intent/entities/actions come from Rasa's SQL tracker store when it is in
the app database, so a turn costs Rasa one request, not two (bench/RESULTS.md)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.fakes.rasa import FakeRasa, template_reply
from tests.fakes.twilio import FakeTwilio
from tests.integration.orchestrator.conftest import (
    USER,
    AppFactory,
    inbound,
    logs,
    post_signed,
    wait_for,
    whatsapp_form,
)

FACTS = {"products": [{"name": "Arroz Diana 500 g", "price": 3500}]}


def _tracker_gets(fake_rasa: FakeRasa) -> list[str]:
    return [r.path for r in fake_rasa.requests if r.method == "GET" and "tracker" in r.path]


def _answered(sf: sessionmaker[Session], n: int) -> bool:
    return sum(r.status == "done" for r in inbound(sf)) >= n


def test_turn_detail_is_read_from_the_tracker_store_without_asking_rasa(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    engine: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.use_tracker_store(engine)
    fake_rasa.responder = template_reply("Tenemos Arroz Diana 500 g a $3.500.", FACTS)
    with app_client(turn_detail_source="auto") as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("¿tienen arroz?"))
        wait_for(lambda: _answered(session_factory, 1))
        # The second turn's detail is its own (found by its idempotency key), not the first's.
        fake_rasa.intent = "agregar_al_carrito"
        fake_rasa.responder = template_reply("Listo, agregué 1 × Arroz.", {}, "action_agregar")
        post_signed(client, "/twilio/whatsapp", whatsapp_form("quiero 1 arroz"))
        wait_for(lambda: _answered(session_factory, 2))

    assert [m for _, m in fake_rasa.messages] == ["¿tienen arroz?", "quiero 1 arroz"]
    assert _tracker_gets(fake_rasa) == []  # Rasa did the REST call only
    first, second = logs(session_factory)
    assert (first.intent, first.confidence) == ("consultar_inventario", 0.97)
    [entity] = first.entities
    assert entity == {
        "entity": "producto",
        "value": "arroz",
        "start": 0,
        "end": 5,
        "extractor": "DIETClassifier",
    }
    assert first.actions == ["action_buscar_producto"] and first.facts == FACTS
    assert (second.intent, second.actions) == ("agregar_al_carrito", ["action_agregar"])
    assert [s.body for s in fake_twilio.sent] == [
        "Tenemos Arroz Diana 500 g a $3.500.",
        "Listo, agregué 1 × Arroz.",
    ]


def test_without_rasas_table_in_the_app_database_the_tracker_api_is_asked(
    app_client: AppFactory, fake_rasa: FakeRasa, session_factory: sessionmaker[Session]
) -> None:
    with app_client(turn_detail_source="auto") as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: _answered(session_factory, 1))
    assert _tracker_gets(fake_rasa) == [f"/conversations/tienda:{USER}/tracker"]
    [log] = logs(session_factory)
    assert log.intent == "consultar_inventario" and log.confidence == 0.97


def test_turn_detail_source_api_always_asks_rasa(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    engine: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.use_tracker_store(engine)
    with app_client(turn_detail_source="api") as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: _answered(session_factory, 1))
    assert len(_tracker_gets(fake_rasa)) == 1
    [log] = logs(session_factory)
    assert log.intent == "consultar_inventario"


def test_a_turn_missing_from_the_tracker_store_falls_back_to_the_api(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    engine: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.use_tracker_store(engine)
    fake_rasa.tracker_store = None  # the table is there, but Rasa stores elsewhere
    with app_client(turn_detail_source="auto") as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: _answered(session_factory, 1))
    assert len(_tracker_gets(fake_rasa)) == 1
    [log] = logs(session_factory)
    assert log.intent == "consultar_inventario" and log.confidence == 0.97
