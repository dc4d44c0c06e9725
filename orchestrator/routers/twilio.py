"""Twilio webhooks: inbound WhatsApp messages and delivery status callbacks.

Both are signed (`X-Twilio-Signature`, checked by `TwilioFormDep`). An inbound message is
stored before Twilio gets its 200 with empty TwiML; the worker answers it off the request.
Media (`MediaUrl0`, `MediaContentType0`…) and quick-reply answers (`ButtonPayload`,
`ButtonText`) are stored with the row; nothing is downloaded here (`orchestrator.media`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from db.models import OutboundMessage, OutboundStatus, Shop
from db.session import session_scope
from orchestrator import metrics as m
from orchestrator.api.deps import ServicesDep, TwilioFormDep
from orchestrator.logging import get_logger
from orchestrator.queue import store_inbound
from orchestrator.services import Services

# What the webhooks answer besides 200/204, listed so the OpenAPI spec is complete.
_REFUSALS: dict[int | str, dict[str, str]] = {
    403: {"description": "missing or invalid X-Twilio-Signature"},
    413: {"description": "body over TWILIO_MAX_BODY_BYTES"},
    415: {"description": "not application/x-www-form-urlencoded"},
}
router = APIRouter(prefix="/twilio", tags=["twilio"], responses=_REFUSALS)
log = get_logger("orchestrator.twilio")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_PHONE = r"^whatsapp:\+?[0-9]{6,15}$"
# Delivery states only move forward; a late "sent" never overwrites "delivered".
_RANK: dict[str, int] = {
    OutboundStatus.QUEUED: 0,
    OutboundStatus.SENDING: 1,
    OutboundStatus.SENT: 2,
    OutboundStatus.DELIVERED: 3,
    OutboundStatus.READ: 4,
    OutboundStatus.UNDELIVERED: 5,
    OutboundStatus.FAILED: 5,
}


class InboundWhatsApp(BaseModel):
    """The fields of Twilio's inbound WhatsApp webhook that Tendero uses."""

    From: str = Field(pattern=_PHONE)
    To: str = Field(pattern=_PHONE)
    Body: str = Field(default="", max_length=4096)
    MessageSid: str = Field(pattern=r"^[A-Z]{2}[0-9a-fA-F]{32}$")
    NumMedia: int = Field(default=0, ge=0, le=10)
    ProfileName: str | None = Field(default=None, max_length=200)
    WaId: str | None = Field(default=None, pattern=r"^[0-9]{6,15}$")
    # A quick-reply answer (docs/MEDIA.md); Body holds the button's title as well.
    ButtonPayload: str | None = Field(default=None, max_length=256)
    ButtonText: str | None = Field(default=None, max_length=256)


def _validation_detail(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]


def _store(services: Services, msg: InboundWhatsApp, media: list[dict[str, Any]]) -> bool:
    to_number = msg.To.removeprefix("whatsapp:")
    with session_scope(services.session_factory) as s:
        shop_id = s.scalars(select(Shop.id).where(Shop.whatsapp_number == to_number)).first()
        stored = store_inbound(
            s,
            provider="twilio",
            provider_message_id=msg.MessageSid,
            shop_id=shop_id,
            # Twilio proved this number: it becomes the conversation's phone identity.
            from_number="+" + msg.From.removeprefix("whatsapp:").lstrip("+"),
            to_number=to_number,
            body=msg.Body,
            num_media=msg.NumMedia,
            media=media,
            profile_name=msg.ProfileName,
            wa_id=msg.WaId,
            button_payload=msg.ButtonPayload or None,
            button_text=msg.ButtonText or None,
        )
    return stored.created


@router.post("/whatsapp", responses={400: {"description": "invalid webhook fields"}})
async def whatsapp(form: TwilioFormDep, services: ServicesDep) -> Response:
    """Store the message (a retried MessageSid is a no-op) and answer empty TwiML at once."""
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        msg = InboundWhatsApp.model_validate(fields)
    except ValidationError as exc:
        log.warning("twilio.inbound_invalid", errors=_validation_detail(exc))
        raise HTTPException(status_code=400, detail=_validation_detail(exc)) from exc
    media = [
        {"url": fields.get(f"MediaUrl{i}", ""), "content_type": fields.get(f"MediaContentType{i}")}
        for i in range(msg.NumMedia)
    ]
    timeout_s = services.settings.webhook_store_timeout_s
    t0 = time.perf_counter()
    try:
        created = await asyncio.wait_for(
            run_in_threadpool(_store, services, msg, media), timeout=timeout_s
        )
    except (TimeoutError, SQLAlchemyError) as exc:
        # Not stored (or not yet): 503 makes Twilio retry; a retry of a message stored
        # meanwhile is a no-op. Never hang for as long as Twilio waits.
        services.metrics.inc(
            m.WEBHOOK_UNAVAILABLE, "Inbound webhooks answered 503", reason=type(exc).__name__
        )
        log.error("twilio.inbound_store_failed", message_sid=msg.MessageSid, error=repr(exc))
        raise HTTPException(
            status_code=503, detail="busy, retry", headers={"Retry-After": "2"}
        ) from exc
    services.metrics.inc(
        m.INBOUND,
        "Inbound messages received",
        provider="twilio",
        duplicate=str(not created).lower(),
    )
    store_s = time.perf_counter() - t0
    services.metrics.observe(m.STAGE, "Stage latency", store_s, stage="store")
    if created:
        services.worker.notify()
    log.info(
        "twilio.inbound_stored",
        message_sid=msg.MessageSid,
        duplicate=not created,
        store_ms=round(store_s * 1000, 1),
    )
    return Response(content=EMPTY_TWIML, media_type="application/xml")


def _update_status(
    services: Services, sid: str, status: str, code: str | None, message: str | None
) -> int:
    with session_scope(services.session_factory) as s:
        row = s.scalars(select(OutboundMessage).where(OutboundMessage.provider_sid == sid)).first()
        if row is None:
            return 0
        if _RANK.get(status, -1) < _RANK.get(row.status, -1):
            return 1
        s.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == row.id)
            .values(
                status=status,
                error_code=code or row.error_code,
                error_message=message or row.error_message,
            )
        )
        return 1


@router.post("/status")
async def status_callback(form: TwilioFormDep, services: ServicesDep) -> Response:
    """Twilio's delivery report: move the outbound message's status forward."""
    sid = str(form.get("MessageSid") or "")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "")
    if not sid or status not in _RANK:
        log.info("twilio.status_ignored", message_sid=sid, status=status)
        return Response(status_code=204)
    code = str(form.get("ErrorCode") or "") or None
    message = str(form.get("ErrorMessage") or "") or None
    found = await run_in_threadpool(_update_status, services, sid, status, code, message)
    log.info("twilio.status", message_sid=sid, status=status, error_code=code, known=bool(found))
    return Response(status_code=204)
