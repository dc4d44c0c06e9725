"""Fixtures for the sales action tests: the actions pointed at the test database, a shop
with a small catalog, and a helper that runs one action on a real `Tracker`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import Runtime, set_runtime
from actions.search import SearchSettings
from actions.settings import ActionsSettings
from db.models import Product, Shop
from tests.factories import make_product, make_shop

SHOPPER = "+573001234567"
SHOP_INFO = {
    "horario": "Lunes a sábado de 8:00 a. m. a 7:00 p. m.",
    "direccion": "Carrera 43A # 34-95, Medellín",
    "telefono": "+576044445566",
    "domicilios": {
        "descripcion": "Hacemos domicilios en el Valle de Aburrá.",
        "zonas": [{"zona": "Medellín", "costo": 6000, "tiempo": "mismo día"}],
        "gratis_desde": 150000,
    },
    "medios_de_pago": ["Nequi", "Efectivo contraentrega"],
    "nequi": "3001112233",
}


@dataclass
class SalesShop:
    """The test shop and its products by short name."""

    shop: Shop
    products: dict[str, Product] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The shop slug used in sender ids."""
        return self.shop.slug


@pytest.fixture
def sales_runtime(
    db_url: str, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[Runtime]:
    """Point the actions at the test database (model-free `chargram` catalog search)."""
    search = SearchSettings(index_dir=tmp_path / "index", backend="chargram")
    settings = ActionsSettings(database_url=db_url, search=search)
    rt = Runtime(settings, engine, session_factory)
    set_runtime(rt)
    yield rt
    set_runtime(None)


@pytest.fixture
def sales_shop(session: Session, sales_runtime: Runtime) -> SalesShop:
    """A shop with termos, licuadoras, camisetas and a sold-out product, plus another shop."""
    shop = make_shop(session, slug="tienda", name="Tienda Rosa", info=SHOP_INFO)
    other = make_shop(session, slug="otra")
    data = SalesShop(shop)
    for key, name, category, price, stock in (
        ("termo_acero", "Termo acero inoxidable 750 ml", "Cocina", 35900, 12),
        ("termo_dep", "Termo deportivo 1 litro azul", "Deportes", 29900, 3),
        ("licuadora", "Licuadora Oster 3 velocidades", "Electrodomésticos", 189900, 4),
        ("camiseta_roja", "Camiseta básica roja talla M", "Ropa", 25000, 8),
        ("camiseta_azul", "Camiseta básica azul talla M", "Ropa", 25000, 6),
        ("sarten", "Sartén antiadherente 24 cm", "Cocina", 59900, 0),
    ):
        data.products[key] = make_product(
            session, shop, name=name, category=category, price=price, stock=stock
        )
    make_product(session, other, name="Termo de otra tienda", price=1000, stock=99)
    session.commit()
    return data


@dataclass
class Reply:
    """What an action dispatched and returned."""

    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """All dispatched texts, joined."""
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def facts(self) -> dict[str, Any]:
        """The facts of the last message with a payload."""
        payloads = [m["custom"] for m in self.messages if m.get("custom")]
        return payloads[-1]["facts"] if payloads else {}

    @property
    def slots(self) -> dict[str, Any]:
        """The slots set by the returned events."""
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}


def make_tracker(
    text: str,
    *,
    intent: str = "",
    entities: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    phone: str = SHOPPER,
    shop: str = "tienda",
    events: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """A real rasa-sdk `Tracker` for one user message (`metadata` as the orchestrator sends)."""
    ents = [{"entity": k, "value": v} for k, v in (entities or {}).items()]
    return Tracker(
        sender_id=f"{shop}:{phone}",
        slots=dict(slots or {}),
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": ents,
            **({"metadata": metadata} if metadata is not None else {}),
        },
        events=list(events or []),
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(action: Action, tracker: Tracker, domain: dict[str, Any] | None = None) -> Reply:
    """Run `action` like the action server does; return messages and events."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    for message in dispatcher.messages:
        custom = message.get("custom")
        assert custom and "facts" in custom and custom["action"] == action.name(), message
    return Reply(dispatcher.messages, list(events))
