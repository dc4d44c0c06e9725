"""What every answering action does around its work: open a transaction, find the shop.

`run_turn` parses the sender id, loads the shop in a fresh session, calls the action's
handler and commits; an unknown shop or an unexpected error becomes a polite Spanish answer
(with facts) instead of a crash, and the transaction is rolled back.

Effects happen once per inbound message: when the user message carries an idempotency key
(`metadata.idempotency_key`, set by the orchestrator), the handler's answer is recorded in
the same transaction as its effects (`actions.services.applied`), and a retried turn with
the same key gets that answer back without running the handler again.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.respond import say
from actions.runtime import Runtime, get_runtime
from actions.services import applied
from actions.services.context import UnknownShopError, is_staff, load_shop, parse_sender
from actions.services.orders import OrderStateError
from db.identity import verified_phone
from db.models import Shop
from db.session import session_scope

log = logging.getLogger(__name__)

SORRY = "Uy, tuve un problema técnico 😓. ¿Me lo repites en un momento, por favor?"
NOT_NOW = "Tu pedido ya no se puede cambiar de esa forma 🙏. ¿Te ayudo con algo más?"
NO_SHOP = "Esta tienda no está disponible en este momento. Intenta más tarde, por favor."


@dataclass
class Turn:
    """One action call: the database session, the shop and who is writing."""

    session: Session
    shop: Shop
    user_id: str
    runtime: Runtime

    @property
    def phone(self) -> str | None:
        """The verified WhatsApp number (E.164), None for local channels (`chat:…`)."""
        return verified_phone(self.user_id)

    @property
    def staff(self) -> bool:
        """True when the sender is a verified staff number of this shop."""
        return is_staff(self.shop, self.user_id)

    def searcher(self) -> Any:
        """The catalog search service, or None when it cannot be built."""
        try:
            return self.runtime.search
        except Exception:  # optional component; the SQL fallback answers instead
            log.exception("catalog search unavailable")
            return None


Handler = Callable[[Turn, CollectingDispatcher, Tracker], list[dict[str, Any]]]


def idempotency_key(tracker: Tracker) -> str | None:
    """The idempotency key of the latest user message (None for messages without one)."""
    return applied.key_of((tracker.latest_message or {}).get("metadata"))


def run_turn(
    action: str, dispatcher: CollectingDispatcher, tracker: Tracker, handler: Handler
) -> list[dict[str, Any]]:
    """Run `handler` in one transaction; answer politely on failure (no events then).

    With an idempotency key, the answer is recorded with the effects, or replayed when this
    key was already applied by `action`.
    """
    runtime = get_runtime()
    sender = parse_sender(tracker.sender_id)
    key = idempotency_key(tracker)
    first = len(dispatcher.messages)
    try:
        with session_scope(runtime.session_factory) as session:
            if key is not None and (done := applied.recorded(session, key=key, action=action)):
                log.info("replaying %s for %s (already applied)", action, key)
                dispatcher.messages.extend(done.messages)
                return done.events
            shop = load_shop(session, sender.shop_slug)
            events = handler(Turn(session, shop, sender.user_id, runtime), dispatcher, tracker)
            if key is not None:
                applied.record(
                    session,
                    key=key,
                    action=action,
                    sender_id=tracker.sender_id,
                    messages=dispatcher.messages[first:],
                    events=events,
                )
            return events
    except UnknownShopError:
        say(dispatcher, action, NO_SHOP, {"error": "unknown_shop", "shop": sender.shop_slug})
    except OrderStateError as err:
        log.info("illegal order transition in %s: %s", action, err)
        facts = {"error": "order_state", "state": err.state, "wanted": err.wanted}
        say(dispatcher, action, NOT_NOW, facts)
    except IntegrityError:
        # The same key ran concurrently and committed first: our effects were rolled back,
        # its answer is the answer.
        done = _recorded(runtime, key, action) if key is not None else None
        if done is not None:
            log.info("replaying %s for %s (concurrent duplicate)", action, key)
            del dispatcher.messages[first:]
            dispatcher.messages.extend(done.messages)
            return done.events
        log.exception("action failed: %s", action)
        say(dispatcher, action, SORRY, {"error": "internal"})
    except Exception:
        log.exception("action failed: %s", action)
        say(dispatcher, action, SORRY, {"error": "internal"})
    return []


def _recorded(runtime: Runtime, key: str, action: str) -> applied.Recorded | None:
    with session_scope(runtime.session_factory) as session:
        return applied.recorded(session, key=key, action=action)


class TurnAction(Action, ABC):
    """An answering action whose work runs in one transaction through `run_turn`.

    Subclasses set `action_name` (the domain's name) and implement `handle`; `after` adds
    events that must be set even when the turn failed (rasa-sdk skips abstract classes).
    """

    action_name: str

    def name(self) -> str:
        """The Rasa action name."""
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Run `handle` in one transaction, then append `after`'s events.

        The blocking database and search work runs in a worker thread so one shopper's turn
        never stalls the action server's event loop for everyone else.
        """
        events = await asyncio.to_thread(
            run_turn, self.action_name, dispatcher, tracker, self.handle
        )
        return [*events, *self.after(tracker)]

    @abstractmethod
    def handle(
        self, turn: Turn, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """The action's work: answer through `dispatcher`, return Rasa events."""

    def after(self, tracker: Tracker) -> list[dict[str, Any]]:
        """Events appended whatever happened in `handle` (none by default)."""
        return []


def entity(tracker: Tracker, name: str) -> str | None:
    """The latest message's `name` entity (first one), else None."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value not in (None, "") else None


def entity_or_slot(tracker: Tracker, name: str) -> str | None:
    """The latest message's entity `name`, else the slot of the same name."""
    value = entity(tracker, name)
    if value is None:
        slot = tracker.get_slot(name)
        value = str(slot) if slot not in (None, "") else None
    return value


def latest_text(tracker: Tracker) -> str:
    """The text of the latest user message."""
    return str((tracker.latest_message or {}).get("text") or "")
