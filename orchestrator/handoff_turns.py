"""The handoff inside a turn: staff commands, human mode, and when a handoff starts.

`before(turn)` runs before Rasa. A verified staff phone (a Twilio-signed webhook from a
number in the shop's staff phones, never a local `/chat` id) writing `#12 texto` sends
`texto` to conversation 12's shopper, `#12 bot` hands it back; its other messages go to the
bot as before (exports, …). A shopper whose conversation is in `human` mode gets no bot
answer: the message is logged with `mode = 'human'` and forwarded to the staff phones.

`after(turn, replies)` runs after Rasa: the intent `hablar_con_humano` (or its action), or
`after_fallbacks` fallback turns in a row, start a handoff; the shopper's reply becomes the
one honest handoff message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from db.identity import is_staff_number
from db.models import ConversationLog, OutboundStatus, Shop
from db.session import session_scope
from orchestrator import handoff_text as say
from orchestrator.handoff import ALERT_SEQ, ConversationRef, HandoffDesk, open_handoff
from orchestrator.turn import Turn

_COMMAND = re.compile(r"^\s*#\s?(\d{1,9})(?![\d])[ \t:,.-]*(.*)\Z", re.S)
BACK_WORDS = frozenset({"bot", "devolver", "devolver al bot", "asistente"})
HANDOFF_INTENT = "hablar_con_humano"
HANDOFF_ACTION = "action_hablar_con_humano"
# Actions `action_interpretar` hands a fallback to when it understood it after all.
_HANDED = frozenset(
    {
        "action_agregar_producto",
        "action_buscar_producto",
        "action_confirmar_pedido",
        "action_iniciar_checkout",
    }
)


@dataclass(frozen=True)
class StaffCommand:
    """`#<conversation_id> <text>` from a staff phone."""

    conversation_id: int
    text: str

    @property
    def back_to_bot(self) -> bool:
        """True for `#12 bot` (hand the conversation back)."""
        return self.text.strip().lower().rstrip(".!") in BACK_WORDS


def parse_command(text: str) -> StaffCommand | None:
    """`#12 hola` → StaffCommand(12, "hola"); None when the text is no staff command."""
    match = _COMMAND.match(text or "")
    if match is None:
        return None
    return StaffCommand(int(match.group(1)), match.group(2).strip())


def is_fallback(intent: str | None, actions: list[str] | None) -> bool:
    """A turn the bot did not understand: `nlu_fallback`, Rasa's default fallback, or
    `action_interpretar` giving up (it handed the turn to no real action)."""
    done = set(actions or [])
    if done & _HANDED:
        return False
    return (
        intent == "nlu_fallback"
        or "action_default_fallback" in done
        or "action_interpretar" in done
    )


class HandoffTurns:
    """The pipeline's handoff hooks around one turn (see the module docstring)."""

    def __init__(self, desk: HandoffDesk) -> None:
        self.desk = desk

    def before(self, turn: Turn, shop: Shop) -> list[str] | None:
        """Replies for a staff command or a human-mode message; None: ask the bot."""
        if turn.channel == "twilio" and is_staff_number(shop.staff_phones, turn.user, shop.country):
            command = parse_command(turn.text)
            return None if command is None else self._command(turn, shop, command)
        conv = self.desk.touch(shop, turn.user, turn.channel, turn.profile_name)
        turn.log["conversation"] = conv
        if conv.mode != "human":
            return None
        turn.log.update(mode="human", intent=None)
        with session_scope(self.desk.sf) as s:
            handoff = open_handoff(s, conv.id)
            started_here = handoff is not None and handoff.inbound_id == turn.inbound_id
            reason = handoff.reason if handoff is not None else "requested"
        if started_here:  # a retry of the turn that started the handoff: same answer
            turn.log["mode"] = "bot"
            self.desk.start(shop, conv, reason, inbound_id=turn.inbound_id, last_message=turn.text)
            return [say.handoff_started(shop.name, shop.info, reason)]
        self.desk.alert_staff(
            shop,
            say.staff_forward(conv, turn.text),
            kind="handoff_forward",
            inbound_id=turn.inbound_id,
            variables=say.forward_variables(conv, turn.text),
        )
        return []

    def after(self, turn: Turn, shop: Shop, replies: list[str]) -> list[str]:
        """The handoff message instead of `replies` when this turn starts a handoff."""
        conv: ConversationRef | None = turn.log.get("conversation")
        if conv is None or not turn.log.get("success", True):
            return replies
        intent, actions = turn.log.get("intent"), turn.log.get("actions") or []
        reason = None
        if intent == HANDOFF_INTENT or HANDOFF_ACTION in actions:
            reason = "requested"
        elif (
            self.desk.after_fallbacks > 0
            and is_fallback(intent, actions)
            and self._fallbacks_before(shop, conv) >= self.desk.after_fallbacks - 1
        ):
            reason = "fallbacks"
        if reason is None:
            return replies
        self.desk.start(shop, conv, reason, inbound_id=turn.inbound_id, last_message=turn.text)
        text = say.handoff_started(shop.name, shop.info, reason)
        facts: dict[str, Any] = dict(turn.log.get("facts") or {})
        facts["handoff"] = {"conversation_id": conv.id, "reason": reason}
        turn.log.update(facts=facts, template_reply=text)
        return [text]

    def _fallbacks_before(self, shop: Shop, conv: ConversationRef) -> int:
        """Bot fallback turns in a row just before this one (a staff or human-mode row, or
        any understood turn, ends the run)."""
        want = self.desk.after_fallbacks - 1
        if want <= 0:
            return 0
        with session_scope(self.desk.sf) as s:
            rows = s.execute(
                select(ConversationLog.mode, ConversationLog.intent, ConversationLog.actions)
                .where(ConversationLog.shop_id == shop.id, ConversationLog.user_id == conv.user_id)
                .order_by(ConversationLog.id.desc())
                .limit(want)
            ).all()
        run = 0
        for row in rows:
            if row.mode != "bot" or not is_fallback(row.intent, row.actions):
                break
            run += 1
        return run

    def _command(self, turn: Turn, shop: Shop, command: StaffCommand) -> list[str]:
        turn.log.update(mode="staff", author=turn.user, intent=None)
        n = command.conversation_id
        conv = self.desk.get(shop.id, n)
        if conv is None:
            return [say.unknown_conversation(n)]
        if not command.text:
            return [say.command_help(n)]
        if command.back_to_bot:
            changed = self.desk.hand_back(shop, conv, turn.user, inbound_id=turn.inbound_id)
            return [say.handed_back(n, changed)]
        result = self.desk.reply(shop, conv, command.text, turn.user, inbound_id=turn.inbound_id)
        if result.status == OutboundStatus.NEEDS_TEMPLATE:
            return [say.needs_template(n)]
        return [say.send_failed(n) if result.status == OutboundStatus.FAILED else say.sent(n)]


__all__ = ["ALERT_SEQ", "HandoffTurns", "StaffCommand", "is_fallback", "parse_command"]
