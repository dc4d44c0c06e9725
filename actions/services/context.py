"""Who is talking to which shop: the Rasa sender id and the shop row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Shop


class UnknownShopError(LookupError):
    """The sender id names a shop that does not exist."""


@dataclass(frozen=True)
class Sender:
    """A parsed Rasa sender id `<shop_slug>:<phone>`."""

    shop_slug: str
    phone: str


def parse_sender(sender_id: str, default_shop: str = "demo") -> Sender:
    """Split `"demo:+573001234567"` into shop slug and phone.

    A sender id without a shop part (e.g. from `rasa shell`) belongs to `default_shop`.
    """
    shop, sep, phone = (sender_id or "").partition(":")
    if not sep:
        return Sender(default_shop, shop)
    return Sender(shop or default_shop, phone.removeprefix("whatsapp:"))


def normalize_phone(phone: str) -> str:
    """Digits of a phone number with a leading + when it had a country code."""
    phone = phone.strip().removeprefix("whatsapp:")
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if phone.startswith("+") else digits


def load_shop(session: Session, slug: str) -> Shop:
    """The shop with `slug`, or `UnknownShopError`."""
    shop = session.scalars(select(Shop).where(Shop.slug == slug)).one_or_none()
    if shop is None:
        raise UnknownShopError(slug)
    return shop


def is_staff(shop: Shop, phone: str) -> bool:
    """True when `phone` is one of the shop's staff numbers."""
    wanted = normalize_phone(phone)
    return any(normalize_phone(p) == wanted for p in (shop.staff_phones or []))
