"""BAJA / ALTA: a WhatsApp number stops (or resumes) the messages the shop starts.

Handled by the pipeline before Rasa, only for Twilio-signed numbers (a local `/chat` id
proves no phone). The whole message must be the command, give or take accents, case,
punctuation, emoji and a "por favor": "BAJA", "stop", "No me escriban más!!", "alta 🙏".
A command inside a longer sentence ("¿la baja de precio sigue?") is conversation.

The rule (docs/OPS.md, "Opt-out"): an opted-out number gets no notification
(`db.notifications.notify` records it as ``opted_out``); a message it writes is still
answered, because that answer is not shop-initiated.
"""

from __future__ import annotations

import re
from typing import Literal

from db.catalog_fields import fold

Command = Literal["out", "in"]

_OUT = {
    "baja",
    "stop",
    "stopall",
    "unsubscribe",
    "cancelar suscripcion",
    "dar de baja",
    "darme de baja",
    "dame de baja",
    "denme de baja",
    "quiero darme de baja",
    "no me escriban",
    "no me escriban mas",
    "no me escribas",
    "no me escribas mas",
    "no me manden mas mensajes",
    "no me envien mas mensajes",
    "no quiero mas mensajes",
    "no quiero recibir mas mensajes",
}
_IN = {
    "alta",
    "start",
    "unstop",
    "darme de alta",
    "dame de alta",
    "denme de alta",
    "quiero darme de alta",
    "volver a recibir mensajes",
}
_POLITE = ("por favor", "porfavor", "porfa", "gracias", "ya")
_NOT_WORD = re.compile(r"[^a-z0-9ñ ]+")


def normalize(text: str) -> str:
    """Lower case without accents, punctuation or emoji; single spaces; politeness trimmed."""
    words = " ".join(_NOT_WORD.sub(" ", fold(text)).split())
    changed = True
    while changed:
        changed = False
        for polite in _POLITE:
            if words.startswith(f"{polite} "):
                words, changed = words[len(polite) + 1 :], True
            if words.endswith(f" {polite}"):
                words, changed = words[: -len(polite) - 1], True
    return words


def command(text: str) -> Command | None:
    """``"out"`` for an opt-out message, ``"in"`` for an opt-in, None for conversation."""
    if len(text) > 80:
        return None
    words = normalize(text)
    if words in _OUT:
        return "out"
    if words in _IN:
        return "in"
    return None


def reply(cmd: Command, shop_name: str) -> str:
    """The Spanish confirmation of `cmd` (tú)."""
    if cmd == "out":
        return (
            f"Listo ✅ {shop_name} no te enviará más mensajes por iniciativa propia "
            "(avisos de pedidos ni alertas). Si nos escribes, te seguimos respondiendo. "
            "Para volver a recibirlos, escribe ALTA."
        )
    return (
        f"¡Listo! ✅ Vuelves a recibir los avisos de {shop_name} sobre tus pedidos. "
        "Si quieres dejar de recibirlos, escribe BAJA."
    )
