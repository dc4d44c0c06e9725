"""Creating and changing shops from a validated `ShopConfig` (the caller commits).

A slug and a WhatsApp number belong to one shop each (the orchestrator finds the shop of an
inbound message by its `To` number), so both are checked before anything is written; the
unique constraints still guard against a concurrent writer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.auth import generate_token, set_shop_token
from db.models import Shop
from db.shop_config import ShopConfig


class ShopConflict(Exception):
    """The slug or the WhatsApp number is already another shop's."""


def _check_free(session: Session, config: ShopConfig, *, shop_id: int | None = None) -> None:
    query = select(Shop).where(Shop.whatsapp_number == config.whatsapp_number)
    if shop_id is not None:
        query = query.where(Shop.id != shop_id)
    taken = session.scalars(query).first()
    if taken is not None:
        raise ShopConflict(
            f"WhatsApp number {config.whatsapp_number} already belongs to shop {taken.slug!r}"
        )


def create_shop(session: Session, config: ShopConfig) -> tuple[Shop, str]:
    """A new shop and its admin token (the only time the token is known; its hash is kept)."""
    if session.scalars(select(Shop.id).where(Shop.slug == config.slug)).first() is not None:
        raise ShopConflict(f"a shop with slug {config.slug!r} already exists")
    _check_free(session, config)
    shop = Shop(**config.columns())
    session.add(shop)
    token = rotate_token(session, shop)
    return shop, token


def update_shop(session: Session, shop: Shop, config: ShopConfig) -> list[str]:
    """Apply `config` to `shop`; the names of the columns that changed."""
    if config.slug != shop.slug:
        raise ShopConflict(f"the slug cannot change ({shop.slug!r} → {config.slug!r})")
    _check_free(session, config, shop_id=shop.id)
    changed = []
    for column, value in config.columns().items():
        if getattr(shop, column) != value:
            setattr(shop, column, value)
            changed.append(column)
    session.flush()
    return changed


def rotate_token(session: Session, shop: Shop) -> str:
    """Give `shop` a new admin token; the old one stops working. Returns the new token."""
    token = generate_token()
    set_shop_token(session, shop, token)
    return token
