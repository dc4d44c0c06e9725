"""Load the demo shop (`db/demo/*.json`) into an empty database.

Past orders are shifted so the newest is two days old whenever the seed runs, so the
dashboard shows recent activity.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.auth import generate_token, hash_token
from db.catalog_io import upsert_products, validate_records
from db.models import Client, Order, OrderItem, OrderState, Product, Shop

DEMO_DIR = Path(__file__).resolve().parent / "demo"


@dataclass
class SeedResult:
    """What `load_demo` did. `admin_token` is only known when the seed created the shop."""

    shop: Shop
    created: bool
    admin_token: str | None
    products: int = 0
    clients: int = 0
    orders: int = 0


def _read(name: str, folder: Path = DEMO_DIR) -> Any:
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def load_demo(session: Session, *, admin_token: str | None = None) -> SeedResult:
    """Create the demo shop with its catalog, clients and past orders, unless it exists.

    The admin token is `admin_token`, else env `ADMIN_TOKEN`, else a new random one.
    """
    return load_shop_dir(session, DEMO_DIR, admin_token=admin_token)


def load_shop_dir(session: Session, folder: Path, *, admin_token: str | None = None) -> SeedResult:
    """Create a shop from a folder shaped like `db/demo/` unless its slug exists.

    `shop.json` and `catalog.json` are required; `clients.json` and `orders.json` are
    optional.
    """
    data = _read("shop.json", folder)
    existing = session.scalars(select(Shop).where(Shop.slug == data["slug"])).one_or_none()
    if existing is not None:
        return SeedResult(existing, created=False, admin_token=None)

    token = admin_token or os.environ.get("ADMIN_TOKEN") or generate_token()
    shop = Shop(
        slug=data["slug"],
        name=data["nombre"],
        whatsapp_number=data["whatsapp_number"],
        persona=data["persona"],
        staff_phones=data["staff_phones"],
        info=data["info"],
        country=data.get("pais", "CO"),
        timezone=data.get("zona_horaria", "America/Bogota"),
        admin_token_hash=hash_token(token),
    )
    session.add(shop)
    session.flush()

    rows, errors = validate_records(_read("catalog.json", folder))
    if errors:
        raise ValueError(f"catalog of {folder} is invalid: {errors[:3]}")
    upsert_products(session, shop.id, rows)
    products = {
        p.sku: p for p in session.scalars(select(Product).where(Product.shop_id == shop.id))
    }

    clients: dict[str, Client] = {}
    for c in _read("clients.json", folder):
        client = Client(
            shop_id=shop.id,
            cedula=c["cedula"],
            name=c["nombre"],
            phone=c["telefono"],
            email=c.get("email"),
            address=c["direccion"],
            barrio=c["barrio"],
            owner_id=c["telefono"],  # demo clients wrote from the number they typed
        )
        session.add(client)
        clients[c["cedula"]] = client
    session.flush()

    orders = _read("orders.json", folder)
    if not orders:
        session.flush()
        return SeedResult(shop, True, token, len(products), len(clients), 0)
    newest = max(datetime.fromisoformat(o["fecha"]) for o in orders)
    shift = datetime.now(UTC) - timedelta(days=2) - newest
    for o in orders:
        when = datetime.fromisoformat(o["fecha"]) + shift
        client = clients[o["cedula"]]
        order = Order(
            shop_id=shop.id,
            client_id=client.id,
            user_id=client.phone,
            state=o["estado"],
            created_at=when,
            updated_at=when,
        )
        total = 0
        for item in o["items"]:
            product = products[item["sku"]]
            order.items.append(
                OrderItem(
                    shop_id=shop.id,
                    product_id=product.id,
                    quantity=item["cantidad"],
                    unit_price=product.price,
                )
            )
            total += item["cantidad"] * product.price
        order.total = total
        if o["estado"] == OrderState.CERRADA:
            order.closed_at = when
        else:
            order.cancelled_at = when
        session.add(order)
    session.flush()
    return SeedResult(shop, True, token, len(products), len(clients), len(orders))
