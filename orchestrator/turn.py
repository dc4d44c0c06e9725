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
    log: dict[str, Any] = field(default_factory=dict)
