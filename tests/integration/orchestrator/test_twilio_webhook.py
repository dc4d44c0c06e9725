"""The signed Twilio webhook: stored before 200, answered once, in order, by the worker."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.fakes.rasa import FakeRasa, template_reply
from tests.fakes.twilio import FakeTwilio, message_sid, sign
from tests.integration.orchestrator.conftest import (
    PUBLIC,
    SHOP_NUMBER,
    USER,
    AppFactory,
    inbound,
    logs,
    outbound,
    post_signed,
    wait_for,
    whatsapp_form,
)

FACTS = {"products": [{"id": 1, "name": "Arroz Diana 500 g", "price": 3500, "stock": 20}]}


def test_message_is_stored_acknowledged_and_answered(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.responder = template_reply("Tenemos Arroz Diana 500 g a $3.500.", FACTS)
    with app_client() as client:
        resp = post_signed(client, "/twilio/whatsapp", whatsapp_form("¡Hola! ¿Tienen arroz?"))
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("application/xml")
        assert resp.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
        wait_for(lambda: fake_twilio.sent)
        wait_for(lambda: [r for r in inbound(session_factory) if r.status == "done"])

    assert fake_rasa.messages == [(f"tienda:{USER}", "¡Hola! ¿Tienen arroz?")]
    # Rasa does not URL-decode the sender id in its path: ':' and '+' travel as they are.
    assert [r.path for r in fake_rasa.requests if r.method == "GET"] == [
        f"/conversations/tienda:{USER}/tracker"
    ]
    [sent] = fake_twilio.sent
    assert (sent.to, sent.from_) == (f"whatsapp:{USER}", f"whatsapp:{SHOP_NUMBER}")
    assert sent.body == "Tenemos Arroz Diana 500 g a $3.500."
    assert sent.status_callback == f"{PUBLIC}/twilio/status"
    [row] = inbound(session_factory)
    assert row.body == "¡Hola! ¿Tienen arroz?" and row.from_number == USER
    assert row.profile_name == "Ana" and row.wa_id == USER.lstrip("+")
    [out] = outbound(session_factory)
    assert (out.status, out.provider_sid, out.seq) == ("queued", sent.sid, 0)
    [log] = logs(session_factory)
    assert log.inbound_id == row.id and log.user_id == USER and log.channel == "twilio"
    assert log.intent == "consultar_inventario" and log.confidence == 0.97
    assert log.entities[0]["entity"] == "producto"
    assert log.actions == ["action_buscar_producto"]
    assert log.facts == FACTS and log.rasa_response[1]["custom"]["facts"] == FACTS
    assert log.success and log.error_type is None
    assert log.final_reply == sent.body and log.template_reply == sent.body
    assert log.llm_provider is None and log.guard_verdict is None
    assert all(
        v is not None and v >= 0 for v in (log.queue_ms, log.rasa_ms, log.send_ms, log.total_ms)
    )


def test_wrong_or_missing_signature_is_403_and_nothing_is_stored(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    form = whatsapp_form("hola")
    with app_client() as client:
        bad = sign(PUBLIC + "/twilio/whatsapp", form, token="not-the-token")
        assert post_signed(client, "/twilio/whatsapp", form, signature=bad).status_code == 403
        assert client.post("/twilio/whatsapp", data=form).status_code == 403
        tampered = {**form, "Body": "otra cosa"}
        sig = sign(PUBLIC + "/twilio/whatsapp", form)
        assert post_signed(client, "/twilio/whatsapp", tampered, sig).status_code == 403
        other_url = sign("https://evil.test/twilio/whatsapp", form)
        assert post_signed(client, "/twilio/whatsapp", form, other_url).status_code == 403
    assert inbound(session_factory) == [] and fake_twilio.sent == []


def test_signature_checked_against_forwarded_url_behind_a_proxy(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    form = whatsapp_form("hola")
    with app_client(public_base_url=None) as client:
        sig = sign("https://proxy.example.org/twilio/whatsapp", form)
        headers = {
            "X-Twilio-Signature": sig,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "proxy.example.org",
        }
        assert client.post("/twilio/whatsapp", data=form, headers=headers).status_code == 200
        wait_for(lambda: fake_twilio.sent)
    assert len(inbound(session_factory)) == 1


def test_same_message_sid_three_times_gives_one_reply(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    form = whatsapp_form("hola", sid=message_sid())
    with app_client() as client:
        for _ in range(3):
            assert post_signed(client, "/twilio/whatsapp", form).status_code == 200
        wait_for(lambda: logs(session_factory))
        wait_for(lambda: inbound(session_factory)[0].status == "done")
        for _ in range(2):  # retries after the answer are no-ops too
            assert post_signed(client, "/twilio/whatsapp", form).status_code == 200
    assert len(fake_twilio.sent) == 1 and len(fake_rasa.messages) == 1
    assert len(inbound(session_factory)) == 1 and len(logs(session_factory)) == 1


def test_invalid_fields_are_rejected_with_400(
    app_client: AppFactory,
    session_factory: sessionmaker[Session],
) -> None:
    with app_client() as client:
        for bad in (
            {"From": "+573001234567"},
            {"MessageSid": "nope"},
            {"NumMedia": "x"},
            {"Body": "a" * 5000},
        ):
            form = {**whatsapp_form("hola"), **bad}
            assert post_signed(client, "/twilio/whatsapp", form).status_code == 400, bad
    assert inbound(session_factory) == []


def test_long_reply_is_sent_as_three_messages_in_order(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    sentences = [f"Esta es la frase número {i:03d} de una respuesta muy larga." for i in range(80)]
    long_text = " ".join(sentences)[:4000].rsplit(" ", 1)[0] + "."
    assert 3200 < len(long_text) <= 4000
    fake_rasa.responder = template_reply(long_text)
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("catálogo"))
        wait_for(lambda: len(fake_twilio.sent) == 3 and logs(session_factory))
    bodies = [s.body for s in fake_twilio.sent]
    assert all(len(b) <= 1600 for b in bodies)
    assert " ".join(bodies) == long_text
    assert all(b.endswith(".") for b in bodies)
    assert [o.seq for o in outbound(session_factory)] == [0, 1, 2]
    assert [o.provider_sid for o in outbound(session_factory)] == [s.sid for s in fake_twilio.sent]


def test_location_share_without_text_is_not_left_unanswered(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    form = whatsapp_form("", MessageType="location", Latitude="6.2", Longitude="-75.5")
    with app_client() as client:
        assert post_signed(client, "/twilio/whatsapp", form).status_code == 200
        wait_for(lambda: fake_twilio.sent)
    assert "solo entiendo mensajes de texto" in fake_twilio.sent[0].body
