"""One turn: inbound message → Rasa → phrasing + guard → send → turn log.

Every step is safe to repeat: the turn log row says a message was answered, stored outbound
rows are resent only when unsent, a message already in Rasa's tracker (found by its
idempotency key) is not sent to Rasa again, and the actions replay effects they applied.
So an infrastructure failure (Rasa, action server or database unavailable) retries the
whole turn with bounded exponential backoff for `retry_window_s`; after `patience_s` the
shopper gets one "dame un momento" message, and only when the window is over an apology.
`Pipeline.process(inbound_id)` raises only when the database stays unavailable for the whole
window (the worker then gives the claim back).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from db.identity import verified_phone
from db.models import (
    ConversationLog,
    GuardVerdict,
    InboundMessage,
    OutboundMessage,
    Shop,
    utcnow,
)
from db.notifications import set_opt_out
from db.session import read_scope, session_scope
from orchestrator import metrics as m
from orchestrator import opt_out, queue
from orchestrator.delivery import HOLD_SEQ, Delivery, deliver
from orchestrator.handoff_turns import HandoffTurns
from orchestrator.logging import get_logger
from orchestrator.media import MediaService
from orchestrator.phrasing import CatalogNames, PhraseOutcome, PhrasingService
from orchestrator.rasa_client import (
    RasaClient,
    RasaEmptyReplyError,
    RasaError,
    RasaTurn,
    RasaUnavailableError,
)
from orchestrator.senders import Sender
from orchestrator.turn import (
    APOLOGY,
    HOLD,
    MEDIA_ONLY,
    Turn,
    TurnResult,
    idempotency_key,
    phone_of,
)

log = get_logger("orchestrator.pipeline")
# The turn log's `actions` of a BAJA / ALTA answered before Rasa.
OPT_OUT_ACTION = "orchestrator_opt_out"
OPT_IN_ACTION = "orchestrator_opt_in"


class TransientTurnError(Exception):
    """Rasa or the action server could not answer now; the turn is worth retrying."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def is_transient(exc: BaseException) -> bool:
    """True for failures of the infrastructure (retry), False for bugs (apologize)."""
    if isinstance(exc, TransientTurnError | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def conversation_user(provider: str, from_number: str) -> str:
    """The conversation identity of an inbound row (see `db.identity`).

    Only Twilio-signed rows carry a phone identity; any other provider's id is kept in the
    local namespace even if it looks like a phone (e.g. a row stored by an older version).
    """
    user = phone_of(from_number)
    if provider != "twilio" and verified_phone(user) is not None:
        return f"chat:{user}"
    return user


class Pipeline:
    """Runs turns with its collaborators, all built once in the app lifespan.

    Args:
        session_factory: database sessions.
        rasa: the Rasa client.
        phrasing: LLM phrasing with the guard.
        senders: a sender per inbound provider (`twilio`, `chat`).
        metrics: the metrics registry.
        max_attempts: a message claimed more often than this is answered with an apology.
        default_from: WhatsApp sender used when the inbound row has no `To` number.
        action_server_ok: tells an empty Rasa answer caused by a dead action server apart.
        retry_window_s: how long an infrastructure failure is retried before apologizing.
        patience_s: after this long, the shopper gets one "dame un momento" message.
        max_backoff_s: the longest pause between two tries.
        empty_reply_retries: tries again after an empty Rasa answer while the action server
            looks up (it may have died and come back).
        media: voice notes, photos, product images and quick replies (`orchestrator.media`).
        handoff: the human-handoff hooks (staff commands, human mode); None: bot only.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        rasa: RasaClient,
        phrasing: PhrasingService,
        senders: dict[str, Sender],
        metrics: m.Metrics,
        *,
        max_attempts: int = 3,
        default_from: str = "",
        action_server_ok: Callable[[], bool] | None = None,
        retry_window_s: float = 120.0,
        patience_s: float = 8.0,
        max_backoff_s: float = 8.0,
        empty_reply_retries: int = 2,
        media: MediaService | None = None,
        handoff: HandoffTurns | None = None,
    ) -> None:
        self.sf = session_factory
        self.rasa = rasa
        self.phrasing = phrasing
        self.senders = senders
        self.metrics = metrics
        self.max_attempts = max_attempts
        self.default_from = default_from
        self.action_server_ok = action_server_ok
        self.retry_window_s = retry_window_s
        self.patience_s = patience_s
        self.max_backoff_s = max_backoff_s
        self.empty_reply_retries = empty_reply_retries
        self.handoff = handoff
        self._catalog = CatalogNames(session_factory)
        self.media = media or MediaService(session_factory)

    def process(self, inbound_id: int) -> TurnResult:
        """Answer one stored inbound message exactly once (retrying transient failures)."""
        turn_id = str(uuid.uuid4())
        with structlog.contextvars.bound_contextvars(turn_id=turn_id, inbound_id=inbound_id):
            started = time.monotonic()
            retrying = Retrying(
                stop=stop_after_delay(self.retry_window_s),
                wait=wait_exponential_jitter(initial=0.5, max=self.max_backoff_s, jitter=0.5),
                retry=retry_if_exception(is_transient),
                before_sleep=self._before_retry,
                reraise=True,
            )
            try:
                for attempt in retrying:
                    with attempt:
                        tries = attempt.retry_state.attempt_number
                        return self._process(inbound_id, turn_id, tries - 1, started)
            except TransientTurnError:  # the window is over: apologize (last resort)
                return self._process(inbound_id, turn_id, -1, started)
            raise AssertionError("unreachable")  # pragma: no cover

    def _before_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.error_type if isinstance(exc, TransientTurnError) else type(exc).__name__
        self.metrics.inc(m.RETRIES, "Turn retries after transient failures", reason=reason)
        log.warning(
            "turn.retry",
            attempt=state.attempt_number,
            reason=reason,
            error=str(exc)[:300],
            wait_s=round(state.upcoming_sleep, 2),
        )

    def _load(self, inbound_id: int) -> tuple[Turn | None, ConversationLog | None]:
        """The turn of `inbound_id`, its turn log row if it was answered, and the answer's
        stored outbound bodies: one read-only transaction (no write lock on SQLite)."""
        with read_scope(self.sf) as s:
            row = s.get(InboundMessage, inbound_id)
            if row is None:
                return None, None
            done = s.scalars(
                select(ConversationLog).where(ConversationLog.inbound_id == inbound_id)
            ).first()
            shop = s.get(Shop, row.shop_id) if row.shop_id else None
            if shop is None:
                shop = s.scalars(
                    select(Shop).where(Shop.whatsapp_number == phone_of(row.to_number))
                ).first()
            stored = s.scalars(
                select(OutboundMessage.body)
                .where(OutboundMessage.inbound_id == inbound_id, OutboundMessage.seq >= 0)
                .order_by(OutboundMessage.seq)
            ).all()
            turn = Turn(
                inbound_id,
                row.provider,
                conversation_user(row.provider, row.from_number),
                row.to_number,
                row.body or "",
                row.attempts or 0,
                row.received_at,
                shop,
                idempotency_key(row.provider, row.provider_message_id),
                media=list(row.media or []),
                button_payload=row.button_payload,
                button_text=row.button_text,
                profile_name=row.profile_name,
                stored_replies=list(stored),
            )
            return turn, done

    def _process(self, inbound_id: int, turn_id: str, retry: int, started: float) -> TurnResult:
        """One try. `retry` counts earlier tries of this call (-1: last resort, apologize
        instead of raising `TransientTurnError`)."""
        start = time.perf_counter()
        turn, done = self._load(inbound_id)
        if turn is None:
            log.warning("turn.inbound_missing")
            return TurnResult(turn_id, success=False, error_type="inbound_missing")
        if done is not None:  # answered before a crash or a retry: never twice
            with session_scope(self.sf) as s:
                queue.finish(s, inbound_id, ok=bool(done.success))
            log.info("turn.already_done", previous_turn=done.turn_id)
            return TurnResult(
                done.turn_id,
                [done.final_reply or ""],
                done.intent,
                bool(done.success),
                done.error_type,
            )
        structlog.contextvars.bind_contextvars(
            shop=turn.shop.slug if turn.shop else None, user=turn.user, channel=turn.channel
        )
        queue_ms = max(0.0, (utcnow() - turn.received_at).total_seconds() * 1000)
        turn.log.update(queue_ms=queue_ms)
        self.metrics.observe(m.STAGE, "Stage latency", queue_ms / 1000, stage="queue")
        turn.log["retry"] = retry
        turn.log["started"] = started
        try:
            replies = self._replies(turn)
        except Exception as exc:  # a bug mid-turn: apologize now, log it
            if is_transient(exc):
                raise
            log.exception("turn.crashed")
            replies = self._fail(turn, "internal_error", f"{type(exc).__name__}: {exc}")
        send_start = time.perf_counter()
        sent_ok, sent = self._send(turn, replies)
        turn.log["send_ms"] = (time.perf_counter() - send_start) * 1000
        self.metrics.observe(m.STAGE, "Stage latency", turn.log["send_ms"] / 1000, stage="send")
        if not sent_ok and turn.log.get("success", True):
            turn.log.update(
                success=False, error_type="send_failed", error_message=turn.log.get("send_error")
            )
        turn.log["total_ms"] = (time.perf_counter() - start) * 1000
        for scratch in ("send_error", "retry", "started"):
            turn.log.pop(scratch, None)
        self._write_log(turn, turn_id, "\n\n".join(sent))
        result = TurnResult(
            turn_id,
            sent,
            turn.log.get("intent"),
            turn.log.get("success", True),
            turn.log.get("error_type"),
        )
        self.metrics.inc(
            m.TURNS, "Turns processed", channel=turn.channel, success=str(result.success).lower()
        )
        if result.error_type:
            self.metrics.inc(m.ERRORS, "Turns that failed", error_type=result.error_type)
        log.info(
            "turn.done",
            success=result.success,
            error_type=result.error_type,
            intent=result.intent,
            total_ms=round(turn.log["total_ms"], 1),
        )
        return result

    def _replies(self, turn: Turn) -> list[str]:
        """The texts to send: stored ones when a retry resumes, else computed now."""
        if turn.stored_replies:
            return list(turn.stored_replies)
        if turn.attempts > self.max_attempts:
            return self._fail(turn, "too_many_attempts", f"attempt {turn.attempts}")
        if turn.shop is None:
            return self._fail(turn, "unknown_shop", f"no shop for {turn.to_number}")
        cmd = opt_out.command(turn.text)
        if cmd is not None and turn.channel == "twilio" and verified_phone(turn.user):
            return self._opt(turn, turn.shop, cmd)
        hooks = self.handoff
        if hooks is not None:  # a staff command, or a conversation staff answer: no bot
            early = hooks.before(turn, turn.shop)
            if early is not None:
                return early
        answered = self.media.prepare(turn)  # voice note, photo, button, "mándame foto"
        if answered is not None:
            return answered
        if not turn.text.strip():  # location, contact, sticker...: not understood
            turn.log.update(template_reply=MEDIA_ONLY, intent=None)
            return [MEDIA_ONLY]
        replies = self.media.finish(turn, self._converse(turn, turn.shop))
        return replies if hooks is None else hooks.after(turn, turn.shop, replies)

    def _opt(self, turn: Turn, shop: Shop, cmd: opt_out.Command) -> list[str]:
        """BAJA / ALTA, before Rasa: store the choice, confirm it (idempotent on a retry)."""
        with session_scope(self.sf) as s:
            changed = set_opt_out(
                s, shop.id, turn.user, opted_out=cmd == "out", keyword=turn.text[:200]
            )
        text = opt_out.reply(cmd, shop.name)
        action = OPT_OUT_ACTION if cmd == "out" else OPT_IN_ACTION
        turn.log.update(template_reply=text, intent=None, actions=[action])
        log.info("turn.opt_out" if cmd == "out" else "turn.opt_in", changed=changed)
        return [text]

    def _fail(self, turn: Turn, error_type: str, message: str) -> list[str]:
        turn.log.update(success=False, error_type=error_type, error_message=message[:2000])
        log.error("turn.failed", error_type=error_type, error=message[:300])
        return [APOLOGY]

    def _converse(self, turn: Turn, shop: Shop) -> list[str]:
        retry, sender = turn.log["retry"], f"{shop.slug}:{turn.user}"
        if retry != 0 and time.monotonic() - turn.log["started"] >= self.patience_s:
            self._hold(turn)
        t0 = time.perf_counter()
        try:
            rasa_turn = self._rasa_turn(turn, sender)
        except RasaError as exc:
            turn.log["rasa_ms"] = (time.perf_counter() - t0) * 1000
            error_type = exc.error_type
            if isinstance(exc, RasaEmptyReplyError):
                if exc.turn is not None:
                    self._record_rasa(turn, exc.turn)
                if self.action_server_ok is not None and not self.action_server_ok():
                    error_type = "action_server_unavailable"
            retryable = isinstance(exc, RasaUnavailableError) or (
                error_type == "action_server_unavailable" or 0 <= retry < self.empty_reply_retries
            )
            if retryable and retry >= 0:
                raise TransientTurnError(error_type, str(exc)) from exc
            return self._fail(turn, error_type, str(exc))
        turn.log["rasa_ms"] = (time.perf_counter() - t0) * 1000
        self.metrics.observe(m.STAGE, "Stage latency", turn.log["rasa_ms"] / 1000, stage="rasa")
        self._record_rasa(turn, rasa_turn)
        template = "\n\n".join(msg.text for msg in rasa_turn.messages)
        turn.log.update(
            template_reply=template, facts=rasa_turn.facts if rasa_turn.has_facts else None
        )
        if self.phrasing.phraser is None:
            return [msg.text for msg in rasa_turn.messages]
        t1 = time.perf_counter()
        outcome = self.phrasing.phrase(
            template=template,
            facts=rasa_turn.facts,
            user_text=turn.text,
            persona=shop.persona or "",
            shop_name=shop.name,
            catalog_names=self._catalog.names(shop.id),
        )
        turn.log["phrase_ms"] = (time.perf_counter() - t1) * 1000
        self.metrics.observe(m.STAGE, "Stage latency", turn.log["phrase_ms"] / 1000, stage="phrase")
        self._record_llm(turn, outcome)
        if outcome.verdict == GuardVerdict.PASSED:
            return [outcome.text]
        return [msg.text for msg in rasa_turn.messages]

    def _rasa_turn(self, turn: Turn, sender: str) -> RasaTurn:
        """Rasa's answer to this message. A retry first looks for the message in the
        tracker (by idempotency key): when Rasa already answered it, the answer is rebuilt
        from the tracker instead of feeding Rasa the same message twice."""
        if turn.attempts > 1 or turn.log["retry"] != 0:
            applied = self.rasa.applied_turn(sender, turn.key)
            if applied is not None and applied.messages:
                log.info("turn.rebuilt_from_tracker", key=turn.key)
                return applied
            if applied is not None:
                log.warning("turn.resent_incomplete", key=turn.key)
        return self.rasa.send(sender, turn.text, turn.key)

    def _hold(self, turn: Turn) -> None:
        """Send the one "dame un momento" message of this inbound message (never twice)."""
        result = self._deliver(turn, [HOLD], first_seq=HOLD_SEQ)
        if result.sent_now:
            self.metrics.inc(m.HOLDS, "Hold messages sent while a turn was retried")
            log.info("turn.hold_sent")

    @staticmethod
    def _record_rasa(turn: Turn, rasa_turn: RasaTurn) -> None:
        turn.log.update(
            intent=rasa_turn.intent,
            confidence=rasa_turn.confidence,
            entities=rasa_turn.entities,
            actions=rasa_turn.actions,
            rasa_response=rasa_turn.raw,
        )

    def _record_llm(self, turn: Turn, o: PhraseOutcome) -> None:
        turn.log.update(
            llm_provider=o.provider,
            llm_model=o.model,
            llm_latency_ms=o.latency_ms,
            llm_prompt_tokens=o.prompt_tokens,
            llm_completion_tokens=o.completion_tokens,
            llm_raw=o.raw,
            guard_verdict=o.verdict,
            guard_reason=o.reason,
        )
        if o.verdict == GuardVerdict.REJECTED:
            self.metrics.inc(
                m.GUARD, "LLM replies rejected by the guard", provider=o.provider or ""
            )

    def _deliver(self, turn: Turn, replies: list[str], **kw: Any) -> Delivery:
        """Write and send `replies` for this turn's inbound message (see `delivery.deliver`)."""
        return deliver(
            self.sf,
            self.senders.get(turn.channel) or self.senders["twilio"],
            inbound_id=turn.inbound_id,
            shop_id=turn.shop.id if turn.shop else None,
            channel=turn.channel,
            to=turn.user,
            from_=phone_of(turn.to_number) or self.default_from,
            replies=replies,
            **kw,
        )

    def _send(self, turn: Turn, replies: list[str]) -> tuple[bool, list[str]]:
        result = self._deliver(turn, replies, **turn.outbound)
        if result.error:
            turn.log["send_error"] = result.error
        return result.ok, result.bodies

    def _write_log(self, turn: Turn, turn_id: str, final_reply: str) -> None:
        values = {k: v for k, v in turn.log.items() if hasattr(ConversationLog, k)}
        with session_scope(self.sf) as s:
            s.add(
                ConversationLog(
                    turn_id=turn_id,
                    shop_id=turn.shop.id if turn.shop else None,
                    inbound_id=turn.inbound_id,
                    channel=turn.channel,
                    user_id=turn.user,
                    message=turn.text,
                    final_reply=final_reply,
                    **values,
                )
            )
            ok = bool(values.get("success", True))
            queue.finish(s, turn.inbound_id, ok=ok, error=values.get("error_message"))


__all__ = ["APOLOGY", "MEDIA_ONLY", "Pipeline", "TurnResult", "phone_of"]
