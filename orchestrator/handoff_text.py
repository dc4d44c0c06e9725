"""The Spanish wording of the human handoff (to shoppers and to staff on WhatsApp).

Every sentence here that tells the shopper a person will answer is backed by a staff alert
sent by `orchestrator.handoff` (tests/unit/test_no_false_promises.py keeps it so).
"""

from __future__ import annotations

from typing import Any, Protocol


class _Conv(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def profile_name(self) -> str | None: ...


def _who(conv: _Conv) -> str:
    return f"{conv.profile_name} ({conv.user_id})" if conv.profile_name else conv.user_id


def _quote(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    if not text:
        return "(envió una foto, un audio o un archivo)"
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"


def handoff_started(shop_name: str, info: dict[str, Any] | None, reason: str) -> str:
    """The one message the shopper gets when the handoff starts: who was told, and when
    they answer (the shop's hours when it has them)."""
    hours = str((info or {}).get("horario") or "").strip().rstrip(".")
    when = (
        f"te responden por aquí en su horario de atención ({hours})"
        if hours
        else "te responden por aquí en cuanto puedan"
    )
    lead = "Perdón, no te estoy entendiendo bien 🙏 " if reason == "fallbacks" else "Claro 🙌 "
    return (
        f"{lead}Le avisé al equipo de {shop_name}; {when}. "
        "Lo que escribas aquí mientras tanto también les llega."
    )


def back_to_bot(shop_name: str) -> str:
    """To the shopper when staff hand the conversation back."""
    return f"Listo 🙂 Sigo yo por aquí, el asistente de {shop_name}. ¿Te ayudo con algo más?"


def idle_return(shop_name: str) -> str:
    """To the shopper when nobody from the shop answered for a while."""
    return (
        f"Perdón, el equipo de {shop_name} no ha podido responderte todavía. "
        "Mientras tanto sigo yo por aquí: puedo buscar productos, darte precios o tomar tu "
        'pedido. Si quieres que les vuelva a avisar, escribe "asesor".'
    )


def staff_alert(conv: _Conv, reason: str, last_message: str) -> str:
    """To each staff phone when a handoff starts."""
    why = {
        "requested": "pidió hablar con una persona",
        "fallbacks": "no logró que el asistente le entendiera",
    }.get(reason, "necesita atención")
    return (
        f"🔔 Conversación #{conv.id} · {_who(conv)} {why}.\n"
        f"Último mensaje: {_quote(last_message)}\n"
        f"Para responderle escribe: #{conv.id} tu mensaje\n"
        f"Para devolverla al bot: #{conv.id} bot"
    )


def alert_variables(conv: _Conv, last_message: str) -> dict[str, str]:
    """The `handoff_alert` template's variables (docs/HANDOFF.md): {{1}} the conversation
    number, {{2}} who, {{3}} the last message."""
    return {"1": str(conv.id), "2": _who(conv), "3": _quote(last_message)}


def forward_variables(conv: _Conv, text: str) -> dict[str, str]:
    """The `handoff_forward` template's variables: number, who, the message."""
    return {"1": str(conv.id), "2": _who(conv), "3": _quote(text, 1000)}


def staff_forward(conv: _Conv, text: str) -> str:
    """To each staff phone: a shopper's message received while in human mode."""
    return (
        f"💬 #{conv.id} · {_who(conv)}: {_quote(text, 1000)}\nResponde con: #{conv.id} tu mensaje"
    )


def staff_idle_notice(conversation_id: int) -> str:
    """To each staff phone when an idle handoff went back to the bot."""
    return (
        f"⏰ La conversación #{conversation_id} volvió al asistente porque nadie respondió "
        f"a tiempo. Para retomarla escribe: #{conversation_id} tu mensaje"
    )


def sent(conversation_id: int) -> str:
    """To the staff member: their message went out."""
    return f"✅ Enviado a #{conversation_id}."


def send_failed(conversation_id: int) -> str:
    """To the staff member: WhatsApp refused the message."""
    return f"⚠️ No pude enviar tu mensaje a #{conversation_id}. Intenta de nuevo en un momento."


def needs_template(conversation_id: int) -> str:
    """To the staff member: the shopper last wrote more than 24 hours ago and the shop has
    no approved template for staff replies, so WhatsApp does not allow the message."""
    return (
        f"⚠️ No envié tu mensaje a #{conversation_id}: el cliente escribió hace más de 24 "
        "horas y WhatsApp solo permite una plantilla aprobada (plantilla staff_reply, "
        "docs/HANDOFF.md)."
    )


def handed_back(conversation_id: int, changed: bool) -> str:
    """To the staff member after `#12 bot`."""
    if changed:
        return f"✅ La conversación #{conversation_id} volvió al asistente."
    return f"La conversación #{conversation_id} ya estaba con el asistente."


def unknown_conversation(conversation_id: int) -> str:
    """To the staff member: no such conversation in this shop."""
    return (
        f"No encuentro la conversación #{conversation_id}. "
        "Revisa el número en el aviso que te llegó."
    )


def command_help(conversation_id: int) -> str:
    """To the staff member: `#12` alone."""
    return (
        f"Para responder a #{conversation_id} escribe: #{conversation_id} tu mensaje\n"
        f"Para devolverla al asistente: #{conversation_id} bot"
    )
