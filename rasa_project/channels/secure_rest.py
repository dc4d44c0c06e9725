"""Rasa's REST channel behind a shared bearer token (the orchestrator is its only client).

Rasa's `--auth-token` protects the HTTP API (trackers, models) but not input channels: with
the plain `rest` channel anyone who reaches Rasa could speak as any sender id, e.g. as a
shop's staff number. `TokenRestInput` is the same channel (same URL,
`/webhooks/rest/webhook`) that refuses a request without `Authorization: Bearer <token>`.
With no token configured it refuses everything: the channel fails closed.

credentials.yml:

    channels.secure_rest.TokenRestInput:
      token: ${RASA_TOKEN}
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


def token_ok(expected: str, authorization: str | None) -> bool:
    """True when `authorization` is `Bearer <expected>` (constant-time; empty never passes)."""
    if not expected:
        return False
    presented = (authorization or "").strip()
    if not presented.startswith("Bearer "):
        return False
    return hmac.compare_digest(presented[len("Bearer ") :].strip().encode(), expected.encode())


class TokenRestInput(RestInput):
    """The REST channel, answering only requests that carry the shared token."""

    @classmethod
    def name(cls) -> str:
        """Same name, hence same URL, as Rasa's own REST channel."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from its credentials.yml section (`token`)."""
        token = str((credentials or {}).get("token") or "")
        if not token:
            logger.error("TokenRestInput has no token: every request will be refused")
        return cls(token)

    def __init__(self, token: str = "") -> None:
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST blueprint with a token check in front of every route but health."""
        blueprint = super().blueprint(on_new_message)

        @blueprint.on_request
        async def check_token(request: Request) -> HTTPResponse | None:
            if request.method == "GET" and request.path.rstrip("/").endswith("/rest"):
                return None  # the channel's health check says nothing
            if token_ok(self.token, request.headers.get("Authorization")):
                return None
            return response.json({"error": "unauthorized"}, status=401)

        return blueprint
