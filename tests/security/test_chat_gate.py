"""Item 1 (second half): outside development the local channels are off unless a
`CHAT_TOKEN` is configured, and then only its bearer gets in."""

from __future__ import annotations

from typing import Any

PROD = {"app_env": "production", "secret_key": "s" * 40, "rasa_token": "r" * 40}
BODY = {"shop": "tienda", "user": "ana", "message": "hola"}


def test_chat_is_off_in_production_without_a_chat_token(app_client: Any) -> None:
    with app_client(**PROD) as client:
        assert client.post("/chat", json=BODY).status_code == 404
        assert client.get("/").status_code == 404


def test_chat_in_production_needs_the_configured_bearer(app_client: Any) -> None:
    with app_client(**PROD, chat_token="c" * 40) as client:
        assert client.post("/chat", json=BODY).status_code == 401
        wrong = {"Authorization": "Bearer " + "x" * 40}
        assert client.post("/chat", json=BODY, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer " + "c" * 40}
        resp = client.post("/chat", json=BODY, headers=right)
        assert resp.status_code == 200, resp.text
        assert client.get("/").status_code == 200  # the page asks for the token itself


def test_chat_text_that_cannot_be_stored_is_a_422_not_a_500(app_client: Any) -> None:
    with app_client() as client:
        for field in ("message", "user", "shop", "message_id"):
            body = {**BODY, field: "hola\ud800"}
            resp = client.post(
                "/chat",
                content=__import__("json").dumps(body),
                headers={"Content-Type": "application/json"},
            )
            assert resp.status_code == 422, (field, resp.status_code, resp.text)
