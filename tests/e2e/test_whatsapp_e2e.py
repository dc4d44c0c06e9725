"""Acceptance: WhatsApp conversations over signed webhooks through the real trained Rasa
model and the real action server; Twilio and the LLMs are fakes on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import analytics
from db.models import GuardVerdict, Order, Shop
from db.session import session_scope
from orchestrator.pipeline import APOLOGY
from tests.e2e.harness import (
    inbound_of,
    outbound_to,
    send_whatsapp,
    turn_logs,
    wait_for,
)
from tests.fakes.llm import FakeLLM
from tests.fakes.twilio import FakeTwilio, message_sid

pytestmark = pytest.mark.e2e

# (message, expected intent, expected action among those run)
PURCHASE = [
    ("hola buenas", "saludar", "utter_saludar"),
    ("tienen mangueras?", "consultar_inventario", "action_buscar_producto"),
    ("quiero 2 mangueras", "comprar", "action_agregar_producto"),
    ("agregame tambien 2 escobas", "comprar", "action_agregar_producto"),
    ("cuanto llevo?", "ver_pedido", "action_ver_pedido"),
    ("eso es todo", "confirmar_pedido", "action_confirmar_pedido"),
    ("si", "afirmar", "action_iniciar_checkout"),
    ("me llamo Valeria Montoya", "informar_datos", "datos_cliente_form"),
    ("1037654321", "informar_datos", "datos_cliente_form"),
    ("3126547890", "informar_datos", "datos_cliente_form"),
    ("valemontoya@gmail.com", "informar_datos", "datos_cliente_form"),
    ("calle 33 # 65-20 apto 401", "informar_datos", "datos_cliente_form"),
    ("barrio Conquistadores", "informar_datos", "action_cerrar_pedido"),
]


def _orders(sf: sessionmaker[Session], phone: str) -> list[Order]:
    with sf() as s:
        orders = list(s.scalars(select(Order).where(Order.user_id == phone)))
        for o in orders:
            _ = [i.product.name for i in o.items]  # load while the session is open
        return orders


def _turns_logged(sf: sessionmaker[Session], phone: str, n: int) -> Callable[[], bool]:
    return lambda: len(turn_logs(sf, phone)) == n


def _transcript(sf: sessionmaker[Session], phone: str) -> str:
    return "\n".join(
        f"> {lg.message}\n  [{lg.intent} {lg.actions}] {lg.final_reply}"
        for lg in turn_logs(sf, phone)
    )


def test_whole_whatsapp_purchase(
    stack: Any, fake_twilio: FakeTwilio, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    with stack() as client:
        for n, (text, _, _) in enumerate(PURCHASE, start=1):
            send_whatsapp(client, phone, text)
            wait_for(_turns_logged(e2e_sf, phone, n))
    transcript = _transcript(e2e_sf, phone)
    logs = turn_logs(e2e_sf, phone)
    assert [lg.message for lg in logs] == [t for t, _, _ in PURCHASE]
    for lg, (text, intent, action) in zip(logs, PURCHASE, strict=True):
        assert lg.success, f"{text!r} failed: {lg.error_type}\n{transcript}"
        assert lg.intent == intent, f"{text!r}: {lg.intent}\n{transcript}"
        assert action in lg.actions, f"{text!r}: {lg.actions}\n{transcript}"
        assert lg.confidence is not None and lg.rasa_response and lg.final_reply
        assert lg.rasa_ms is not None and lg.send_ms is not None
    [order] = _orders(e2e_sf, phone)
    assert order.state == "cerrada", transcript
    assert [i.quantity for i in order.items] == [2, 2], transcript
    assert order.total == sum(i.quantity * i.unit_price for i in order.items)
    assert order.client_id is not None and order.closed_at is not None
    # Every reply went out through Twilio, in order, one log row and inbound row per turn.
    out = outbound_to(e2e_sf, phone)
    assert [o.body for o in out] == fake_twilio.bodies_to(phone)
    assert all(o.status == "queued" and o.provider_sid for o in out)
    assert all(m.status == "done" for m in inbound_of(e2e_sf, phone))
    # The replies name the products and the totals of the database, in pesos.
    manguera, escoba = (i.product.name for i in order.items)
    total = _pesos(order.total)
    replies = [lg.final_reply or "" for lg in logs]
    assert manguera in replies[1] and manguera in replies[2] and escoba in replies[3]
    assert _pesos(order.items[0].unit_price * 2) in replies[2]
    for step in (4, 5, len(PURCHASE) - 1):  # cart, summary, closed order
        assert total in replies[step] and manguera in replies[step] and escoba in replies[step]
    assert "Valeria Montoya" in replies[-1] and "Conquistadores" in replies[-1]


def _pesos(amount: int) -> str:
    return "$" + f"{amount:,}".replace(",", ".")


def test_duplicate_webhooks_get_one_reply(
    stack: Any, fake_twilio: FakeTwilio, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    sid = message_sid()
    with stack() as client:
        for _ in range(3):
            send_whatsapp(client, phone, "hola", sid=sid)
        wait_for(lambda: turn_logs(e2e_sf, phone))
        time.sleep(1.0)  # a second answer, if any, would have been sent by now
    assert len(fake_twilio.bodies_to(phone)) == 1
    assert len(turn_logs(e2e_sf, phone)) == 1 and len(inbound_of(e2e_sf, phone)) == 1


def test_wrong_signature_stores_nothing(
    stack: Any, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    form = {
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+14155238886",
        "Body": "hola",
        "MessageSid": message_sid(),
        "NumMedia": "0",
    }
    with stack() as client:
        resp = client.post(
            "/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
        )
    assert resp.status_code == 403
    assert inbound_of(e2e_sf, phone) == []


def _demo_shop_id(sf: sessionmaker[Session]) -> int:
    with session_scope(sf) as s:
        return int(s.scalar(select(Shop.id).where(Shop.slug == "demo")) or 0)


def _guard_rejections(sf: sessionmaker[Session], shop_id: int) -> int:
    """`guard_rejections` of the shop's `conversation_stats` rows, summed over the days."""
    with session_scope(sf) as s:
        rows = analytics.stats_rows(s, analytics.conversation_stats, shop_id)
    return sum(int(r["guard_rejections"] or 0) for r in rows)


def test_llm_inventing_a_price_sends_the_template(
    stack: Any,
    fake_llm: FakeLLM,
    fake_twilio: FakeTwilio,
    e2e_sf: sessionmaker[Session],
    phone: str,
) -> None:
    fake_llm.mode = "invent_price"
    llm = {
        "llm_provider": "openrouter",
        "openrouter_api_key": "sk-or-e2e",
        "openrouter_base_url": f"{fake_llm.url}/v1",
    }
    shop_id = _demo_shop_id(e2e_sf)
    rejected_before = _guard_rejections(e2e_sf, shop_id)
    with stack(**llm) as client:
        send_whatsapp(client, phone, "tienen mangueras?")
        [log] = wait_for(lambda: turn_logs(e2e_sf, phone))
    assert log.intent == "consultar_inventario" and log.facts
    assert log.guard_verdict == GuardVerdict.REJECTED and "1.234" in (log.guard_reason or "")
    assert log.final_reply == log.template_reply
    assert fake_twilio.bodies_to(phone) == [log.template_reply]
    # The analytics view counts what the pipeline wrote (one GuardVerdict for both).
    assert _guard_rejections(e2e_sf, log.shop_id or 0) == rejected_before + 1


def test_hanging_llm_sends_the_template_within_the_timeout(
    stack: Any,
    fake_llm: FakeLLM,
    fake_twilio: FakeTwilio,
    e2e_sf: sessionmaker[Session],
    phone: str,
) -> None:
    fake_llm.mode, fake_llm.hang_s = "hang", 60
    llm = {
        "llm_provider": "gemini",
        "gemini_api_key": "gm-e2e",
        "gemini_base_url": fake_llm.url,
        "llm_timeout_s": 2.0,
    }
    with stack(**llm) as client:
        start = time.monotonic()
        send_whatsapp(client, phone, "tienen mangueras?")
        [log] = wait_for(lambda: turn_logs(e2e_sf, phone), timeout=30)
        elapsed = time.monotonic() - start
    assert log.guard_verdict == "timeout" and log.success
    assert 2000 <= (log.llm_latency_ms or 0) < 4000
    assert fake_twilio.bodies_to(phone) == [log.template_reply]
    assert elapsed < 20


def test_long_reply_is_split_in_order(
    stack: Any,
    fake_llm: FakeLLM,
    fake_twilio: FakeTwilio,
    e2e_sf: sessionmaker[Session],
    phone: str,
) -> None:
    # The LLM repeats the (guard-approved) draft until it passes 4,000 characters.
    fake_llm.mode = "text"
    llm = {
        "llm_provider": "openrouter",
        "openrouter_api_key": "sk-or-e2e",
        "openrouter_base_url": f"{fake_llm.url}/v1",
    }
    with stack(**llm) as client:
        send_whatsapp(client, phone, "hola buenas")
        [first] = wait_for(lambda: turn_logs(e2e_sf, phone))
        greeting = first.template_reply or ""
        fake_llm.text = " ".join([greeting] * (4000 // (len(greeting) + 1)))
        assert 3200 < len(fake_llm.text) <= 4000
        send_whatsapp(client, phone, "hola de nuevo")
        wait_for(lambda: len(turn_logs(e2e_sf, phone)) == 2)
    last = turn_logs(e2e_sf, phone)[-1]
    assert last.guard_verdict == GuardVerdict.PASSED, last.guard_reason
    bodies = fake_twilio.bodies_to(phone)[1:]
    assert len(bodies) == 3 and all(len(b) <= 1600 for b in bodies)
    assert " ".join(bodies) == fake_llm.text


def test_rasa_stopped_gives_apology_and_error_row(
    stack: Any, fake_twilio: FakeTwilio, e2e_sf: sessionmaker[Session], phone: str
) -> None:
    # A Rasa that is not running: nothing listens on the port any more.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    # A short retry window: the apology is the last resort once it is over.
    with stack(rasa_url=dead, turn_retry_window_s=2, turn_patience_s=60) as client:
        send_whatsapp(client, phone, "hola")
        [log] = wait_for(lambda: turn_logs(e2e_sf, phone))
    assert not log.success and log.error_type == "rasa_unavailable"
    assert fake_twilio.bodies_to(phone) == [APOLOGY]
