"""A fake Twilio REST API (Messages.json) and helpers to sign webhooks like Twilio does."""

from __future__ import annotations

import base64
import itertools
import re
import secrets
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

from tests.fakes.server import FakeServer, Reply, Request, json_reply

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


def message_sid() -> str:
    """A fresh Twilio-shaped message SID."""
    return "SM" + secrets.token_hex(16)


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The `X-Twilio-Signature` Twilio would send for `params` posted to `url`."""
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class Sent:
    """A message the fake accepted."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    media_url: str | None = None
    content_sid: str | None = None
    content_variables: str | None = None


class FakeTwilio(FakeServer):
    """Accepts `POST /2010-04-01/Accounts/{sid}/Messages.json` like Twilio.

    `fail_next(status, times)` makes the next calls answer an error (429, 500, 400...);
    `refuse_content` answers 400 (error 21655, like an unapproved template) to messages
    sent with a `ContentSid`. A message needs a Body, a MediaUrl or a ContentSid.
    Templates (`ContentSid` + `ContentVariables`) are recorded; `close_window(number)` makes
    free text to that number fail like WhatsApp outside the 24-hour window (error 63016),
    while a template still goes through.
    """

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sent: list[Sent] = []
        self._failures: list[int] = []
        self._n = itertools.count(1)
        self.refuse_content = False
        self.closed_windows: set[str] = set()
        self.rejected: list[dict[str, str]] = []

    def close_window(self, number: str) -> None:
        """Free text to `number` is refused from now on (error 63016); templates pass."""
        self.closed_windows.add(number.removeprefix("whatsapp:"))

    def templates_to(self, to: str) -> list[Sent]:
        """Template messages (with a ContentSid) sent to `to`, in order."""
        bare = to.removeprefix("whatsapp:")
        return [s for s in self.sent if s.content_sid and s.to.removeprefix("whatsapp:") == bare]

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer `status` to the next `times` message requests."""
        self._failures.extend([status] * times)

    def bodies_to(self, to: str) -> list[str]:
        """Bodies sent to `to` (with or without the `whatsapp:` prefix), in order."""
        return [
            s.body
            for s in self.sent
            if s.to.removeprefix("whatsapp:") == to.removeprefix("whatsapp:")
        ]

    def handle(self, req: Request) -> Reply:
        match = _MESSAGES.match(req.path)
        if req.method != "POST" or not match:
            return json_reply(404, {"code": 20404, "message": "not found", "status": 404})
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if match.group(1) != self.account_sid or req.headers.get("authorization") != (
            f"Basic {expected}"
        ):
            return json_reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if self._failures:
            status = self._failures.pop(0)
            code = 20429 if status == 429 else 20500 if status >= 500 else 21211
            return json_reply(
                status,
                {
                    "code": code,
                    "message": f"fake error {status}",
                    "more_info": "https://www.twilio.com/docs/errors",
                    "status": status,
                },
            )
        form = req.form
        content_sid = form.get("ContentSid")
        if content_sid and self.refuse_content:
            return json_reply(
                400, {"code": 21655, "message": "ContentSid is invalid", "status": 400}
            )
        if not (form.get("Body") or form.get("MediaUrl") or content_sid):
            return json_reply(
                400,
                {
                    "code": 21619,
                    "message": "A text message body or media urls must be specified.",
                    "more_info": "https://www.twilio.com/docs/errors/21619",
                    "status": 400,
                },
            )
        to_bare = form.get("To", "").removeprefix("whatsapp:")
        if not content_sid and to_bare in self.closed_windows:
            self.rejected.append(dict(form))
            return json_reply(
                400,
                {
                    "code": 63016,
                    "message": (
                        "Failed to send freeform message because you are outside the allowed "
                        "window. If you are using WhatsApp, please use a Message Template."
                    ),
                    "more_info": "https://www.twilio.com/docs/errors/63016",
                    "status": 400,
                },
            )
        sid = message_sid()
        self.sent.append(
            Sent(
                sid,
                form.get("To", ""),
                form.get("From", ""),
                form.get("Body", ""),
                form.get("StatusCallback"),
                form.get("MediaUrl"),
                form.get("ContentSid"),
                form.get("ContentVariables"),
            )
        )
        return json_reply(
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "num_media": "1" if form.get("MediaUrl") else "0",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "price": None,
                "error_code": None,
                "error_message": None,
                "date_created": "Sun, 22 Nov 2026 03:00:00 +0000",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )
