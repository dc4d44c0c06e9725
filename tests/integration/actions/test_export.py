"""`action_exportar_datos` on both backends: staff get a CSV and a working signed link."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from actions.export import ASK, REFUSED, ActionExportarDatos, prune_expired
from actions.runtime import Runtime, set_runtime
from actions.settings import ActionsSettings
from db.exports import ExpiredLinkError, verify_download
from db.models import Order, OrderItem, Shop
from orchestrator.api.deps import get_settings_dep
from orchestrator.routers.downloads import router
from orchestrator.settings import Settings
from tests.factories import make_client, make_product, make_shop

STAFF = "+573001112233"
SECRET = "action-export-secret-123"


@pytest.fixture
def runtime(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[Runtime]:
    """Point the actions at the test database and a temporary export folder."""
    settings = ActionsSettings(
        database_url=db_url,
        export_dir=tmp_path / "exports",
        secret_key=SECRET,
        public_base_url="https://tienda.example.com/",
        export_link_ttl_s=1800,
    )
    rt = Runtime(settings, engine, session_factory)
    set_runtime(rt)
    yield rt
    set_runtime(None)


@pytest.fixture
def shop(session: Session, runtime: Runtime) -> Shop:
    shop = make_shop(session, slug="tienda", staff_phones=[STAFF])
    other = make_shop(session)
    arepa = make_product(session, shop, sku="ARE-1", name="Arepa de maíz", price=3500)
    make_product(session, other, sku="OTR-1", name="Producto ajeno")
    ana = make_client(session, shop, cedula="1020304050", name="Ana Muñoz")
    order = Order(
        shop_id=shop.id,
        client_id=ana.id,
        user_id="+573104567890",
        state="cerrada",
        total=7000,
        created_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
    )
    session.add(order)
    session.flush()
    session.add(
        OrderItem(
            shop_id=shop.id, order_id=order.id, product_id=arepa.id, quantity=2, unit_price=3500
        )
    )
    session.commit()
    return shop


def ask(phone: str, text: str, kind: str | None = None) -> dict[str, Any]:
    """Run the action for one message; return its single dispatched message."""
    entities = [{"entity": "tipo_exportacion", "value": kind}] if kind else []
    tracker = Tracker(
        sender_id=f"tienda:{phone}",
        slots={},
        latest_message={
            "text": text,
            "intent": {"name": "exportar_datos", "confidence": 1.0},
            "entities": entities,
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionExportarDatos().run(dispatcher, tracker, {})) == []
    [message] = dispatcher.messages
    json.dumps(message)  # what the action server sends must be plain JSON
    assert message["custom"]["action"] == "action_exportar_datos"
    return {"text": message["text"], "facts": message["custom"]["facts"]}


def token_of(link: str) -> str:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://tienda.example.com/exports/download"
    )
    return parse_qs(parts.query)["token"][0]


def test_staff_export_writes_the_csv_and_the_link_serves_it(shop: Shop, runtime: Runtime) -> None:
    reply = ask(STAFF, "exporta las ventas", kind="ventas")
    facts = reply["facts"]
    assert facts["kind"] == "ventas" and facts["rows"] == 1
    assert facts["link"] in reply["text"] and "30 minutos" in reply["text"]
    claim = verify_download(SECRET, token_of(facts["link"]))
    assert claim.shop_id == shop.id and claim.kind == "ventas"
    assert claim.expires_at == datetime.fromisoformat(facts["expires_at"])
    remaining = claim.expires_at - datetime.now(UTC)
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    path = runtime.settings.export_dir / str(shop.id) / claim.filename
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeffpedido,fecha,estado,cliente_cedula,cliente_nombre,sku,")
    assert text.splitlines()[1].endswith(
        ",2026-11-20 12:00:00,cerrada,1020304050,Ana Muñoz,ARE-1,Arepa de maíz,2,3500,7000,7000"
    )
    with pytest.raises(ExpiredLinkError):
        verify_download(SECRET, token_of(facts["link"]), now=claim.expires_at)

    app = FastAPI()
    app.include_router(router)
    served = Settings(_env_file=None, secret_key=SECRET, export_dir=runtime.settings.export_dir)  # type: ignore[call-arg]
    app.dependency_overrides[get_settings_dep] = lambda: served
    response = TestClient(app).get("/exports/download?" + urlsplit(facts["link"]).query)
    assert response.status_code == 200 and response.content == path.read_bytes()
    assert "Muñoz".encode() in response.content


@pytest.mark.parametrize(
    ("kind", "text", "expected", "header"),
    [
        ("productos", "exporta los productos", "inventario", "sku,nombre,descripcion"),
        ("Inventario", "el inventario", "inventario", "sku,nombre,descripcion"),
        ("chats", "pásame los chats", "conversaciones", "fecha,usuario,canal"),
        ("pedidos", "los pedidos", "ventas", "pedido,fecha"),
        (None, "necesito el archivo de clientes", "clientes", "cedula,nombre,telefono"),
        (None, "exporta las conversaciones!", "conversaciones", "fecha,usuario,canal"),
    ],
)
def test_kind_synonyms(
    shop: Shop, runtime: Runtime, kind: str | None, text: str, expected: str, header: str
) -> None:
    facts = ask(STAFF, text, kind=kind)["facts"]
    assert facts["kind"] == expected
    claim = verify_download(SECRET, token_of(facts["link"]))
    path = runtime.settings.export_dir / str(shop.id) / claim.filename
    assert path.read_text(encoding="utf-8").startswith("\ufeff" + header)
    if expected == "inventario":
        assert facts["rows"] == 1 and "Producto ajeno" not in path.read_text(encoding="utf-8")


def test_no_kind_asks_which(shop: Shop, runtime: Runtime) -> None:
    reply = ask(STAFF, "quiero exportar datos")
    assert reply["text"] == ASK
    assert not runtime.settings.export_dir.exists()


def test_non_staff_is_refused_and_logged(shop: Shop, runtime: Runtime) -> None:
    with capture_logs() as logs:
        reply = ask("+573104567890", "exporta los clientes", kind="clientes")
    assert reply == {"text": REFUSED, "facts": {"refused": True}}
    assert not runtime.settings.export_dir.exists()
    [refusal] = [e for e in logs if e["event"] == "export_refused"]
    assert refusal["shop"] == "tienda" and refusal["requester"] == "+573104567890"


def test_prune_expired_removes_only_unreachable_files(tmp_path: Path) -> None:
    old, fresh = tmp_path / "old.csv", tmp_path / "fresh.csv"
    old.write_text("x")
    fresh.write_text("y")
    stale = time.time() - 3600 - 120
    os.utime(old, (stale, stale))
    assert prune_expired(tmp_path, 3600) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["fresh.csv"]
