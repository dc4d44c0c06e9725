"""Rasa REST channel client: send a message, read back what Rasa understood and did.

Rasa's REST channel answers a list of bot messages. A `{"text": ...}` message is a template
text; a `{"custom": {"facts": ..., "action": ...}}` message carries the facts of the text
before it. Intent, confidence, entities and the actions run (for the turn log) come, in this
order of preference, from the "turn" detail the action server attaches to the last facts payload
(`actions.server.DetailExecutor`: no extra work for Rasa, the common case), from the turn's
events in Rasa's SQL tracker store when it lives in the app database and
`TURN_DETAIL_SOURCE=auto` (`orchestrator.tracker_events`), else from the tracker over Rasa's
HTTP API (`rasa run --enable-api`; turns answered only by `utter_*` responses).

Every message carries its idempotency key as metadata (`{"idempotency_key": ...}`); Rasa
stores it on the user event and hands it to the actions. `applied_turn` finds a message
already in the tracker by that key and rebuilds its answer from the bot events after it,
so a retried turn never feeds Rasa the same message twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx


class RasaError(Exception):
    """Rasa could not answer; `error_type` names the failure for the turn log."""

    error_type = "rasa_error"


class RasaUnavailableError(RasaError):
    """Rasa did not answer (connection refused, timeout, HTTP error)."""

    error_type = "rasa_unavailable"


class RasaEmptyReplyError(RasaError):
    """Rasa answered nothing: usually the action server is down or an action crashed."""

    error_type = "rasa_empty_reply"

    def __init__(self, message: str, turn: RasaTurn | None = None) -> None:
        super().__init__(message)
        self.turn = turn


@dataclass
class BotMessage:
    """One text Rasa wants to send, with the facts/action of its custom payload if any."""

    text: str
    facts: dict[str, Any] | None = None
    action: str | None = None


@dataclass
class RasaTurn:
    """What came back from Rasa for one user message."""

    messages: list[BotMessage]
    raw: list[dict[str, Any]]
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    @property
    def facts(self) -> dict[str, Any]:
        """The facts of all messages merged (later keys win), {} when none."""
        merged: dict[str, Any] = {}
        for msg in self.messages:
            merged.update(msg.facts or {})
        return merged

    @property
    def has_facts(self) -> bool:
        """True when at least one message carried a facts payload."""
        return any(m.facts is not None for m in self.messages)


def group_messages(raw: list[dict[str, Any]]) -> list[BotMessage]:
    """Pair each text with the custom payload that follows it (Rasa sends them apart)."""
    out: list[BotMessage] = []
    for item in raw:
        text = item.get("text")
        custom = item.get("custom")
        if isinstance(text, str) and text.strip():
            out.append(BotMessage(text=text))
        if isinstance(custom, dict):
            facts = custom.get("facts") if isinstance(custom.get("facts"), dict) else {}
            action = custom.get("action") if isinstance(custom.get("action"), str) else None
            if out and out[-1].facts is None:
                out[-1].facts, out[-1].action = facts, action
            else:
                # A payload without its own text: keep the facts with no text of its own.
                out.append(BotMessage(text="", facts=facts, action=action))
    return out


KEY_FIELD = "idempotency_key"
# What the turn log keeps of a turn: intent, confidence, entities, actions run.
TurnDetail = tuple[str | None, float | None, list, list[str]]


def event_key(event: dict[str, Any]) -> str | None:
    """The idempotency key of a tracker user event (top-level or parse_data metadata)."""
    for metadata in (event.get("metadata"), (event.get("parse_data") or {}).get("metadata")):
        if isinstance(metadata, dict) and isinstance(metadata.get(KEY_FIELD), str):
            return str(metadata[KEY_FIELD])
    return None


def user_event_index(events: list[dict[str, Any]], key: str | None = None) -> int | None:
    """Index of the last user event (with idempotency key `key` when given), else None."""
    return max(
        (
            i
            for i, e in enumerate(events)
            if e.get("event") == "user" and (key is None or event_key(e) == key)
        ),
        default=None,
    )


def bot_messages_after(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """The bot events after user event `index` (until the next user event), as the REST
    channel would have answered them: a text message, then its custom payload."""
    raw: list[dict[str, Any]] = []
    for event in events[index + 1 :]:
        if event.get("event") == "user":
            break
        if event.get("event") != "bot":
            continue
        if isinstance(event.get("text"), str) and event["text"]:
            raw.append({"text": event["text"]})
        custom = (event.get("data") or {}).get("custom")
        if isinstance(custom, dict):
            raw.append({"custom": custom})
    return raw


def parse_tracker(tracker: dict[str, Any], key: str | None = None) -> TurnDetail:
    """Intent, confidence, entities and actions of the last user message of a tracker
    (of the last one carrying idempotency key `key` when it is there)."""
    events = tracker.get("events") or []
    last_user = user_event_index(events, key) if key else None
    if last_user is None:
        last_user = user_event_index(events)
    if last_user is None:
        return None, None, [], []
    parse = events[last_user].get("parse_data") or {}
    intent = parse.get("intent") or {}
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor") if k in e}
        for e in parse.get("entities") or []
    ]
    following = events[last_user + 1 :]
    next_user = next((i for i, e in enumerate(following) if e.get("event") == "user"), None)
    actions = [
        e["name"]
        for e in following[:next_user]
        if e.get("event") == "action" and e.get("name") and e["name"] != "action_listen"
    ]
    confidence = intent.get("confidence")
    return (
        intent.get("name"),
        float(confidence) if confidence is not None else None,
        entities,
        actions,
    )


def payload_detail(raw: list[dict[str, Any]], key: str | None) -> TurnDetail | None:
    """The turn's detail as the action server attached it to the last facts payload
    (`actions.server.DetailExecutor`: "turn" in the custom payload), None when no action
    answered with facts or the detail is another message's."""
    for item in reversed(raw):
        custom = item.get("custom") if isinstance(item, dict) else None
        detail = custom.get("turn") if isinstance(custom, dict) else None
        if not isinstance(detail, dict):
            continue
        if key is not None and detail.get("key") not in (None, key):
            return None
        confidence = detail.get("confidence")
        entities = detail.get("entities")
        actions = detail.get("actions")
        return (
            detail.get("intent") if isinstance(detail.get("intent"), str) else None,
            float(confidence) if isinstance(confidence, int | float) else None,
            [e for e in entities if isinstance(e, dict)] if isinstance(entities, list) else [],
            [a for a in actions if isinstance(a, str)] if isinstance(actions, list) else [],
        )
    return None


class RasaClient:
    """Talks to one Rasa server over its REST channel and HTTP API.

    Args:
        base_url: e.g. `http://127.0.0.1:5005`.
        http: a shared, pooled `httpx.Client` (built in the app lifespan).
        timeout_s: timeout of the webhook call (the action server runs inside it).
        token: `RASA_TOKEN`: a bearer token for the REST channel
            (channels/secure_rest.py) and `?token=` for Rasa's HTTP API.
        detail: reads a sent turn's detail without asking Rasa
            (`TrackerEvents.turn_detail(sender, key)`); when it returns None the tracker
            is fetched from Rasa's API.
    """

    def __init__(
        self,
        base_url: str,
        http: httpx.Client,
        timeout_s: float = 30.0,
        token: str = "",
        detail: Callable[[str, str], TurnDetail | None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.detail = detail
        self.http = http
        self.timeout = httpx.Timeout(timeout_s, connect=3.0)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._params = {"token": token} if token else {}

    def send(self, sender: str, message: str, key: str | None = None) -> RasaTurn:
        """Send `message` as `sender` (with idempotency key `key` as metadata); raise
        `RasaError` when there is no usable answer."""
        payload: dict[str, Any] = {"sender": sender, "message": message}
        if key:
            payload["metadata"] = {KEY_FIELD: key}
        try:
            resp = self.http.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json=payload,
                headers=self._headers,
                timeout=self.timeout,
            )
            resp.raise_for_status()
            raw = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(raw, list):
            raise RasaUnavailableError(f"unexpected Rasa answer: {str(raw)[:200]}")
        messages = [m for m in group_messages(raw) if m.text]
        turn = RasaTurn(messages=messages, raw=raw)
        detail = payload_detail(raw, key)
        if detail is None and self.detail is not None and key:
            detail = self.detail(sender, key)
        if detail is None:
            with suppress(httpx.HTTPError, ValueError):  # the reply matters more
                detail = parse_tracker(self.tracker(sender), key)
        if detail is not None:
            turn.intent, turn.confidence, turn.entities, turn.actions = detail
        if not messages:
            raise RasaEmptyReplyError("Rasa answered no text", turn)
        return turn

    def applied_turn(self, sender: str, key: str) -> RasaTurn | None:
        """The turn of the message with idempotency key `key` if the tracker already holds
        it, rebuilt from the bot events after it (messages may be empty: the turn broke
        off, e.g. the action server died); None when Rasa never stored that message."""
        try:
            tracker = self.tracker(sender)
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailableError(f"tracker: {type(exc).__name__}: {exc}") from exc
        events = tracker.get("events") or []
        index = user_event_index(events, key)
        if index is None:
            return None
        raw = bot_messages_after(events, index)
        turn = RasaTurn(messages=[m for m in group_messages(raw) if m.text], raw=raw)
        turn.intent, turn.confidence, turn.entities, turn.actions = parse_tracker(tracker, key)
        return turn

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation tracker of `sender` (needs `--enable-api`)."""
        resp = self.http.get(
            f"{self.base_url}/conversations/{quote(sender, safe=':+@')}/tracker",
            params={"include_events": "AFTER_RESTART", **self._params},
            timeout=self.timeout,
        )
        resp.raise_for_status()
        data = resp.json()
        return data if isinstance(data, dict) else {}

    def status(self) -> bool:
        """True when the Rasa server answers its status endpoint."""
        try:
            resp = self.http.get(f"{self.base_url}/status", params=self._params, timeout=3.0)
            return resp.status_code == 200
        except httpx.HTTPError:
            return False
