"""TwilioSender's retry policy: 429/5xx/network errors retried `retries` times in total with
doubling backoff, other refusals not retried; failures come back as a SendResult."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from requests import ConnectionError as RequestsConnectionError
from twilio.base.exceptions import TwilioRestException

from orchestrator.senders import TwilioSender


class FakeMessages:
    def __init__(self, *outcomes: BaseException | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def create(self, **kwargs: Any) -> Any:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return SimpleNamespace(sid=outcome, status="queued")


def _sender(monkeypatch: pytest.MonkeyPatch, *outcomes: BaseException | str, retries: int = 4):
    sleeps: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", sleeps.append)
    sender = TwilioSender("AC" + "0" * 32, "token", retries=retries, backoff_s=0.5)
    messages = FakeMessages(*outcomes)
    sender.client = SimpleNamespace(messages=messages)
    return sender, messages, sleeps


def _twilio(status: int, code: int | None = None) -> TwilioRestException:
    return TwilioRestException(status, "https://api.twilio.com/x", msg=f"HTTP {status}", code=code)


def test_retryable_failures_back_off_doubling_then_succeed(monkeypatch: pytest.MonkeyPatch) -> None:
    sender, messages, sleeps = _sender(
        monkeypatch, _twilio(429), _twilio(503), RequestsConnectionError("reset"), "SM1"
    )
    result = sender.send(to="+573001112222", from_="+14155238886", body="hola")
    assert (result.status, result.sid, result.attempts) == ("queued", "SM1", 4)
    assert messages.calls == 4 and sleeps == [0.5, 1.0, 2.0]


def test_all_attempts_failing_returns_the_last_error(monkeypatch: pytest.MonkeyPatch) -> None:
    sender, messages, sleeps = _sender(monkeypatch, *[_twilio(500, 20500)] * 3, retries=3)
    result = sender.send(to="+573001112222", from_="+14155238886", body="hola")
    assert (result.status, result.error_code, result.attempts) == ("failed", "20500", 3)
    assert messages.calls == 3 and sleeps == [0.5, 1.0]


def test_a_permanent_refusal_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    sender, messages, sleeps = _sender(monkeypatch, _twilio(400, 21211))
    result = sender.send(to="+573001112222", from_="+14155238886", body="hola")
    assert (result.status, result.error_code, result.attempts) == ("failed", "21211", 1)
    assert result.error_message == "HTTP 400"
    assert messages.calls == 1 and sleeps == []


def test_network_errors_are_described(monkeypatch: pytest.MonkeyPatch) -> None:
    sender, _, _ = _sender(monkeypatch, RequestsConnectionError("reset"), retries=1)
    result = sender.send(to="+573001112222", from_="+14155238886", body="hola")
    assert (result.status, result.error_code, result.error_message) == (
        "failed",
        "network",
        "reset",
    )
