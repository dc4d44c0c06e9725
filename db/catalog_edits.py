"""Edits of a product's stock, price and active flag, with audit rows and low-stock alerts.

`edit_product` is what the dashboard and the admin API call: each changed field becomes a
`ProductChange` (who, when, old → new), `updated_at` moves so the catalog search re-syncs
(`actions.search.service.catalog_stamp`), and a product whose stock falls to or under the
shop's `low_stock_threshold` alerts the staff (`low_stock_alerts`, through `notify`). The
sale's stock decrement (`actions.services.orders.close_order`) calls `low_stock_alerts` too.
The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from db.identity import to_e164
from db.models import Product, ProductChange, Shop, utcnow
from db.notifications import NotifyResult, notify

EDITABLE = ("stock", "price", "active")


@dataclass
class ProductEdit:
    """What `edit_product` changed and the staff alerts it wrote."""

    product: Product
    changes: list[ProductChange] = field(default_factory=list)
    alerts: list[NotifyResult] = field(default_factory=list)


def is_low(shop: Shop, active: bool, stock: int) -> bool:
    """True when an active product's stock is at or under the shop's threshold."""
    return active and stock <= shop.low_stock_threshold


def low_stock_alerts(
    session: Session, shop: Shop, product: Product, *, was_low: bool, cause: str
) -> list[NotifyResult]:
    """Alert every staff phone when `product` just became low on stock (`cause` dedupes)."""
    if was_low or not is_low(shop, product.active, product.stock):
        return []
    text = (
        f"⚠️ Stock bajo en {shop.name}: {product.name} (SKU {product.sku}) quedó con "
        f"{product.stock} unidades (alerta en {shop.low_stock_threshold} o menos)."
    )
    results = []
    for raw in shop.staff_phones or []:
        phone = to_e164(raw, shop.country)
        if phone is None:
            continue
        results.append(
            notify(
                session,
                shop,
                phone,
                "low_stock",
                text,
                {"1": product.name, "2": product.stock},
                dedupe_key=f"low_stock:{cause}:{product.id}:{phone}",
            )
        )
    return results


def edit_product(
    session: Session,
    shop: Shop,
    product: Product,
    *,
    actor: str,
    stock: int | None = None,
    price: int | None = None,
    active: bool | None = None,
) -> ProductEdit:
    """Apply the given fields to `product` (a row of `shop`, locked by the caller)."""
    was_low = is_low(shop, product.active, product.stock)
    edit = ProductEdit(product)
    now = utcnow()
    for name, value in (("stock", stock), ("price", price), ("active", active)):
        old = getattr(product, name)
        if value is None or value == old:
            continue
        setattr(product, name, value)
        edit.changes.append(
            ProductChange(
                shop_id=shop.id,
                product_id=product.id,
                field=name,
                old_value=str(old).lower() if isinstance(old, bool) else str(old),
                new_value=str(value).lower() if isinstance(value, bool) else str(value),
                actor=actor[:120],
                created_at=now,
            )
        )
    if not edit.changes:
        return edit
    product.updated_at = now
    session.add_all(edit.changes)
    session.flush()
    edit.alerts = low_stock_alerts(
        session, shop, product, was_low=was_low, cause=f"change:{edit.changes[-1].id}"
    )
    return edit
