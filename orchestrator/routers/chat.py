"""Local channels on the same pipeline: `POST /chat` (JSON) and the web chat page at `/`."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from db.models import Shop, utcnow
from db.session import session_scope
from orchestrator import metrics as m
from orchestrator.api.deps import ServicesDep
from orchestrator.queue import store_inbound

router = APIRouter(tags=["chat"])
STATIC = Path(__file__).resolve().parent.parent / "static"


class ChatIn(BaseModel):
    """One message from a local client."""

    shop: str = Field(default="demo", min_length=1, max_length=64)
    user: str = Field(min_length=1, max_length=64, pattern=r"^[\w+.@-]+$")
    message: str = Field(min_length=1, max_length=4096)
    message_id: str | None = Field(default=None, min_length=1, max_length=64)


class ChatOut(BaseModel):
    """The bot's replies to one message."""

    replies: list[str]
    turn_id: str
    intent: str | None
    success: bool
    error_type: str | None = None


@router.post("/chat")
def chat(body: ChatIn, services: ServicesDep) -> ChatOut:
    """Run one turn synchronously (idempotent per `message_id`) and return the replies."""
    with session_scope(services.session_factory) as s:
        shop = s.scalars(select(Shop).where(Shop.slug == body.shop)).first()
        if shop is None:
            raise HTTPException(status_code=404, detail=f"unknown shop: {body.shop}")
        shop_id, to_number = shop.id, shop.whatsapp_number
    with services.locks.hold(f"{to_number}|{body.user}"):
        with session_scope(services.session_factory) as s:
            stored = store_inbound(
                s,
                provider="chat",
                provider_message_id=body.message_id or uuid.uuid4().hex,
                shop_id=shop_id,
                from_number=body.user,
                to_number=to_number,
                body=body.message,
                status="processing",
                locked_by="chat",
                locked_at=utcnow(),
                attempts=1,
            )
        services.metrics.inc(
            m.INBOUND,
            "Inbound messages received",
            provider="chat",
            duplicate=str(not stored.created).lower(),
        )
        result = services.pipeline.process(stored.id)
    return ChatOut(
        replies=result.replies,
        turn_id=result.turn_id,
        intent=result.intent,
        success=result.success,
        error_type=result.error_type,
    )


@router.get("/", include_in_schema=False)
def web_chat() -> FileResponse:
    """The web chat page (plain HTML and JavaScript, no build step)."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
