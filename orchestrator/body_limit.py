"""Request body limits, enforced in front of everything that parses a body.

`BodyLimitMiddleware` is plain ASGI so that it runs before Starlette or FastAPI read a byte:
a declared `Content-Length` over the limit is answered 413 at once, without reading the body
(an unauthenticated 30 MB upload to a webhook costs nothing), and the bytes that actually
arrive are counted too, so a chunked upload without a length is cut off as soon as it passes
the limit. Each path prefix may have its own limit (the Twilio webhooks get a small one).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DETAIL = "Request body too large"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the streamed body passes the limit.

    An `HTTPException` on purpose: FastAPI re-raises those from its body parsing (any other
    error there becomes a 400) and Starlette's exception middleware answers it with a 413.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, DETAIL, headers={"Connection": "close"})
        self.limit = limit


class BodyLimitMiddleware:
    """Refuse request bodies over `default` bytes, or over the limit of the longest matching
    path prefix in `limits` (e.g. `{"/twilio/": 65536}`), with 413."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int] | None = None):
        self.app = app
        self.default = default
        # Longest prefix first, so "/twilio/" wins over "/".
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        """The body limit of `path` in bytes."""
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Normally the exception middleware has answered already; this covers code that
            # read the body outside it. Once a response has started it cannot be replaced.
            if started:
                raise
            await _refuse(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server rejects a malformed length itself
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    # `Connection: close`: the unread body must not be taken for the next request.
    response = JSONResponse({"detail": DETAIL}, status_code=413, headers={"Connection": "close"})
    await response(scope, receive, send)
