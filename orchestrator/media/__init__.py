"""WhatsApp media in a turn: voice notes, photos, product images, quick replies.

The worker calls `MediaService.prepare` before Rasa and `finish` after it
(`orchestrator.pipeline`); nothing here runs on the webhook's request path.

- A voice note is downloaded (`download.MediaDownloader`) and transcribed; the transcript
  is the turn's text. A photo is described as a short Spanish product query that runs as
  "¿tienen …?" (or after the caption), and the answer starts "¿Buscas algo como esto?".
  Without a provider, or when it fails or takes longer than `timeout_s`, the shopper gets a
  polite request to write instead and the turn log gets an error row.
- A quick-reply answer (`ButtonPayload`) is handled as the typed answer (`si` → "sí").
- "mándame foto" is answered here with the image of the product shown last.
- A reply presenting exactly one product carries its image (`media_url`); the order
  confirmation goes through the shop's quick-reply template when it has one (the body
  stays the numbered-text fallback).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.catalog_fields import fold
from db.models import ConversationLog, InboundMessage, OrderState, Product
from db.session import session_scope
from orchestrator.logging import get_logger
from orchestrator.media.download import Media, MediaDownloader, MediaError, base_type, kind_of
from orchestrator.media.providers import Describer, Transcriber, clean_query
from orchestrator.turn import Turn

log = get_logger("orchestrator.media")
T = TypeVar("T")

VOICE_FALLBACK = (
    "Recibí tu nota de voz 🎙️, pero por ahora no puedo escucharla. ¿Me lo escribes, por favor?"
)
PHOTO_FALLBACK = (
    "¡Gracias por la foto! 📷 Por ahora no puedo verla. "
    "¿Me escribes qué producto buscas, por favor?"
)
NO_PRODUCT_SEEN = (
    "No logré reconocer un producto en la foto 😕. ¿Me escribes qué buscas, por favor?"
)
OTHER_MEDIA = (
    "¡Gracias por tu mensaje! Puedo leer texto, notas de voz y fotos, pero no este tipo de "
    "archivo. ¿Me lo escribes, por favor?"
)
TOO_LARGE = "Tu archivo es muy pesado para mí 😅. ¿Me lo escribes, por favor?"
PHOTO_PREFIX = "¿Buscas algo como esto? "
ECHO = "Entendí: «{text}»."
PHOTO_OF = "Aquí tienes la foto de {name} 📷"
NO_PHOTO = "Por ahora no tengo foto de {name} 😕."
WHICH_PHOTO = "¿De cuál producto quieres la foto? Dime su nombre y te la muestro."
# Quick-reply payloads → the typed answer the NLU understands (docs/MEDIA.md).
BUTTON_TEXT = {"si": "sí", "no": "no"}
QUICK_REPLY_MAX_CHARS = 1024  # WhatsApp's limit for a quick-reply body
CONFIRM_KEY = "confirmar_pedido"

_PHOTO = re.compile(r"\b(foto|fotos|fotico|fotito|imagen|imagenes)\b")
_ASK = re.compile(
    r"\b(manda|mandame|mandeme|mandas|envia|enviame|envieme|envias|pasa|pasame|pasas|"
    r"muestra|muestrame|muestras|ver|tienes|tiene|tienen|hay|regalame)\b"
)


def is_photo_request(text: str) -> bool:
    """True for a short "mándame foto" / "¿tienes foto?" message."""
    folded = fold(text)
    words = re.findall(r"\w+", folded)
    if not _PHOTO.search(folded) or len(words) > 8:
        return False
    return bool(_ASK.search(folded)) or len(words) <= 2


def button_answer(payload: str, text: str | None) -> str:
    """The typed answer a quick-reply button stands for."""
    return BUTTON_TEXT.get(fold(payload)) or (text or "").strip() or payload.strip()


class MediaService:
    """Reads a turn's media with the configured providers and decorates its replies.

    Args:
        session_factory: database sessions (product images, the last product shown).
        downloader: fetches media URLs; None refuses every download.
        transcriber, describer: the providers, or None (`none`): polite fallback.
        timeout_s: the longest one provider call may take (`LLM_TIMEOUT_S`).
        echo_below: a voice note whose NLU confidence is below this starts the reply
            with "Entendí: «…»".
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        downloader: MediaDownloader | None = None,
        transcriber: Transcriber | None = None,
        describer: Describer | None = None,
        timeout_s: float = 8.0,
        echo_below: float = 0.6,
        max_parallel: int = 4,
    ) -> None:
        self.sf = session_factory
        self.downloader = downloader
        self.transcriber = transcriber
        self.describer = describer
        self.timeout_s = timeout_s
        self.echo_below = echo_below
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="media")

    # ---------------------------------------------------------------- before Rasa
    def prepare(self, turn: Turn) -> list[str] | None:
        """Make `turn.text` what the turn runs on; or the replies that answer it already."""
        if turn.button_payload:
            turn.text = button_answer(turn.button_payload, turn.button_text)
            turn.log.update(media_type="button", media_text=turn.button_payload[:256])
            return None
        if not turn.media:
            return self._photo_request(turn) if is_photo_request(turn.text) else None
        item = turn.media[0]
        declared = str(item.get("content_type") or "")
        kind = kind_of(declared)
        turn.log.update(media_type=declared[:100] or None, intent=None)
        if kind == "other" or not (item.get("url") or item.get("data")):
            return self._fallback(turn, OTHER_MEDIA)
        provider = self.transcriber if kind == "audio" else self.describer
        stage = "transcription" if kind == "audio" else "vision"
        fallback = VOICE_FALLBACK if kind == "audio" else PHOTO_FALLBACK
        if provider is None:
            return self._fallback(turn, fallback, f"{stage}_unavailable", "no provider set")
        turn.log["media_provider"] = provider.name
        start = time.perf_counter()
        read = item.get("read") if isinstance(item.get("read"), dict) else None
        try:
            if read is not None:  # a retried turn: the provider's answer of the first try
                text = str(read.get("text") or "")
            else:
                text = self._read(turn, item, declared, kind, stage)
        except MediaError as exc:
            turn.log["media_ms"] = (time.perf_counter() - start) * 1000
            reply = TOO_LARGE if exc.error_type == "media_too_large" else fallback
            return self._fallback(turn, reply, exc.error_type, str(exc))
        turn.log["media_ms"] = (time.perf_counter() - start) * 1000
        if read is None:
            self._remember(turn, {"provider": provider.name, "text": text})
        log.info("media.read", kind=kind, provider=provider.name, ms=round(turn.log["media_ms"]))
        if kind == "audio":
            transcript = " ".join(text.split())[:4096]
            turn.log["media_text"] = transcript
            if not transcript:
                return self._fallback(turn, VOICE_FALLBACK, "transcription_empty", "no speech")
            turn.text = transcript
            return None
        query = clean_query(text)
        turn.log["media_text"] = query or text[:200]
        if query is None:
            return self._fallback(turn, NO_PRODUCT_SEEN)
        caption = turn.text.strip()
        turn.text = f"{caption} {query}" if caption else f"¿tienen {query}?"
        turn.log["media_prefix"] = PHOTO_PREFIX
        return None

    def _read(self, turn: Turn, item: dict[str, Any], declared: str, kind: str, stage: str) -> str:
        """Download (or decode) the media and ask the provider; raises `MediaError`."""
        media = self._media_of(item, declared)
        if kind == "audio":
            return self._bounded(stage, self.transcriber.transcribe, media)  # type: ignore[union-attr]
        return self._bounded(stage, self.describer.describe, media, turn.text.strip())  # type: ignore[union-attr]

    def _remember(self, turn: Turn, read: dict[str, str]) -> None:
        """Keep the provider's answer on the inbound row: a retried turn runs on the same
        text (the same message for Rasa's idempotency key) without calling it again."""
        media = [{**turn.media[0], "read": read}, *turn.media[1:]]
        with session_scope(self.sf) as s:
            s.execute(
                update(InboundMessage)
                .where(InboundMessage.id == turn.inbound_id)
                .values(media=media)
            )

    def _media_of(self, item: dict[str, Any], declared: str) -> Media:
        """An upload of a local channel (`data`, base64) or a download (`url`)."""
        if item.get("data"):
            try:
                data = base64.b64decode(str(item["data"]), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise MediaError("media_download_failed", "upload is not base64") from exc
            return Media(data, base_type(declared))
        if self.downloader is None:
            raise MediaError("media_download_failed", "no downloader configured")
        return self.downloader.fetch(str(item["url"]), declared)

    def _bounded(self, stage: str, call: Callable[..., str], *args: Any) -> str:
        """`call(*args, timeout)` in the pool, given up after `timeout_s`."""
        future = self._pool.submit(call, *args, self.timeout_s + 1.0)
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout as exc:
            future.cancel()
            raise MediaError(f"{stage}_timeout", f"no answer within {self.timeout_s:g} s") from exc
        except Exception as exc:  # any SDK or network error: the polite fallback
            timed_out = "timeout" in type(exc).__name__.lower()
            error_type = f"{stage}_timeout" if timed_out else f"{stage}_failed"
            raise MediaError(error_type, f"{type(exc).__name__}: {exc}"[:500]) from exc

    @staticmethod
    def _fallback(
        turn: Turn, reply: str, error_type: str | None = None, message: str = ""
    ) -> list[str]:
        turn.log.update(template_reply=reply)
        if error_type:
            turn.log.update(success=False, error_type=error_type, error_message=message[:2000])
            log.warning("media.failed", error_type=error_type, error=message[:300])
        return [reply]

    def _photo_request(self, turn: Turn) -> list[str]:
        """ "mándame foto": the image of the one product shown last, or ask which."""
        assert turn.shop is not None
        with session_scope(self.sf) as s:
            recent = s.scalars(
                select(ConversationLog.facts)
                .where(
                    ConversationLog.shop_id == turn.shop.id,
                    ConversationLog.user_id == turn.user,
                    ConversationLog.facts.is_not(None),
                )
                .order_by(ConversationLog.id.desc())
                .limit(5)
            ).all()
            shown: list[dict[str, Any]] = next(
                (f["products"] for f in recent if isinstance(f, dict) and f.get("products")), []
            )
            product = (
                s.scalars(
                    select(Product).where(
                        Product.shop_id == turn.shop.id, Product.id == int(shown[0]["id"])
                    )
                ).first()
                if len(shown) == 1
                else None
            )
            name = product.name if product else None
            image = product.image_url if product else None
            fact = shown[0] if product else None
        turn.log.update(intent=None, actions=["photo_request"])
        if name is None:
            reply = WHICH_PHOTO
        elif image:
            reply = PHOTO_OF.format(name=name)
            turn.outbound["media_url"] = image
        else:
            reply = NO_PHOTO.format(name=name)
        turn.log.update(template_reply=reply, facts={"products": [fact]} if fact else None)
        return [reply]

    # ---------------------------------------------------------------- after Rasa
    def finish(self, turn: Turn, replies: list[str]) -> list[str]:
        """Prefix the replies (photo, unsure transcript) and pick their media / buttons."""
        if not replies:
            return replies
        prefix = str(turn.log.pop("media_prefix", "") or "")
        confidence = turn.log.get("confidence")
        if (
            kind_of(turn.log.get("media_type")) == "audio"
            and confidence is not None
            and confidence < self.echo_below
        ):
            prefix = ECHO.format(text=turn.text) + "\n\n" + prefix
        replies = [prefix + replies[0], *replies[1:]] if prefix else replies
        facts = turn.log.get("facts") or {}
        image = self._single_product_image(turn, facts)
        if image:
            turn.outbound["media_url"] = image
        sid = ((turn.shop.quick_replies if turn.shop else None) or {}).get(CONFIRM_KEY)
        order = facts.get("order") if isinstance(facts.get("order"), dict) else None
        if (
            sid
            and order
            and order.get("state") == OrderState.PENDIENTE
            and len(replies) == 1
            and len(replies[0]) <= QUICK_REPLY_MAX_CHARS
        ):
            turn.outbound.update(content_sid=sid, content_variables={"1": replies[0]})
        return replies

    def _single_product_image(self, turn: Turn, facts: dict[str, Any]) -> str | None:
        products = facts.get("products") or []
        if (
            turn.shop is None
            or "action_buscar_producto" not in (turn.log.get("actions") or [])
            or len(products) != 1
            or facts.get("available") is False
            or not isinstance(products[0], dict)
            or not str(products[0].get("id", "")).isdigit()
        ):
            return None  # facts without a product id (an older action, a template) show no image
        with session_scope(self.sf) as s:
            return s.scalars(
                select(Product.image_url).where(
                    Product.shop_id == turn.shop.id, Product.id == int(products[0]["id"])
                )
            ).first()

    def close(self) -> None:
        """Stop the pool and release the clients."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for part in (self.downloader, self.transcriber, self.describer):
            if part is not None:
                part.close()
