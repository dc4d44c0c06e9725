"""WhatsApp media through the real app on fake Rasa and Twilio: voice notes, photos,
product images, quick replies and their fallbacks (docs/MEDIA.md).

The media host and the transcription / vision APIs are fakes on 127.0.0.1 driven by the real
httpx, openai and google-genai clients; the voice note is a real Spanish OGG/Opus file.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Product, Shop
from orchestrator import media as om
from tests.fakes.media import FakeMediaAI, FakeMediaHost
from tests.fakes.rasa import FakeRasa, template_reply
from tests.fakes.twilio import ACCOUNT_SID, FakeTwilio
from tests.fakes.voice import spanish_voice_note
from tests.integration.orchestrator.conftest import (
    USER,
    AppFactory,
    inbound,
    logs,
    outbound,
    post_signed,
    wait_for,
    whatsapp_form,
)

MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
TRANSCRIPT = "quiero dos escobas"


@pytest.fixture
def media_host() -> Iterator[FakeMediaHost]:
    fake = FakeMediaHost().start()
    yield fake
    fake.stop()


@pytest.fixture
def media_ai() -> Iterator[FakeMediaAI]:
    fake = FakeMediaAI(transcript=TRANSCRIPT, vision_text="Escoba.").start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def voice_note(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return spanish_voice_note(TRANSCRIPT, Path(tmp_path_factory.mktemp("voice")))


def providers(ai: FakeMediaAI, kind: str = "openai", **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "media_hosts": ["127.0.0.1"],
        "transcription_provider": kind,
        "vision_provider": kind,
        "openai_api_key": "sk-media-test",
        "openai_base_url": f"{ai.url}/v1",
        "gemini_api_key": "gm-media-test",
        "gemini_base_url": ai.url,
    }
    values.update(kw)
    return values


def media_form(url: str, content_type: str, body: str = "") -> dict[str, str]:
    return whatsapp_form(
        body, NumMedia="1", MediaUrl0=url, MediaContentType0=content_type, MessageType="audio"
    )


def _one_log(sf: sessionmaker[Session]) -> Any:
    [log] = wait_for(lambda: logs(sf))
    return log


@pytest.mark.parametrize("kind", ["openai", "gemini"])
def test_voice_note_is_transcribed_and_runs_as_the_turn(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    voice_note: bytes,
    session_factory: sessionmaker[Session],
    kind: str,
) -> None:
    url = media_host.add(MEDIA_PATH, "audio/ogg", voice_note)
    fake_rasa.responder = template_reply("Listo, anoté 2 escobas.", {"products": []}, "x")
    with app_client(**providers(media_ai, kind)) as client:
        resp = post_signed(client, "/twilio/whatsapp", media_form(url, "audio/ogg"))
        assert resp.status_code == 200
        log = _one_log(session_factory)
    # The media host got the account's credentials; the provider got the very OGG file.
    assert [r.headers["authorization"].startswith("Basic ") for r in media_host.requests] == [True]
    assert media_ai.received == [("audio", "audio/ogg", voice_note)]
    assert fake_rasa.messages == [(f"tienda:{USER}", TRANSCRIPT)]
    assert log.success and log.message == TRANSCRIPT and log.media_text == TRANSCRIPT
    assert (log.media_type, log.media_provider) == ("audio/ogg", kind)
    assert log.media_ms is not None and log.media_ms > 0
    assert [s.body for s in fake_twilio.sent] == ["Listo, anoté 2 escobas."]
    [row] = inbound(session_factory)
    assert row.body == "" and row.media == [
        {"url": url, "content_type": "audio/ogg", "read": {"provider": kind, "text": TRANSCRIPT}}
    ]


def test_without_a_provider_the_shopper_is_asked_to_write(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    voice_note: bytes,
    session_factory: sessionmaker[Session],
) -> None:
    url = media_host.add(MEDIA_PATH, "audio/ogg", voice_note)
    with app_client(media_hosts=["127.0.0.1"]) as client:
        post_signed(client, "/twilio/whatsapp", media_form(url, "audio/ogg"))
        log = _one_log(session_factory)
    assert [s.body for s in fake_twilio.sent] == [om.VOICE_FALLBACK]
    assert not log.success and log.error_type == "transcription_unavailable"
    assert fake_rasa.messages == [] and media_host.requests == []


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_failing_or_hanging_provider_gives_the_fallback_within_the_llm_timeout(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    voice_note: bytes,
    session_factory: sessionmaker[Session],
    mode: str,
) -> None:
    media_ai.mode, media_ai.hang_s = mode, 30
    url = media_host.add(MEDIA_PATH, "audio/ogg", voice_note)
    with app_client(**providers(media_ai), llm_timeout_s=1.0) as client:
        start = time.monotonic()
        post_signed(client, "/twilio/whatsapp", media_form(url, "audio/ogg"))
        log = _one_log(session_factory)
        elapsed = time.monotonic() - start
    assert [s.body for s in fake_twilio.sent] == [om.VOICE_FALLBACK]
    assert not log.success
    assert log.error_type == (
        "transcription_failed" if mode == "error" else "transcription_timeout"
    )
    assert fake_rasa.messages == []
    if mode == "hang":
        assert 1000 <= (log.media_ms or 0) < 2500 and elapsed < 6


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
def test_a_20_mb_item_is_refused_without_downloading_it_in_full(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    session_factory: sessionmaker[Session],
    declare: bool,
) -> None:
    size = 20 * 1024 * 1024
    url = media_host.add_huge(MEDIA_PATH, "audio/ogg", size, declare=declare)
    settings = providers(media_ai, media_max_bytes=1024 * 1024)
    with app_client(**settings) as client:
        post_signed(client, "/twilio/whatsapp", media_form(url, "audio/ogg"))
        log = _one_log(session_factory)
    assert [s.body for s in fake_twilio.sent] == [om.TOO_LARGE]
    assert not log.success and log.error_type == "media_too_large"
    assert media_ai.received == []
    assert media_host.streamed < size // 2


@pytest.mark.parametrize(
    ("url", "content_type", "error_type", "reply"),
    [
        ("{host}" + MEDIA_PATH, "video/mp4", None, om.OTHER_MEDIA),
        ("https://evil.example" + MEDIA_PATH, "audio/ogg", "media_host_refused", None),
        ("{host}/wrong-path", "audio/ogg", "media_download_failed", None),
    ],
    ids=["video", "foreign-host", "404"],
)
def test_unusable_media_is_refused_politely(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    session_factory: sessionmaker[Session],
    url: str,
    content_type: str,
    error_type: str | None,
    reply: str | None,
) -> None:
    media_host.add(MEDIA_PATH, "audio/ogg", b"OggS-not-used")
    with app_client(**providers(media_ai)) as client:
        form = media_form(url.format(host=media_host.url), content_type)
        post_signed(client, "/twilio/whatsapp", form)
        log = _one_log(session_factory)
    assert [s.body for s in fake_twilio.sent] == [reply or om.VOICE_FALLBACK]
    assert log.error_type == error_type and log.success == (error_type is None)
    assert media_ai.received == []
    if content_type == "video/mp4" or "evil" in url:
        assert media_host.requests == []  # refused before any request


def _product(sf: sessionmaker[Session], image: str | None = None) -> dict[str, Any]:
    with sf() as s:
        p = s.scalars(select(Product).order_by(Product.id)).first()
        assert p is not None
        if image is not None:
            s.execute(update(Product).where(Product.id == p.id).values(image_url=image))
            s.commit()
        return {"id": p.id, "sku": p.sku, "name": p.name, "price": p.price, "stock": p.stock}


@pytest.mark.parametrize("kind", ["openai", "gemini"])
def test_photo_becomes_a_catalog_search_and_the_product_image_is_sent(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    session_factory: sessionmaker[Session],
    kind: str,
) -> None:
    photo = b"\xff\xd8\xff\xe0fake-jpeg"
    url = media_host.add(MEDIA_PATH, "image/jpeg", photo)
    image = "https://cdn.tienda.test/arroz.jpg"
    fact = _product(session_factory, image)
    text = f"{fact['name']} cuesta $3.500. ¿Te lo agrego al pedido?"
    fake_rasa.responder = template_reply(text, {"query": "escoba", "products": [fact]})
    with app_client(**providers(media_ai, kind)) as client:
        post_signed(client, "/twilio/whatsapp", media_form(url, "image/jpeg"))
        log = _one_log(session_factory)
    assert media_ai.received == [("image", "image/jpeg", photo)]
    assert fake_rasa.messages == [(f"tienda:{USER}", "¿tienen Escoba?")]
    [sent] = fake_twilio.sent
    assert sent.body == om.PHOTO_PREFIX + text and sent.media_url == image
    assert log.media_text == "Escoba" and log.media_provider == kind and log.success
    [row] = outbound(session_factory)
    assert row.media_url == image


def test_photo_without_a_vision_provider_gets_the_polite_fallback(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    form = media_form("https://api.twilio.com/media/ME1", "image/jpeg")
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", form)
        log = _one_log(session_factory)
    assert [s.body for s in fake_twilio.sent] == [om.PHOTO_FALLBACK]
    assert log.error_type == "vision_unavailable" and fake_rasa.messages == []


def test_several_products_carry_no_image_and_a_photo_request_sends_the_last_one(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    image = "https://cdn.tienda.test/arroz.jpg"
    fact = _product(session_factory, image)
    other = {**fact, "id": fact["id"] + 1}
    with app_client() as client:
        fake_rasa.responder = template_reply("Tenemos dos.", {"products": [fact, other]})
        post_signed(client, "/twilio/whatsapp", whatsapp_form("tienen arroz?"))
        wait_for(lambda: len(fake_twilio.sent) == 1)
        post_signed(client, "/twilio/whatsapp", whatsapp_form("mándame foto"))
        wait_for(lambda: len(fake_twilio.sent) == 2)
        fake_rasa.responder = template_reply("Arroz a $3.500.", {"products": [fact]})
        post_signed(client, "/twilio/whatsapp", whatsapp_form("el primero"))
        wait_for(lambda: len(fake_twilio.sent) == 3)
        post_signed(client, "/twilio/whatsapp", whatsapp_form("¿me mandas una foto?"))
        wait_for(lambda: len(fake_twilio.sent) == 4)
    first, which, single, photo = fake_twilio.sent
    assert first.media_url is None and which.body == om.WHICH_PHOTO
    assert single.media_url == image
    assert photo.body == om.PHOTO_OF.format(name=fact["name"]) and photo.media_url == image
    assert [m for _, m in fake_rasa.messages] == ["tienen arroz?", "el primero"]
    assert logs(session_factory)[-1].actions == ["photo_request"]


ORDER = {"order": {"id": 7, "state": "pendiente", "total": 7000, "items": []}}
SUMMARY = "Este es tu pedido #7:\n2 x Arroz\n¿Confirmas el pedido? (sí / no)"


def _quick_replies(sf: sessionmaker[Session], sid: str) -> None:
    with sf() as s:
        s.execute(update(Shop).values(quick_replies={"confirmar_pedido": sid}))
        s.commit()


@pytest.mark.parametrize("refused", [False, True], ids=["template", "text-fallback"])
def test_order_confirmation_uses_the_quick_reply_template_with_a_text_fallback(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
    refused: bool,
) -> None:
    sid = "HX" + "a" * 32
    _quick_replies(session_factory, sid)
    fake_twilio.refuse_content = refused
    fake_rasa.responder = template_reply(SUMMARY, ORDER, "action_confirmar_pedido")
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", whatsapp_form("eso es todo"))
        wait_for(lambda: fake_twilio.sent)
        wait_for(lambda: logs(session_factory))
    [sent] = fake_twilio.sent
    [row] = outbound(session_factory)
    assert row.body == SUMMARY
    if refused:
        assert (sent.content_sid, sent.body) == (None, SUMMARY)
        assert row.content_sid is None
    else:
        assert sent.content_sid == sid and json.loads(sent.content_variables or "") == {
            "1": SUMMARY
        }
        assert row.content_sid == sid and json.loads(row.content_variables or "") == {"1": SUMMARY}


def test_a_button_answer_is_handled_as_the_typed_answer(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    form = whatsapp_form("Sí, confirmar", ButtonPayload="si", ButtonText="Sí, confirmar")
    with app_client() as client:
        post_signed(client, "/twilio/whatsapp", form)
        log = _one_log(session_factory)
    assert fake_rasa.messages == [(f"tienda:{USER}", "sí")]
    assert log.message == "sí" and (log.media_type, log.media_text) == ("button", "si")
    [row] = inbound(session_factory)
    assert (row.button_payload, row.button_text) == ("si", "Sí, confirmar")


def test_web_chat_upload_runs_the_media_step_and_lists_the_images(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    media_ai: FakeMediaAI,
    voice_note: bytes,
    session_factory: sessionmaker[Session],
) -> None:
    image = "https://cdn.tienda.test/arroz.jpg"
    fact = _product(session_factory, image)
    fake_rasa.responder = template_reply("Arroz a $3.500.", {"products": [fact]})
    note = base64.b64encode(voice_note).decode()
    with app_client(**providers(media_ai)) as client:
        body = {"shop": "tienda", "user": "ana", "channel": "web"}
        resp = client.post(
            "/chat/media", json={**body, "media": {"content_type": "audio/ogg", "data": note}}
        )
        bad_type = client.post(
            "/chat/media", json={**body, "media": {"content_type": "video/mp4", "data": note}}
        )
        bad_data = client.post(
            "/chat/media", json={**body, "media": {"content_type": "audio/ogg", "data": "%%%%"}}
        )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["replies"] == ["Arroz a $3.500."] and out["images"] == [image] and out["success"]
    assert fake_rasa.messages == [("tienda:web:ana", TRANSCRIPT)]
    assert media_ai.received == [("audio", "audio/ogg", voice_note)]
    assert bad_type.status_code == 400 and "content_type" in bad_type.json()["detail"]
    assert bad_data.status_code == 400 and "base64" in bad_data.json()["detail"]
    [log] = logs(session_factory)
    assert (log.channel, log.message, log.media_provider) == ("chat", TRANSCRIPT, "openai")


def test_web_chat_upload_over_the_limit_is_413(app_client: AppFactory) -> None:
    data = base64.b64encode(b"OggS" + b"\0" * 2048).decode()
    with app_client(media_max_bytes=1024) as client:
        resp = client.post(
            "/chat/media",
            json={
                "user": "ana",
                "shop": "tienda",
                "media": {"content_type": "audio/ogg", "data": data},
            },
        )
    assert resp.status_code == 413


def test_an_unsure_voice_note_answer_starts_with_what_was_understood(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    voice_note: bytes,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.confidence = 0.41
    fake_rasa.responder = template_reply("Listo, anoté 2 escobas.")
    url = media_host.add(MEDIA_PATH, "audio/ogg", voice_note)
    with app_client(**providers(media_ai)) as client:
        post_signed(client, "/twilio/whatsapp", media_form(url, "audio/ogg"))
        log = _one_log(session_factory)
    expected = om.ECHO.format(text=TRANSCRIPT) + "\n\nListo, anoté 2 escobas."
    assert [s.body for s in fake_twilio.sent] == [expected] and log.final_reply == expected


def test_a_retried_turn_reuses_the_transcript_instead_of_calling_the_provider_again(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    media_host: FakeMediaHost,
    media_ai: FakeMediaAI,
    voice_note: bytes,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.fail_next = 1  # the first try fails after the note was transcribed
    url = media_host.add(MEDIA_PATH, "audio/ogg", voice_note)
    with app_client(**providers(media_ai)) as client:
        post_signed(client, "/twilio/whatsapp", media_form(url, "audio/ogg"))
        log = _one_log(session_factory)
    assert log.success and log.message == TRANSCRIPT
    assert len(media_ai.received) == 1 and len(media_host.requests) == 1
    assert fake_rasa.messages == [(f"tienda:{USER}", TRANSCRIPT)]
    [row] = inbound(session_factory)
    assert row.media[0]["read"] == {"provider": "openai", "text": TRANSCRIPT}
    assert len(fake_twilio.sent) == 1
