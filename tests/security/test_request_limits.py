"""Item 8: the Twilio webhooks refuse what they cannot be (too big, not a form) before any
parsing or signature work, and nothing an attacker sends them gives a 500.

The webhooks are public and unauthenticated until the signature is checked, so the checks
that come first must be cheap: the body limit is enforced by a pure-ASGI middleware on the
declared `Content-Length` and on the bytes actually streamed (chunked uploads).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from orchestrator.app import create_app
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio, sign
from tests.integration.orchestrator.conftest import (
    PUBLIC,
    AppFactory,
    post_signed,
    serve,
    settings_for,
    whatsapp_form,
)

WEBHOOKS = ("/twilio/whatsapp", "/twilio/status")
THIRTY_MB = 30 * 1024 * 1024
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("path", WEBHOOKS)
def test_multipart_with_a_file_is_415_not_500(app_client: AppFactory, path: str) -> None:
    with app_client() as client:
        res = client.post(
            path,
            data=whatsapp_form("hola"),
            files={"MediaUrl0": ("x.php", b"<?php system($_GET['c']);", "image/jpeg")},
            headers={"X-Twilio-Signature": "forged"},
        )
    assert res.status_code == 415


@pytest.mark.parametrize("path", WEBHOOKS)
@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "multipart/form-data; boundary=x", None],
)
def test_only_urlencoded_forms_are_accepted(
    app_client: AppFactory, path: str, content_type: str | None
) -> None:
    headers = {"X-Twilio-Signature": "forged"}
    if content_type:
        headers["Content-Type"] = content_type
    with app_client() as client:
        res = client.post(path, content=b'{"Body": "hola"}', headers=headers)
        assert res.status_code == 415
        # Twilio may name the charset: the media type is what counts.
        form = whatsapp_form("hola")
        signed = client.post(
            "/twilio/whatsapp",
            data=form,
            headers={
                "X-Twilio-Signature": sign(PUBLIC + "/twilio/whatsapp", form),
                "Content-Type": f"{FORM}; charset=utf-8",
            },
        )
        assert signed.status_code == 200


def test_an_oversized_form_is_413_even_when_signed(app_client: AppFactory) -> None:
    form = whatsapp_form("hola", Padding="x" * 70_000)  # over the 64 KiB default
    with app_client() as client:
        assert post_signed(client, "/twilio/whatsapp", form).status_code == 413
        assert post_signed(client, "/twilio/whatsapp", whatsapp_form("hola")).status_code == 200


def test_the_webhook_limit_is_a_setting(app_client: AppFactory) -> None:
    form = whatsapp_form("hola")
    with app_client(twilio_max_body_bytes=100) as client:
        assert post_signed(client, "/twilio/whatsapp", form).status_code == 413


def test_json_routes_have_their_own_larger_limit(app_client: AppFactory) -> None:
    with app_client() as client:
        big = client.post(
            "/chat",
            content=b'{"user": "u1", "message": "' + b"a" * 2_000_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert big.status_code == 413


# --- a real server and a raw socket: the body is refused before it is read --------------


@pytest.fixture
def live(db_url: str, fake_rasa: FakeRasa, fake_twilio: FakeTwilio, shop: object) -> Iterator[str]:
    """The real app behind a real uvicorn, for raw-socket requests."""
    app = create_app(settings_for(db_url, fake_rasa.url, fake_twilio.url))
    with serve(app) as url:
        yield url


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _status(sock: socket.socket, timeout: float = 5.0) -> int:
    """The status code of the response, waiting at most `timeout` seconds for it."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def _head(path: str, *lines: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {FORM}", *lines]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_declared_30_mb_upload_is_refused_before_its_body_is_sent(live: str, path: str) -> None:
    with _connect(live) as sock:
        sock.sendall(_head(path, f"Content-Length: {THIRTY_MB}", "X-Twilio-Signature: x"))
        # Not one byte of the body is sent: the answer must come from the header alone.
        assert _status(sock) == 413


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_chunked_upload_is_cut_off_once_past_the_limit(live: str, path: str) -> None:
    # 16 KiB chunks, one form field each: under Starlette's own per-field and field-count
    # limits for long enough that only a byte limit can stop the upload early.
    chunk = b"4000\r\n" + b"f=" + b"x" * (0x4000 - 3) + b"&\r\n"
    sent = 0
    with _connect(live) as sock:
        sock.sendall(_head(path, "Transfer-Encoding: chunked", "X-Twilio-Signature: x"))
        deadline = time.monotonic() + 60
        try:
            while sent < THIRTY_MB and time.monotonic() < deadline:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered
                sock.sendall(chunk)
                sent += 0x4000
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection on us: it stopped reading
        assert _status(sock) == 413
    # Loopback socket buffers hold a few MB at most; the 30 MB were never read.
    assert sent < 8 * 1024 * 1024, f"{sent} bytes went in before the refusal"
