"""Browser hardening headers on every response (a pure-ASGI middleware).

Every response gets `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and
`Referrer-Policy: no-referrer`. HTML pages (the dashboard shell, the web chat) get a
Content-Security-Policy that allows scripts and styles from this origin only, plus the web
chat page's own inline `<script>` and `<style>` blocks by their SHA-256 (that page is one
static file whose inline code is the chat channel's, so it is hashed rather than moved);
any other response gets `default-src 'none'`, so a JSON or CSV body opened in a browser can
run nothing. A header a route set itself is left alone.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEB_CHAT_PAGE = Path(__file__).resolve().parent / "static" / "index.html"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def inline_hashes(html: str, tag: str) -> list[str]:
    """CSP source expressions (`'sha256-...'`) for each attribute-less inline `<tag>` block."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    ]


def html_csp(pages: Iterable[Path] = (WEB_CHAT_PAGE,)) -> str:
    """The policy of Tendero's HTML pages, allowing the inline blocks of `pages` by hash."""
    texts = [p.read_text(encoding="utf-8") for p in pages]
    scripts = " ".join(h for t in texts for h in inline_hashes(t, "script"))
    styles = " ".join(h for t in texts for h in inline_hashes(t, "style"))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {scripts}".strip(),
            f"style-src 'self' {styles}".strip(),
            # Product photos come from the catalog's `imagen` URLs (any https host).
            "img-src 'self' data: https:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response of `app`."""

    def __init__(self, app: ASGIApp, *, html_policy: str | None = None) -> None:
        self.app = app
        self.html_policy = html_policy if html_policy is not None else html_csp()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                wanted = {
                    **COMMON,
                    "Content-Security-Policy": self.html_policy if html else API_CSP,
                }
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
