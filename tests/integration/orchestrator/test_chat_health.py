"""`POST /chat`, the web page, `GET /health` and `GET /metrics`."""

from __future__ import annotations

import importlib.util
import io
import socket
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from db.models import Shop
from orchestrator.app import create_app
from orchestrator.routers.chat import idempotency_key
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio
from tests.integration.orchestrator.conftest import (
    AppFactory,
    inbound,
    logs,
    outbound,
    serve,
    settings_for,
)


def test_chat_runs_the_pipeline_and_is_idempotent(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    session_factory: sessionmaker[Session],
) -> None:
    with app_client() as client:
        body = {
            "shop": "tienda",
            "user": "+573001112222",
            "message": "¡Hola!",
            "message_id": "cli-1",
        }
        first = client.post("/chat", json=body)
        assert first.status_code == 200, first.text
        data = first.json()
        assert data["replies"] == ["¡Hola! ¿En qué te puedo ayudar?"]
        assert data["intent"] == "consultar_inventario" and data["success"]
        again = client.post("/chat", json=body).json()
        assert again["turn_id"] == data["turn_id"]
        # A local channel never carries a phone identity: the id is namespaced.
        assert fake_rasa.messages == [("tienda:chat:+573001112222", "¡Hola!")]
        other = client.post("/chat", json={**body, "message_id": None, "message": "otra"})
        assert other.json()["turn_id"] != data["turn_id"]
    [row, _] = inbound(session_factory)
    key = idempotency_key("tienda", "chat:+573001112222", "cli-1")  # scoped by shop + user
    assert (row.provider, row.provider_message_id, row.status) == ("chat", key, "done")
    assert row.from_number == "chat:+573001112222"
    assert [o.status for o in outbound(session_factory)] == ["recorded", "recorded"]
    assert [lg.channel for lg in logs(session_factory)] == ["chat", "chat"]


def test_chat_rejects_bad_input(app_client: AppFactory) -> None:
    with app_client() as client:
        assert (
            client.post("/chat", json={"shop": "nope", "user": "u1", "message": "hola"}).status_code
            == 404
        )
        for bad in (
            {"user": "u1", "message": ""},
            {"user": "a:b", "message": "hola"},
            {"message": "hola"},
            {"user": "u1", "message": "x" * 5000},
        ):
            assert client.post("/chat", json={"shop": "tienda", **bad}).status_code == 422


def test_web_chat_page(app_client: AppFactory) -> None:
    with app_client() as client:
        resp = client.get("/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert 'fetch("/chat"' in resp.text and "<form" in resp.text


def test_health_reports_each_dependency(app_client: AppFactory) -> None:
    with app_client() as client:
        ok = client.get("/health")
    assert ok.status_code == 200
    checks = ok.json()["checks"]
    assert checks["database"]["ok"] and checks["rasa"]["ok"] and checks["action_server"]["ok"]
    assert checks["llm"]["provider"] == "none" and checks["sender"]["kind"] == "twilio"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with app_client(rasa_url=dead, twilio_url=None) as client:
        bad = client.get("/health")
    assert bad.status_code == 503 and bad.json()["status"] == "degraded"
    assert bad.json()["checks"]["rasa"]["ok"] is False
    assert bad.json()["checks"]["sender"]["kind"] == "outbox"


def test_metrics_count_turns_errors_and_stage_latencies(app_client: AppFactory) -> None:
    with app_client() as client:
        client.post("/chat", json={"shop": "tienda", "user": "u1", "message": "hola"})
        text = client.get("/metrics").text
    assert 'tendero_turns_total{channel="chat",success="true"} 1' in text
    assert 'tendero_stage_seconds_count{stage="rasa"} 1' in text
    assert 'tendero_stage_seconds_bucket{le="+Inf",stage="rasa"} 1' in text  # labels sorted
    assert "# TYPE tendero_stage_seconds histogram" in text
    assert "tendero_worker_in_flight 0" in text


def _chat_script() -> Any:
    path = Path(__file__).resolve().parents[3] / "scripts" / "chat.py"
    spec = importlib.util.spec_from_file_location("tendero_chat_cli", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_terminal_chat_client(
    db_url: str, fake_rasa: FakeRasa, fake_twilio: FakeTwilio, shop: Shop
) -> None:
    chat_cli = _chat_script()
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=False)
    inputs = iter(["¡Hola!", "", "/nuevo", "/salir"])
    app = create_app(settings_for(db_url, fake_rasa.url, fake_twilio.url))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        code = chat_cli.repl(http, "tienda", "+573001231234", console, lambda _: next(inputs))
        bad = chat_cli.repl(http, "nope", "+5730012", console, _answers("hola", "/salir"))
        one = chat_cli.main(["--url", url, "--shop", "tienda", "--message", "hola"])
    with httpx.Client(base_url=url) as http:  # the server is gone now
        down = chat_cli.repl(http, "tienda", "u", console, _answers("hola", "/salir"))
    out = buffer.getvalue()
    assert code == bad == one == down == 0
    assert "¡Hola! ¿En qué te puedo ayudar?" in out and "intención: consultar_inventario" in out
    assert "Nueva conversación como terminal-" in out and "Error 404" in out
    assert "No pude contactar al orquestador" in out


def _answers(*items: str) -> Any:
    it = iter(items)
    return lambda _prompt: next(it)


def test_admin_and_download_routers_are_mounted(app_client: AppFactory) -> None:
    with app_client() as client:
        assert client.get("/admin/dashboard").status_code == 401
        bearer = {"Authorization": "Bearer not-a-shop-token"}
        assert client.get("/admin/conversations", headers=bearer).status_code == 401
        assert client.get("/exports/download", params={"token": "forged"}).status_code == 403
