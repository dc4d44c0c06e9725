"""Pytest fixtures for the fakes; import them into a conftest to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.llm import FakeLLM
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API."""
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa server (also answers the action server's /health)."""
    fake = FakeRasa().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A fake OpenAI-compatible and Gemini server."""
    fake = FakeLLM().start()
    yield fake
    fake.stop()
