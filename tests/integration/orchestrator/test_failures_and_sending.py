"""Never silence: Rasa or the action server down, Twilio errors, status callbacks."""

from __future__ import annotations

import socket

from sqlalchemy.orm import Session, sessionmaker

from orchestrator.pipeline import APOLOGY
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio
from tests.integration.orchestrator.conftest import (
    AppFactory,
    inbound,
    logs,
    outbound,
    post_signed,
    wait_for,
    whatsapp_form,
)


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_rasa_unreachable_gives_apology_and_error_row(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    with app_client(rasa_url=_closed_port_url(), turn_retry_window_s=1) as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: fake_twilio.sent and logs(session_factory))
    assert [s.body for s in fake_twilio.sent] == [APOLOGY]
    [log] = logs(session_factory)
    assert not log.success and log.error_type == "rasa_unavailable"
    assert "ConnectError" in (log.error_message or "")
    assert log.final_reply == APOLOGY
    assert inbound(session_factory)[0].status == "failed"


def test_empty_rasa_answer_with_action_server_down(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.responder = lambda sender, message: []
    with app_client(action_server_url=_closed_port_url(), turn_retry_window_s=1) as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("quiero arroz"))
        wait_for(lambda: fake_twilio.sent and logs(session_factory))
    assert fake_twilio.sent[0].body == APOLOGY
    [log] = logs(session_factory)
    assert not log.success and log.error_type == "action_server_unavailable"
    assert log.intent == "consultar_inventario" and log.rasa_response == []


def test_empty_rasa_answer_with_action_server_up(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.responder = lambda sender, message: []
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("quiero arroz"))
        wait_for(lambda: fake_twilio.sent and logs(session_factory))
    assert fake_twilio.sent[0].body == APOLOGY
    assert logs(session_factory)[0].error_type == "rasa_empty_reply"


def test_twilio_429_and_500_are_retried(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_twilio.fail_next(429)
    fake_twilio.fail_next(503)
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: logs(session_factory))
    assert len(fake_twilio.sent) == 1
    posts = [r for r in fake_twilio.requests if r.method == "POST"]
    assert len(posts) == 3
    [out] = outbound(session_factory)
    assert out.status == "queued" and out.attempts == 3 and out.provider_sid
    assert logs(session_factory)[0].success


def test_permanent_twilio_error_is_logged_not_retried(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_twilio.fail_next(400)
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: logs(session_factory))
    assert len(fake_twilio.requests) == 1 and fake_twilio.sent == []
    [out] = outbound(session_factory)
    assert out.status == "failed" and out.error_code == "21211"
    [log] = logs(session_factory)
    assert not log.success and log.error_type == "send_failed"


def test_status_callback_moves_status_forward_only(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: logs(session_factory))
        sid = fake_twilio.sent[0].sid
        base = {"MessageSid": sid, "AccountSid": "AC1", "To": "whatsapp:+573001234567"}
        unsigned = client.post("/twilio/status", data={**base, "MessageStatus": "read"})
        assert unsigned.status_code == 403
        for status in ("sent", "delivered", "sent"):
            resp = post_signed(client, "/twilio/status", {**base, "MessageStatus": status})
            assert resp.status_code == 204
        assert outbound(session_factory)[0].status == "delivered"
        failed = {
            **base,
            "MessageStatus": "failed",
            "ErrorCode": "63016",
            "ErrorMessage": "outside the 24 h window",
        }
        post_signed(client, "/twilio/status", failed)
        unknown = {**base, "MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
        assert post_signed(client, "/twilio/status", unknown).status_code == 204
    [out] = outbound(session_factory)
    assert (out.status, out.error_code) == ("failed", "63016")


def test_without_twilio_credentials_the_outbox_records_replies(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    with app_client(twilio_url=None) as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("hola"))
        wait_for(lambda: logs(session_factory))
    assert fake_twilio.requests == []
    [out] = outbound(session_factory)
    assert out.status == "recorded" and out.body.startswith("¡Hola!")
    assert logs(session_factory)[0].success
