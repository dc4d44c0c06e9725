"""Acceptance (issue #16): WhatsApp media on the real stack — the trained Rasa model, the
real action server and PostgreSQL — with Twilio, its media host and the transcription /
vision APIs as fakes on 127.0.0.1 driven through the real twilio, httpx, openai and
google-genai clients. The voice note is a real Spanish OGG/Opus file made in the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Order, Product, Shop
from orchestrator import media as om
from tests.e2e.harness import DEMO_NUMBER, PUBLIC, send_whatsapp, turn_logs, wait_for
from tests.fakes import fixtures as fake_fixtures
from tests.fakes.media import FakeMediaAI, FakeMediaHost
from tests.fakes.twilio import ACCOUNT_SID, FakeTwilio, message_sid, sign
from tests.fakes.voice import spanish_voice_note

pytestmark = pytest.mark.e2e
fake_media_host = fake_fixtures.fake_media_host
fake_media_ai = fake_fixtures.fake_media_ai

IMAGE = "https://cdn.tienda-demo.test/productos/{sku}.jpg"


def _media_settings(ai: FakeMediaAI) -> dict[str, Any]:
    return {
        "media_hosts": ["127.0.0.1"],
        "transcription_provider": "openai",
        "openai_api_key": "sk-e2e-media",
        "openai_base_url": f"{ai.url}/v1",
        "vision_provider": "gemini",
        "gemini_api_key": "gm-e2e-media",
        "gemini_base_url": ai.url,
    }


def _post(client: TestClient, phone: str, body: str = "", **extra: str) -> str:
    sid = message_sid()
    form = {
        "NumMedia": "0",
        "ProfileName": "Cliente",
        "WaId": phone.lstrip("+"),
        "Body": body,
        "To": f"whatsapp:{DEMO_NUMBER}",
        "From": f"whatsapp:{phone}",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        **extra,
    }
    resp = client.post(
        "/twilio/whatsapp",
        data=form,
        headers={"X-Twilio-Signature": sign(f"{PUBLIC}/twilio/whatsapp", form)},
    )
    assert resp.status_code == 200, resp.text
    return sid


def _media(url: str, content_type: str) -> dict[str, str]:
    return {"NumMedia": "1", "MediaUrl0": url, "MediaContentType0": content_type}


def _media_path(sid: str) -> str:
    return f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media/ME{sid[2:]}"


def _turns(sf: sessionmaker[Session], phone: str, n: int) -> list[Any]:
    return wait_for(lambda: (logs := turn_logs(sf, phone)) and len(logs) >= n and logs)


def _open_order(sf: sessionmaker[Session], phone: str) -> Order | None:
    with sf() as s:
        order = s.scalars(select(Order).where(Order.user_id == phone)).first()
        if order is not None:
            _ = [(i.product.name, i.quantity) for i in order.items]
        return order


@pytest.fixture
def product_images(e2e_sf: sessionmaker[Session]) -> Iterator[dict[str, str]]:
    """Every demo product gets an image URL for the test (removed afterwards)."""
    with e2e_sf() as s:
        skus = list(s.scalars(select(Product.sku)))
        for sku in skus:
            s.execute(
                update(Product).where(Product.sku == sku).values(image_url=IMAGE.format(sku=sku))
            )
        s.commit()
    yield {sku: IMAGE.format(sku=sku) for sku in skus}
    with e2e_sf() as s:
        s.execute(update(Product).values(image_url=None))
        s.commit()


def test_voice_note_adds_the_product_to_the_cart(
    stack: Any,
    fake_twilio: FakeTwilio,
    fake_media_host: FakeMediaHost,
    fake_media_ai: FakeMediaAI,
    e2e_sf: sessionmaker[Session],
    phone: str,
    tmp_path: Path,
) -> None:
    note = spanish_voice_note("quiero dos escobas", tmp_path)
    assert note.startswith(b"OggS")
    fake_media_ai.transcript = "quiero dos escobas"
    url = fake_media_host.add(_media_path("MM" + "1" * 32), "audio/ogg", note)
    with stack(**_media_settings(fake_media_ai)) as client:
        _post(client, phone, **_media(url, "audio/ogg"))
        [log] = _turns(e2e_sf, phone, 1)
    assert fake_media_host.requests and fake_media_host.requests[0].headers["authorization"]
    # A turn retried (Rasa slow under load) reads the note again: never another file.
    assert fake_media_ai.received and set(fake_media_ai.received) == {("audio", "audio/ogg", note)}
    assert log.success, log.error_message
    assert (log.message, log.media_text, log.media_provider) == (
        "quiero dos escobas",
        "quiero dos escobas",
        "openai",
    )
    assert log.intent == "comprar" and "action_agregar_producto" in log.actions
    order = _open_order(e2e_sf, phone)
    assert order is not None and order.state == "iniciada"
    [item] = order.items
    assert item.quantity == 2 and "Escoba" in item.product.name
    assert fake_twilio.bodies_to(phone) == [log.final_reply]


def test_photo_is_searched_in_the_catalog_and_its_image_is_sent(
    stack: Any,
    fake_twilio: FakeTwilio,
    fake_media_host: FakeMediaHost,
    fake_media_ai: FakeMediaAI,
    e2e_sf: sessionmaker[Session],
    phone: str,
    product_images: dict[str, str],
) -> None:
    photo = b"\xff\xd8\xff\xe0" + b"JFIF-escoba" * 50
    fake_media_ai.vision_text = "escoba"
    url = fake_media_host.add(_media_path("MM" + "2" * 32), "image/jpeg", photo)
    with stack(**_media_settings(fake_media_ai)) as client:
        _post(client, phone, **_media(url, "image/jpeg"))
        [log] = _turns(e2e_sf, phone, 1)
    assert fake_media_ai.received == [("image", "image/jpeg", photo)]
    assert log.success and log.media_provider == "gemini" and log.media_text == "escoba"
    assert log.message == "¿tienen escoba?"
    assert log.intent == "consultar_inventario" and "action_buscar_producto" in log.actions
    [product] = log.facts["products"]
    assert "Escoba" in product["name"]
    [sent] = [s for s in fake_twilio.sent if s.to == f"whatsapp:{phone}"]
    assert sent.body.startswith(om.PHOTO_PREFIX) and product["name"] in sent.body
    assert sent.media_url == product_images[product["sku"]]


def test_product_reply_carries_its_image_and_a_photo_request_resends_it(
    stack: Any,
    fake_twilio: FakeTwilio,
    e2e_sf: sessionmaker[Session],
    phone: str,
    product_images: dict[str, str],
) -> None:
    with stack() as client:
        send_whatsapp(client, phone, "tienen mangueras?")
        [first] = _turns(e2e_sf, phone, 1)
        send_whatsapp(client, phone, "mándame foto")
        _turns(e2e_sf, phone, 2)
    [product] = first.facts["products"]
    image = product_images[product["sku"]]
    shown, photo = [s for s in fake_twilio.sent if s.to == f"whatsapp:{phone}"]
    assert shown.media_url == image and product["name"] in shown.body
    assert photo.media_url == image and photo.body == om.PHOTO_OF.format(name=product["name"])


@pytest.fixture
def confirm_template(e2e_sf: sessionmaker[Session]) -> Iterator[str]:
    """The demo shop's quick-reply template for the order confirmation (removed after)."""
    sid = "HX" + "c0ffee" * 5 + "00"
    with e2e_sf() as s:
        s.execute(
            update(Shop)
            .where(Shop.whatsapp_number == DEMO_NUMBER)
            .values(quick_replies={"confirmar_pedido": sid})
        )
        s.commit()
    yield sid
    with e2e_sf() as s:
        s.execute(update(Shop).values(quick_replies=None))
        s.commit()


def test_quick_reply_button_confirms_the_order(
    stack: Any,
    fake_twilio: FakeTwilio,
    e2e_sf: sessionmaker[Session],
    phone: str,
    confirm_template: str,
) -> None:
    with stack() as client:
        send_whatsapp(client, phone, "quiero 2 mangueras")
        _turns(e2e_sf, phone, 1)
        send_whatsapp(client, phone, "eso es todo")
        summary = _turns(e2e_sf, phone, 2)[-1]
        order = _open_order(e2e_sf, phone)
        assert order is not None and order.state == "pendiente", summary.final_reply
        _post(client, phone, "Sí, confirmar", ButtonPayload="si", ButtonText="Sí, confirmar")
        answer = _turns(e2e_sf, phone, 3)[-1]
    sent = [s for s in fake_twilio.sent if s.to == f"whatsapp:{phone}"]
    assert sent[1].content_sid == confirm_template
    assert json.loads(sent[1].content_variables or "{}") == {"1": summary.final_reply}
    assert sent[0].content_sid is None and sent[2].content_sid is None
    assert answer.message == "sí" and answer.media_type == "button"
    assert "action_iniciar_checkout" in answer.actions, answer.actions
    order = _open_order(e2e_sf, phone)
    assert order is not None and order.state == "recolectando_datos"
