"""Item 2: Rasa and the action server are internal: loopback only, no CORS, authenticated.

Requests an attacker would send straight to Rasa's and the action server's ports, without
the internal tokens, against the session's real Rasa and action server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.rasa.conftest import RasaServer
from tests.security.helpers import STAFF_PHONE, listening_addresses
from tests.stack import ACTION_SERVER_TOKEN

pytestmark = pytest.mark.e2e

EXPORT_CALL = {
    "next_action": "action_exportar_datos",
    "sender_id": f"demo:{STAFF_PHONE}",
    "version": "3.6.21",
    "tracker": {
        "sender_id": f"demo:{STAFF_PHONE}",
        "slots": {},
        "latest_message": {"text": "exporta los clientes", "intent": {"name": "exportar_datos"}},
        "events": [],
        "active_loop": {},
    },
    "domain": {},
}


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def test_rasa_rest_channel_refuses_a_sender_without_the_token(rasa_server: RasaServer) -> None:
    url = f"{rasa_server.url}/webhooks/rest/webhook"
    body = {"sender": f"demo:{STAFF_PHONE}", "message": "exporta los clientes"}
    assert httpx.post(url, json=body, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.post(url, json=body, headers=wrong, timeout=30).status_code == 401


def test_rasa_http_api_needs_the_token(rasa_server: RasaServer) -> None:
    tracker = f"{rasa_server.url}/conversations/demo:{STAFF_PHONE}/tracker"
    assert httpx.get(tracker, timeout=30).status_code == 401
    assert httpx.get(f"{rasa_server.url}/status", timeout=30).status_code == 401
    ok = httpx.get(f"{rasa_server.url}/status", params={"token": rasa_server.token}, timeout=30)
    assert ok.status_code == 200


def test_rasa_sends_no_wildcard_cors(rasa_server: RasaServer) -> None:
    resp = httpx.options(
        f"{rasa_server.url}/webhooks/rest/webhook",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert resp.headers.get("access-control-allow-origin") not in ("*", "https://evil.example")


def test_action_server_refuses_an_action_call_without_the_token(action_server: str) -> None:
    resp = httpx.post(f"{action_server}/webhook", json=EXPORT_CALL, timeout=30)
    assert resp.status_code == 401 and "link" not in resp.text
    wrong = {"Authorization": "Bearer wrong"}
    resp = httpx.post(f"{action_server}/webhook", json=EXPORT_CALL, headers=wrong, timeout=30)
    assert resp.status_code == 401
    assert httpx.get(f"{action_server}/actions", timeout=30).status_code == 401
    assert httpx.get(f"{action_server}/health", timeout=30).status_code == 200


def test_action_server_answers_rasa_with_the_token(action_server: str) -> None:
    """The control: with the token the same call runs (and, as a non-staff id, is refused)."""
    call = {**EXPORT_CALL, "sender_id": "demo:chat:intruso"}
    call["tracker"] = {**EXPORT_CALL["tracker"], "sender_id": "demo:chat:intruso"}  # type: ignore[dict-item]
    headers = {"Authorization": f"Bearer {ACTION_SERVER_TOKEN}"}
    resp = httpx.post(f"{action_server}/webhook", json=call, headers=headers, timeout=60)
    assert resp.status_code == 200, resp.text
    assert "/exports/download" not in resp.text


def test_rasa_and_action_server_listen_on_loopback_only(
    rasa_server: RasaServer, action_server: str
) -> None:
    for url in (rasa_server.url, action_server):
        addresses = listening_addresses(_port(url))
        assert addresses, f"nothing listening for {url}"
        assert addresses <= {"127.0.0.1", "::1"}, (url, addresses)
