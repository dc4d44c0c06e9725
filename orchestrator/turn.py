"""The data of one turn and the fixed Spanish replies of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from db.models import Shop

APOLOGY = (
    "Lo siento, tuve un problema técnico y no pude atender tu mensaje. "
    "Por favor intenta de nuevo en unos minutos."
)
# Sent once per message when a turn is being retried for a while (Rasa, action server or
# database unavailable); the real answer follows.
HOLD = "Dame un momento, por favor 🙏 Estoy revisando y ya te respondo."
MEDIA_ONLY = (
    "¡Gracias por tu mensaje! Por ahora solo entiendo mensajes de texto. "
    "¿Me cuentas por escrito qué necesitas?"
)


def phone_of(number: str) -> str:
    """`whatsapp:+57300...` → `+57300...`."""
    return number.strip().removeprefix("whatsapp:")


@dataclass
class TurnResult:
    """What a turn produced (returned to `/chat`, asserted by tests)."""

    turn_id: str
    replies: list[str] = field(default_factory=list)
    intent: str | None = None
    success: bool = True
    error_type: str | None = None


@dataclass
class Turn:
    """One inbound message being answered, and what its turn log row will say."""

    inbound_id: int
    channel: str
    user: str
    to_number: str
    text: str
    attempts: int
    received_at: datetime
    shop: Shop | None
    key: str = ""
    log: dict[str, Any] = field(default_factory=dict)
    # The inbound row's media (`[{"url", "content_type"}]`) and quick-reply answer.
    media: list[dict[str, Any]] = field(default_factory=list)
    button_payload: str | None = None
    button_text: str | None = None
    # What the answer's first message carries besides its text (`delivery.deliver`):
    # `media_url`, `content_sid`, `content_variables`.
    outbound: dict[str, Any] = field(default_factory=dict)
    profile_name: str | None = None
    # The answer's stored outbound bodies (a retry resumes sending them), read with the row.
    stored_replies: list[str] = field(default_factory=list)


def idempotency_key(provider: str, provider_message_id: str) -> str:
    """The idempotency key of an inbound message, passed to Rasa as message metadata.

    Unique like the stored row (provider + provider message id) and stable across retries,
    restarts and databases sharing one Rasa tracker store.
    """
    return f"{provider}:{provider_message_id}"
