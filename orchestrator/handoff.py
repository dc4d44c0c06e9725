"""Human handoff: who answers a conversation (`bot` or `human`), and every message the shop
starts on its own (staff alerts, staff replies, hand-backs, idle returns).

A conversation enters `human` mode when the shopper asks for a person, after
`HANDOFF_AFTER_FALLBACKS` fallback turns in a row, or when staff take it (dashboard, or a
`#12 …` message from a staff phone). While it is `human` the pipeline does not call Rasa:
the shopper's messages are stored, logged (`mode = 'human'`) and forwarded to the staff
phones. It goes back to the bot when staff say so (`#12 bot`, "Devolver al bot") or after
`HANDOFF_IDLE_RETURN_S` without a staff message (`HandoffDesk.return_idle`, run by the
worker's periodic loop). Only this module changes `Conversation.mode` and `Handoff` rows.

`notify` is the one door for these messages: it applies WhatsApp's 24-hour window, the
shop's templates and the opt-out by `db.notifications.decide` (the rules every message the
shop starts follows), stores an outbound row and sends it. Messages tied to an inbound
message use a fixed negative sequence number (`ALERT_SEQ` and below) on that inbound row,
so a retried turn never sends them twice and they are never mistaken for the turn's
answer (seq ≥ 0).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.identity import to_e164
from db.models import (
    UNSENT_STATUSES,
    Conversation,
    ConversationLog,
    Handoff,
    OutboundMessage,
    OutboundStatus,
    Shop,
    utcnow,
)
from db.notifications import decide
from db.session import session_scope
from orchestrator import handoff_text as say
from orchestrator.logging import get_logger
from orchestrator.senders import Sender, SendResult

log = get_logger("orchestrator.handoff")
# Sequence numbers of shop-initiated messages tied to an inbound message (see the module
# docstring): -10, -11, … per staff phone; -1 is the hold message, ≥ 0 the turn's answer.
ALERT_SEQ = -10
SHOPPER_SEQ = -9


def notify(
    session_factory: sessionmaker[Session],
    sender: Sender,
    *,
    kind: str,
    shop_id: int,
    to: str,
    from_: str,
    body: str,
    channel: str = "twilio",
    inbound_id: int | None = None,
    seq: int | None = None,
    variables: Mapping[str, str] | None = None,
) -> SendResult:
    """Send one message the shop starts (`kind`: handoff_alert, staff_reply, …) to `to`.

    WhatsApp messages follow `db.notifications.decide`: free text inside the number's 24-hour
    window, the kind's template (`plantillas`) outside it, else not sent (``needs_template``,
    listed by `/admin/notifications`); an opted-out number gets no alert. The row is stored
    before it is sent. With `inbound_id` and `seq` the message is sent at most once for that
    pair: a repeated call finds the row and does not resend a message already handed on.
    """
    with session_scope(session_factory) as s:
        row = None
        if inbound_id is not None and seq is not None:
            row = s.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.inbound_id == inbound_id, OutboundMessage.seq == seq
                )
            ).first()
        if row is not None and (row.provider_sid or row.status not in UNSENT_STATUSES):
            return SendResult(status=row.status, sid=row.provider_sid)
        if row is None:
            row = OutboundMessage(
                shop_id=shop_id,
                inbound_id=inbound_id,
                seq=seq if seq is not None else 0,
                channel=channel,
                to_number=to,
                from_number=from_,
                body=body,
                kind=kind,
                status=OutboundStatus.QUEUED,
                attempts=0,
            )
            shop = s.get(Shop, shop_id) if channel == "twilio" else None
            if shop is not None:
                rule = decide(s, shop, to, kind, dict(variables or {}))
                row.to_number, row.status = rule.to_number, rule.status.value
                row.content_sid, row.content_variables = rule.content_sid, rule.content_variables
                row.error_message = rule.reason
            s.add(row)
            if row.status != OutboundStatus.QUEUED:
                log.warning("notify.held", kind=kind, status=row.status, reason=row.error_message)
                return SendResult(status=row.status, error_message=row.error_message)
        row.status, row.attempts = OutboundStatus.SENDING, row.attempts + 1
        s.commit()
        result = sender.send(
            to=row.to_number,
            from_=from_,
            body=body,
            content_sid=row.content_sid,
            content_variables=row.content_variables,
        )
        row.status, row.provider_sid = result.status, result.sid
        row.error_code, row.error_message = result.error_code, result.error_message
        s.commit()
    log.info("notify.sent", kind=kind, status=result.status, error_code=result.error_code)
    return result


@dataclass(frozen=True)
class ConversationRef:
    """A conversation's id, shopper and mode, readable after the session is gone."""

    id: int
    shop_id: int
    user_id: str
    channel: str
    mode: str
    profile_name: str | None = None


def _ref(c: Conversation) -> ConversationRef:
    return ConversationRef(c.id, c.shop_id, c.user_id, c.channel, c.mode, c.profile_name)


def staff_numbers(shop: Shop) -> list[str]:
    """The shop's staff phones as E.164 numbers (invalid entries skipped, no duplicates)."""
    numbers = [to_e164(p, shop.country) for p in shop.staff_phones or []]
    return list(dict.fromkeys(n for n in numbers if n))


def open_handoff(session: Session, conversation_id: int) -> Handoff | None:
    """The open handoff of a conversation, if any."""
    return session.scalars(
        select(Handoff).where(
            Handoff.conversation_id == conversation_id, Handoff.ended_at.is_(None)
        )
    ).first()


class HandoffDesk:
    """Modes, staff replies and hand-backs, sent through `senders` (one per channel).

    Args:
        session_factory: database sessions.
        senders: `twilio` (WhatsApp, also used for staff phones), `chat`, …
        after_fallbacks: fallback turns in a row that start a handoff (0: never).
        idle_return_s: an open handoff without a staff message for this long goes back to
            the bot.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        senders: Mapping[str, Sender],
        *,
        after_fallbacks: int = 3,
        idle_return_s: float = 7200.0,
    ) -> None:
        self.sf = session_factory
        self.senders = senders
        self.after_fallbacks = after_fallbacks
        self.idle_return_s = idle_return_s

    def sender(self, channel: str) -> Sender:
        """The sender of `channel` (WhatsApp when unknown)."""
        return self.senders.get(channel) or self.senders["twilio"]

    def touch(
        self, shop: Shop, user_id: str, channel: str, profile_name: str | None
    ) -> ConversationRef:
        """The conversation of `user_id` with `shop`, created on the first message;
        its last activity becomes now."""
        with session_scope(self.sf) as s:
            conv = s.scalars(
                select(Conversation).where(
                    Conversation.shop_id == shop.id, Conversation.user_id == user_id
                )
            ).first()
            if conv is None:
                conv = Conversation(
                    shop_id=shop.id, user_id=user_id, channel=channel, profile_name=profile_name
                )
                s.add(conv)
            else:
                conv.last_message_at = utcnow()
                conv.profile_name = profile_name or conv.profile_name
            s.flush()
            return _ref(conv)

    def get(self, shop_id: int, conversation_id: int) -> ConversationRef | None:
        """A conversation of `shop_id` by its short id (None for another shop's)."""
        with session_scope(self.sf) as s:
            conv = s.get(Conversation, conversation_id)
            return _ref(conv) if conv is not None and conv.shop_id == shop_id else None

    def start(
        self,
        shop: Shop,
        conv: ConversationRef,
        reason: str,
        *,
        inbound_id: int | None = None,
        by: str | None = None,
        last_message: str = "",
    ) -> bool:
        """Put the conversation in `human` mode and alert every staff phone; False when it
        already was (no second alert). Alerts tied to `inbound_id` are sent once."""
        with session_scope(self.sf) as s:
            row = s.get(Conversation, conv.id, with_for_update=True)
            assert row is not None
            started = row.mode != "human"
            if started:
                row.mode = "human"
                s.add(
                    Handoff(
                        shop_id=shop.id,
                        conversation_id=conv.id,
                        reason=reason,
                        inbound_id=inbound_id,
                        started_by=by,
                    )
                )
            else:  # a retry of the turn that started it sends the alerts still missing
                handoff = open_handoff(s, conv.id)
                if handoff is None or inbound_id is None or handoff.inbound_id != inbound_id:
                    return False
        if reason != "staff":
            body = say.staff_alert(conv, reason, last_message)
            self.alert_staff(
                shop,
                body,
                kind="handoff_alert",
                inbound_id=inbound_id,
                variables=say.alert_variables(conv, last_message),
            )
        log.info("handoff.started", conversation=conv.id, reason=reason, by=by, new=started)
        return started

    def alert_staff(
        self,
        shop: Shop,
        body: str,
        *,
        kind: str,
        inbound_id: int | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> list[SendResult]:
        """Send `body` to each staff phone of `shop` (once per phone for `inbound_id`);
        `variables` fill the kind's template when a phone is outside its window."""
        return [
            notify(
                self.sf,
                self.senders["twilio"],
                kind=kind,
                shop_id=shop.id,
                to=phone,
                from_=shop.whatsapp_number,
                body=body,
                inbound_id=inbound_id,
                seq=ALERT_SEQ - i if inbound_id is not None else None,
                variables=variables,
            )
            for i, phone in enumerate(staff_numbers(shop))
        ]

    def reply(
        self,
        shop: Shop,
        conv: ConversationRef,
        text: str,
        by: str,
        *,
        inbound_id: int | None = None,
    ) -> SendResult:
        """Send a staff message to the shopper (taking the conversation if the bot had it),
        logged as a `staff` turn by `by`. With `inbound_id` (a staff phone's message) it is
        logged and sent once however often that message is processed."""
        if conv.mode != "human":
            self.start(shop, conv, "staff", by=by)
        turn_id = _turn_id(inbound_id, "reply")
        with session_scope(self.sf) as s:
            if (
                s.scalars(
                    select(ConversationLog.id).where(ConversationLog.turn_id == turn_id)
                ).first()
                is None
            ):
                now = utcnow()
                handoff = open_handoff(s, conv.id)
                if handoff is not None:
                    handoff.first_response_at = handoff.first_response_at or now
                    handoff.last_staff_at = now
                    handoff.staff_messages += 1
                self._log_staff(s, conv, turn_id, text, by)
        result = self._to_shopper(shop, conv, text, "staff_reply", inbound_id, {"1": text})
        if result.status == OutboundStatus.FAILED:
            with session_scope(self.sf) as s:
                s.execute(
                    update(ConversationLog)
                    .where(ConversationLog.turn_id == turn_id)
                    .values(
                        success=False,
                        error_type="send_failed",
                        error_message=f"{result.error_code}: {result.error_message}",
                    )
                )
        return result

    def hand_back(
        self, shop: Shop, conv: ConversationRef, by: str, *, inbound_id: int | None = None
    ) -> bool:
        """Back to the bot, with a message to the shopper; False when the bot had it."""
        if not self._end(conv, "staff", by, shop.name, _turn_id(inbound_id, "back")):
            return False
        self._to_shopper(
            shop, conv, say.back_to_bot(shop.name), "handoff_ended", inbound_id, {"1": shop.name}
        )
        log.info("handoff.ended", conversation=conv.id, end_reason="staff", by=by)
        return True

    def return_idle(self, now: datetime | None = None) -> int:
        """Hand back every open handoff without a staff message for `idle_return_s`; the
        shopper and the staff are told. Safe with several workers: each handoff is closed
        (and announced) by one of them."""
        cutoff = (now or utcnow()) - timedelta(seconds=self.idle_return_s)
        with session_scope(self.sf) as s:
            rows = s.execute(
                select(Handoff.conversation_id, Handoff.started_at, Handoff.last_staff_at).where(
                    Handoff.ended_at.is_(None)
                )
            ).all()
            idle = [r.conversation_id for r in rows if (r.last_staff_at or r.started_at) < cutoff]
        returned = 0
        for conversation_id in idle:
            with session_scope(self.sf) as s:
                conv = s.get(Conversation, conversation_id)
                shop = s.get(Shop, conv.shop_id) if conv is not None else None
                if conv is None or shop is None:
                    continue
                ref = _ref(conv)
            if not self._end(ref, "idle", "idle", shop.name, _turn_id(None, "idle")):
                continue
            returned += 1
            self._to_shopper(
                shop, ref, say.idle_return(shop.name), "handoff_idle_return", None, {"1": shop.name}
            )
            self.alert_staff(
                shop,
                say.staff_idle_notice(ref.id),
                kind="handoff_idle_notice",
                variables={"1": str(ref.id)},
            )
            log.info("handoff.ended", conversation=ref.id, end_reason="idle")
        return returned

    def _end(
        self, conv: ConversationRef, end_reason: str, by: str, shop_name: str, turn_id: str
    ) -> bool:
        with session_scope(self.sf) as s:
            row = s.get(Conversation, conv.id, with_for_update=True)
            handoff = open_handoff(s, conv.id)
            if row is None or row.mode != "human" or handoff is None:
                return False
            closed = s.execute(
                update(Handoff)
                .where(Handoff.id == handoff.id, Handoff.ended_at.is_(None))
                .values(ended_at=utcnow(), end_reason=end_reason, ended_by=by)
            )
            if not closed.rowcount:  # type: ignore[attr-defined]
                return False
            row.mode = "bot"
            text = (
                say.back_to_bot(shop_name) if end_reason == "staff" else say.idle_return(shop_name)
            )
            self._log_staff(s, conv, turn_id, text, by if end_reason == "staff" else None)
        return True

    @staticmethod
    def _log_staff(
        s: Session, conv: ConversationRef, turn_id: str, text: str, by: str | None
    ) -> None:
        s.add(
            ConversationLog(
                turn_id=turn_id,
                shop_id=conv.shop_id,
                channel=conv.channel,
                user_id=conv.user_id,
                message="",
                final_reply=text,
                mode="staff" if by else "bot",
                author=by,
            )
        )

    def _to_shopper(
        self,
        shop: Shop,
        conv: ConversationRef,
        body: str,
        kind: str,
        inbound_id: int | None,
        variables: Mapping[str, str],
    ) -> SendResult:
        return notify(
            self.sf,
            self.sender(conv.channel),
            kind=kind,
            shop_id=shop.id,
            to=conv.user_id,
            from_=shop.whatsapp_number,
            body=body,
            channel=conv.channel,
            inbound_id=inbound_id,
            seq=SHOPPER_SEQ if inbound_id is not None else None,
            variables=variables,
        )


def _turn_id(inbound_id: int | None, what: str) -> str:
    """A turn id for a staff log row: fixed for a staff phone's message (retries find it)."""
    if inbound_id is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tendero:staff:{inbound_id}:{what}"))
