"""Who is talking to which shop: the Rasa sender id and the shop row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.identity import is_staff_number, verified_phone
from db.models import Shop


class UnknownShopError(LookupError):
    """The sender id names a shop that does not exist."""


@dataclass(frozen=True)
class Sender:
    """A parsed Rasa sender id `<shop_slug>:<user_id>`.

    `user_id` is a verified WhatsApp number in E.164 (`+573001234567`) or a local-channel
    id (`chat:ana`); `phone` is set only for the former (see `db.identity`).
    """

    shop_slug: str
    user_id: str

    @property
    def phone(self) -> str | None:
        """The verified phone number, None for local channels."""
        return verified_phone(self.user_id)


def parse_sender(sender_id: str, default_shop: str = "demo") -> Sender:
    """Split `"demo:+573001234567"` / `"demo:chat:ana"` into shop slug and user id.

    A sender id without a shop part (e.g. from `rasa shell`) belongs to `default_shop` and
    is a local user: it can never carry a phone identity.
    """
    shop, sep, user = (sender_id or "").partition(":")
    if not sep:
        return Sender(default_shop, f"cli:{shop or 'anon'}")
    return Sender(shop or default_shop, user)


def load_shop(session: Session, slug: str) -> Shop:
    """The shop with `slug`, or `UnknownShopError`."""
    shop = session.scalars(select(Shop).where(Shop.slug == slug)).one_or_none()
    if shop is None:
        raise UnknownShopError(slug)
    return shop


def is_staff(shop: Shop, user_id: str | None) -> bool:
    """True when `user_id` is a verified phone listed among the shop's staff numbers."""
    return is_staff_number(shop.staff_phones, user_id, shop.country)
