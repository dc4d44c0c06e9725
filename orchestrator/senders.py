"""Sending replies: Twilio's REST API, or an outbox that only records them.

WhatsApp through Twilio takes at most 1,600 characters a message: longer replies are split
on sentence boundaries. 429, 5xx and network errors are retried with exponential backoff
(tenacity). A message may carry an image (`media_url`, Twilio `MediaUrl`) or go through a
quick-reply template of Twilio's Content API (`content_sid`, `content_variables`); when the
template is refused the body is sent as plain text instead (the numbered-text fallback).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from db.models import OutboundStatus
from orchestrator.logging import get_logger

MAX_CHARS = 1600
log = get_logger("orchestrator.senders")

_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"')\]»]*|\n+|$)\s*")


def _hard_split(piece: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for word in re.findall(r"\S+\s*", piece):
        while len(word) > limit:  # a single enormous word: cut it
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:limit])
            word = word[limit:]
        if len(current) + len(word) > limit:
            chunks.append(current)
            current = ""
        current += word
    if current:
        chunks.append(current)
    return chunks


def split_message(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, on sentence boundaries.

    Sentences end with . ! ? … or a line break; a sentence longer than `limit` is split
    between words. Chunks keep their order and are stripped.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    for piece in (m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)):
        if len(current) + len(piece.rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current)
        current = ""
        if len(piece.rstrip()) > limit:
            *full, current = _hard_split(piece, limit)
            chunks.extend(full)
        else:
            current = piece
    if current.strip():
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


@dataclass
class SendResult:
    """The outcome of sending one message."""

    status: str  # an OutboundStatus: queued | sent | recorded | failed ...
    sid: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 1
    content_used: bool = False  # sent through the quick-reply template (not the fallback)


class Sender(Protocol):
    """Delivers one message to a user."""

    name: str

    def send(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        media_url: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | str | None = None,
    ) -> SendResult:
        """Send `body` (with its image or template) to `to`; never raises for failures."""
        ...


class OutboxSender:
    """No Twilio credentials: the message is only recorded (database row and log)."""

    name = "outbox"

    def send(self, *, to: str, from_: str, body: str, **extra: Any) -> SendResult:
        """Record the message; the caller stores it with status `recorded`."""
        log.info(
            "outbox.recorded",
            to=to,
            from_=from_,
            chars=len(body),
            body=body[:200],
            media_url=extra.get("media_url"),
        )
        return SendResult(
            status=OutboundStatus.RECORDED, content_used=bool(extra.get("content_sid"))
        )


def _twilio_http_client(api_base: str | None, timeout: float) -> Any:
    from requests.utils import get_environ_proxies
    from twilio.http.http_client import TwilioHttpClient

    class BaseUrlHttpClient(TwilioHttpClient):
        """Twilio's own HTTP client, with api.twilio.com replaced by `api_base`."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if api_base:
                url = re.sub(r"^https://[^/]*\.twilio\.com", api_base.rstrip("/"), url)
            return super().request(method, url, *args, **kwargs)

    client = BaseUrlHttpClient(timeout=timeout)
    if client.session is not None:
        # requests re-reads the proxy variables and ~/.netrc on every request when
        # trust_env is on (~1-2 ms CPU per send, bench/RESULTS.md): read the proxies once.
        target = api_base or "https://api.twilio.com"
        client.session.proxies.update(get_environ_proxies(target))
        client.session.trust_env = False
    return client


def whatsapp(number: str) -> str:
    """`+57300...` → `whatsapp:+57300...` (unchanged when already prefixed)."""
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


class TwilioSender:
    """Sends through `twilio.rest.Client().messages.create`, retrying 429/5xx with backoff.

    Args:
        account_sid, auth_token: the Twilio credentials.
        status_callback: URL Twilio posts delivery updates to (`/twilio/status`), optional.
        api_base: replaces `https://api.twilio.com` (tests point it at a fake server).
        retries: attempts in total for a retryable failure.
        backoff_s: first backoff; doubled after every attempt.
    """

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        status_callback: str | None = None,
        api_base: str | None = None,
        retries: int = 4,
        backoff_s: float = 0.5,
        timeout_s: float = 10.0,
    ) -> None:
        from twilio.rest import Client

        self.client = Client(
            account_sid, auth_token, http_client=_twilio_http_client(api_base, timeout_s)
        )
        self.status_callback = status_callback
        self.retries = max(1, retries)
        self.backoff_s = backoff_s

    def send(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        media_url: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | str | None = None,
    ) -> SendResult:
        """Create the message; a refused template falls back to the text `body`."""
        kwargs: dict[str, Any] = {"to": whatsapp(to), "from_": whatsapp(from_)}
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        if content_sid:
            templated = {"content_sid": content_sid}
            if content_variables:
                templated["content_variables"] = (
                    content_variables
                    if isinstance(content_variables, str)
                    else json.dumps(content_variables, ensure_ascii=False)
                )
            result = self._create({**kwargs, **templated})
            if result.status != OutboundStatus.FAILED:
                result.content_used = True
                return result
            log.warning("twilio.content_fallback", code=result.error_code, content_sid=content_sid)
        kwargs["body"] = body
        if media_url:
            kwargs["media_url"] = [media_url]
        return self._create(kwargs)

    def _create(self, kwargs: dict[str, Any]) -> SendResult:
        """`messages.create(**kwargs)`; retry 429/5xx and network errors, not others.

        Up to `retries` attempts, waiting `backoff_s · 2^(n-1)` after the n-th failure
        (tenacity); the last failure's code and message are returned, never raised.
        """
        from requests import RequestException
        from twilio.base.exceptions import TwilioRestException

        result = SendResult(status=OutboundStatus.FAILED)
        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=wait_exponential(multiplier=self.backoff_s, exp_base=2),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    result.attempts = attempt.retry_state.attempt_number
                    try:
                        msg = self.client.messages.create(**kwargs)
                    except (TwilioRestException, RequestException) as exc:
                        _describe_failure(result, exc)
                        log.warning(
                            "twilio.send_failed",
                            attempt=result.attempts,
                            code=result.error_code,
                            retryable=_retryable(exc),
                        )
                        raise
                    return SendResult(
                        status=_status(msg.status), sid=msg.sid, attempts=result.attempts
                    )
        except (TwilioRestException, RequestException):
            pass  # described in `result`
        return result


def _retryable(exc: BaseException) -> bool:
    """429, 5xx and network errors are worth another attempt; other refusals are final."""
    from requests import RequestException
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        return bool(exc.status == 429 or exc.status >= 500)
    return isinstance(exc, RequestException)


def _describe_failure(result: SendResult, exc: Exception) -> None:
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        result.error_code = str(exc.code or exc.status)
        result.error_message = str(exc.msg)[:500]
    else:
        result.error_code, result.error_message = "network", str(exc)[:500]


# What Twilio may answer `messages.create` with (anything else is taken as queued).
_TWILIO_STATUSES = frozenset(
    {
        OutboundStatus.QUEUED,
        OutboundStatus.SENDING,
        OutboundStatus.SENT,
        OutboundStatus.DELIVERED,
        OutboundStatus.READ,
        OutboundStatus.UNDELIVERED,
        OutboundStatus.FAILED,
    }
)


def _status(value: Any) -> str:
    status = str(getattr(value, "value", value) or OutboundStatus.QUEUED)
    return OutboundStatus(status) if status in _TWILIO_STATUSES else OutboundStatus.QUEUED


class ChatSender:
    """The `/chat` channel: replies go back in the HTTP response; rows are only recorded."""

    name = "chat"

    def send(self, *, to: str, from_: str, body: str, **extra: Any) -> SendResult:
        """Nothing to deliver: the row is stored as `recorded` (with its image, if any)."""
        return SendResult(
            status=OutboundStatus.RECORDED, content_used=bool(extra.get("content_sid"))
        )
