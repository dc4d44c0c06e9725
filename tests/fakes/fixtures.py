"""Pytest fixtures for the fakes; import them into a conftest to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.llm import FakeLLM
from tests.fakes.media import FakeMediaAI, FakeMediaHost
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


@pytest.fixture
def fake_media_host() -> Iterator[FakeMediaHost]:
    """A fake Twilio media host (basic auth with the fake account's credentials)."""
    fake = FakeMediaHost().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_media_ai() -> Iterator[FakeMediaAI]:
    """A fake OpenAI-compatible transcription/vision and Gemini server."""
    fake = FakeMediaAI().start()
    yield fake
    fake.stop()
