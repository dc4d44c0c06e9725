"""Factories for test data. Each returns a flushed ORM object with sensible defaults."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from db.models import Client, InboundMessage, Product, Shop, utcnow

_seq = itertools.count(1)


def make_shop(session: Session, **kw: Any) -> Shop:
    """A shop with a unique slug and WhatsApp number."""
    n = next(_seq)
    shop = Shop(
        slug=kw.pop("slug", f"shop{n}"),
        name=kw.pop("name", f"Tienda {n}"),
        # +1415556…: never the orchestrator tests' fixed SHOP_NUMBER (+14155550100).
        whatsapp_number=kw.pop("whatsapp_number", f"+1415556{n:04d}"),
        persona=kw.pop("persona", "Eres un asistente amable."),
        staff_phones=kw.pop("staff_phones", ["+573001112233"]),
        info=kw.pop("info", {}),
        **kw,
    )
    session.add(shop)
    session.flush()
    return shop


def make_product(session: Session, shop: Shop, **kw: Any) -> Product:
    """An active product of `shop`."""
    n = next(_seq)
    product = Product(
        shop_id=shop.id,
        sku=kw.pop("sku", f"SKU-{n:05d}"),
        name=kw.pop("name", f"Producto {n}"),
        description=kw.pop("description", ""),
        category=kw.pop("category", "General"),
        price=kw.pop("price", 10000),
        stock=kw.pop("stock", 10),
        **kw,
    )
    session.add(product)
    session.flush()
    return product


def make_client(session: Session, shop: Shop, **kw: Any) -> Client:
    """A client of `shop` with a unique cédula, saved from its own WhatsApp number.

    `owner_id` defaults to the phone (the record was saved from that verified number).
    """
    n = next(_seq)
    phone = kw.pop("phone", f"+57300{n:07d}")
    kw.setdefault("owner_id", phone if phone.startswith("+") else None)
    client = Client(
        shop_id=shop.id,
        cedula=kw.pop("cedula", f"{10000000 + n}"),
        name=kw.pop("name", f"Cliente {n}"),
        phone=phone,
        email=kw.pop("email", None),
        address=kw.pop("address", "Calle 1 # 2-3"),
        barrio=kw.pop("barrio", "Centro"),
        **kw,
    )
    session.add(client)
    session.flush()
    return client


def make_inbound(session: Session, shop: Shop, phone: str, hours_ago: float = 0.0) -> None:
    """A processed inbound WhatsApp message from `phone` to `shop`, `hours_ago` hours ago
    (it opens `phone`'s 24-hour window, db/notifications.py)."""
    session.add(
        InboundMessage(
            shop_id=shop.id,
            provider="twilio",
            provider_message_id="SM" + uuid.uuid4().hex,
            from_number=phone,
            to_number=shop.whatsapp_number,
            body="hola",
            status="done",
            received_at=utcnow() - timedelta(hours=hours_ago),
        )
    )
    session.flush()
