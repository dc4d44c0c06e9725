"""Local channels on the same pipeline: `POST /chat` (JSON) and the web chat page at `/`.

Local channels prove no phone number, so their users live in their own namespace
(`chat:ana`, `web:…`, `cli:…`, see `db.identity`): never staff, never a client's owner by
phone, never the same conversation as a WhatsApp number. Outside development they are off
unless `CHAT_TOKEN` is configured, and then the bearer token must be presented.

`POST /chat/media` takes a voice note or a photo (base64, at most `MEDIA_MAX_BYTES`) with
an optional caption; it runs through the same media step as WhatsApp (docs/MEDIA.md). The
answer lists the images sent with the replies (`images`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException
from fastapi.responses import FileResponse
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select

from db.identity import local_user_id
from db.models import InboundStatus, OutboundMessage, Shop, utcnow
from db.session import session_scope
from orchestrator import metrics as m
from orchestrator.api.deps import ServicesDep, SettingsDep
from orchestrator.media.download import AUDIO_TYPES, IMAGE_TYPES, base_type
from orchestrator.queue import store_inbound
from orchestrator.services import Services

router = APIRouter(tags=["chat"])
STATIC = Path(__file__).resolve().parent.parent / "static"


def _encodable(value: str) -> str:
    """Refuse text that cannot be stored as UTF-8 (lone surrogates such as `\\ud800`)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_encodable)]


class ChatIn(BaseModel):
    """One message from a local client."""

    shop: Text = Field(default="demo", min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    user: Text = Field(min_length=1, max_length=48, pattern=r"^[\w.@+-]+$")
    message: Text = Field(min_length=1, max_length=4096)
    message_id: Text | None = Field(default=None, min_length=1, max_length=64)
    channel: Literal["chat", "web", "cli"] = "chat"


class ChatMedia(BaseModel):
    """An uploaded voice note or photo."""

    content_type: str = Field(max_length=100, description="audio/ogg, image/jpeg, …")
    data: str = Field(min_length=4, description="the file, base64-encoded")


class ChatMediaIn(BaseModel):
    """A voice note or photo from a local client, with an optional caption."""

    shop: Text = Field(default="demo", min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    user: Text = Field(min_length=1, max_length=48, pattern=r"^[\w.@+-]+$")
    message: Text = Field(default="", max_length=4096)
    message_id: Text | None = Field(default=None, min_length=1, max_length=64)
    channel: Literal["chat", "web", "cli"] = "chat"
    media: ChatMedia


class ChatOut(BaseModel):
    """The bot's replies to one message, and the images sent with them."""

    replies: list[str]
    turn_id: str
    intent: str | None
    success: bool
    error_type: str | None = None
    images: list[str] = Field(default_factory=list)


def require_chat_access(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Local channels: open in development; elsewhere only with the `CHAT_TOKEN` bearer."""
    token = settings.chat_token.get_secret_value() if settings.chat_token else ""
    if not token:
        if settings.app_env == "development":
            return
        raise HTTPException(status_code=404, detail="Not Found")
    presented = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(presented.encode(), token.encode()):
        raise HTTPException(
            status_code=401, detail="chat token required", headers={"WWW-Authenticate": "Bearer"}
        )


def require_chat_enabled(settings: SettingsDep) -> None:
    """The web chat page exists where `/chat` may be used (its script asks for the token)."""
    if settings.app_env != "development" and not settings.chat_token:
        raise HTTPException(status_code=404, detail="Not Found")


ChatAccess = Depends(require_chat_access)


def idempotency_key(shop: str, user_id: str, message_id: str) -> str:
    """The stored message id of a local message: scoped by shop, channel and user."""
    scoped = f"{shop}\x1f{user_id}\x1f{message_id}".encode()
    return "chat-" + hashlib.sha256(scoped).hexdigest()[:48]


@router.post(
    "/chat",
    dependencies=[ChatAccess],
    responses={
        400: {"description": "malformed request body"},
        401: {"description": "CHAT_TOKEN required (outside development)"},
        404: {"description": "unknown shop, or local channels off"},
        413: {"description": "request body too large"},
    },
)
def chat(body: ChatIn, services: ServicesDep) -> ChatOut:
    """Run one turn synchronously (idempotent per shop, user and `message_id`)."""
    return _run(services, body, [])


@router.post(
    "/chat/media",
    dependencies=[ChatAccess],
    responses={
        400: {"description": "malformed body, bad base64, or an unsupported content type"},
        401: {"description": "CHAT_TOKEN required (outside development)"},
        404: {"description": "unknown shop, or local channels off"},
        413: {"description": "file over MEDIA_MAX_BYTES"},
    },
)
def chat_media(body: ChatMediaIn, services: ServicesDep) -> ChatOut:
    """Run one turn on an uploaded voice note or photo (the WhatsApp media step)."""
    ctype = base_type(body.media.content_type)
    if ctype not in AUDIO_TYPES | IMAGE_TYPES:
        allowed = ", ".join(sorted(AUDIO_TYPES | IMAGE_TYPES))
        raise HTTPException(status_code=400, detail=f"content_type must be one of: {allowed}")
    try:
        data = base64.b64decode(body.media.data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HTTPException(status_code=400, detail="media.data is not valid base64") from exc
    if len(data) > services.settings.media_max_bytes:
        raise HTTPException(status_code=413, detail="file over MEDIA_MAX_BYTES")
    media = [{"content_type": ctype, "data": body.media.data}]
    return _run(services, body, media)


def _run(services: Services, body: ChatIn | ChatMediaIn, media: list[dict[str, str]]) -> ChatOut:
    user_id = local_user_id(body.channel, body.user)
    with session_scope(services.session_factory) as s:
        shop = s.scalars(select(Shop).where(Shop.slug == body.shop)).first()
        if shop is None:
            raise HTTPException(status_code=404, detail=f"unknown shop: {body.shop}")
        shop_id, to_number = shop.id, shop.whatsapp_number
    with services.locks.hold(f"{to_number}|{user_id}"):
        with session_scope(services.session_factory) as s:
            stored = store_inbound(
                s,
                provider="chat",
                provider_message_id=idempotency_key(
                    body.shop, user_id, body.message_id or uuid.uuid4().hex
                ),
                shop_id=shop_id,
                from_number=user_id,
                to_number=to_number,
                body=body.message,
                num_media=len(media),
                media=media,
                status=InboundStatus.PROCESSING,
                locked_by=services.worker.worker_id,
                locked_at=utcnow(),
                heartbeat_at=utcnow(),
                attempts=1,
            )
        services.metrics.inc(
            m.INBOUND,
            "Inbound messages received",
            provider="chat",
            duplicate=str(not stored.created).lower(),
        )
        with services.worker.holding(stored.id):  # heartbeated: never taken as abandoned
            result = services.pipeline.process(stored.id)
    with session_scope(services.session_factory) as s:
        images = s.scalars(
            select(OutboundMessage.media_url)
            .where(
                OutboundMessage.inbound_id == stored.id,
                OutboundMessage.seq >= 0,
                OutboundMessage.media_url.is_not(None),
            )
            .order_by(OutboundMessage.seq)
        ).all()
    return ChatOut(
        replies=result.replies,
        turn_id=result.turn_id,
        intent=result.intent,
        success=result.success,
        error_type=result.error_type,
        images=[i for i in images if i],
    )


@router.get("/", include_in_schema=False, dependencies=[Depends(require_chat_enabled)])
def web_chat() -> FileResponse:
    """The web chat page (plain HTML and JavaScript, no build step)."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
