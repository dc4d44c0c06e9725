"""Client lookup by cédula: purchase history and totals, with who-may-see-what rules.

A shopper sees and changes only the record saved from their own conversation identity
(`Client.owner_id`: their verified WhatsApp number, or the same local-channel id); the
shop's verified staff numbers may look anyone up. To a shopper, "no such cédula" and "someone
else's cédula" look the same, so the bot never confirms who is a client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.services.context import is_staff
from db.models import Client, Order, Shop
from db.order_states import SOLD_STATES

log = structlog.get_logger(__name__)

CEDULA_RE = re.compile(r"^\d{6,10}$")
RECENT_ORDERS = 10
_NUMBER_RE = re.compile(r"\d[\d. ]*\d|\d")

INVALID = "invalid_cedula"
NOT_FOUND = "not_found"  # told to staff only
NOT_ALLOWED = "not_allowed"  # what a shopper hears for someone else's or an unknown cédula


@dataclass(frozen=True)
class OrderSummary:
    """One order in a client's history."""

    id: int
    created_at: datetime
    state: str
    total: int


@dataclass
class ClientLookup:
    """The answer to a lookup: the client and their history, or why not.

    Attributes:
        reason: None on success; else `invalid_cedula`, `not_found` (staff only) or
            `not_allowed`.
        orders: the most recent orders (newest first, at most `RECENT_ORDERS`).
        closed_count / total_spent: over all closed orders.
    """

    cedula: str
    reason: str | None = None
    client: Client | None = None
    as_staff: bool = False
    orders: list[OrderSummary] = field(default_factory=list)
    order_count: int = 0
    closed_count: int = 0
    total_spent: int = 0

    @property
    def ok(self) -> bool:
        """True when the client's record may be shown."""
        return self.reason is None and self.client is not None

    def client_facts(self) -> dict[str, Any]:
        """The client fields the reply shows."""
        c = self.client
        if c is None:
            return {}
        return {
            "cedula": c.cedula,
            "name": c.name,
            "phone": c.phone,
            "email": c.email,
            "address": c.address,
            "barrio": c.barrio,
        }


def clean_cedula(raw: str | None) -> str:
    """Strip the dots and spaces people type in a cédula: "1.020.304.050" → "1020304050"."""
    return re.sub(r"[.\s-]", "", (raw or "").strip())


def find_number(text: str | None, min_digits: int = 4) -> str | None:
    """The longest number in free text (dots/spaces as separators allowed), or None."""
    found = [clean_cedula(m.group()) for m in _NUMBER_RE.finditer(text or "")]
    found = [n for n in found if len(n) >= min_digits]
    return max(found, key=len) if found else None


def owned_client(
    session: Session, shop_id: int, owner_id: str, cedula: str | None = None
) -> Client | None:
    """The client record saved from `owner_id` (with `cedula` when given), else None.

    Stored data is offered only to the conversation identity it was saved from: a verified
    WhatsApp number or the same local-channel id. A cédula alone unlocks nothing.
    """
    if not owner_id:
        return None
    stmt = select(Client).where(Client.shop_id == shop_id, Client.owner_id == owner_id)
    if cedula:
        stmt = stmt.where(Client.cedula == cedula)
    return session.scalars(stmt.order_by(Client.updated_at.desc(), Client.id.desc())).first()


def save_client(
    *, session: Session, shop_id: int, data: dict[str, Any], requester_id: str, staff: bool
) -> Client | None:
    """Create or update the client with `data["cedula"]` when `requester_id` may.

    A new cédula creates a record owned by `requester_id`. An existing record changes only
    for its owner or the shop's staff; for anyone else it stays untouched (and the order
    keeps its own delivery data), so a known cédula never takes over someone's record.
    Returns the client the order belongs to, or None when the record is someone else's.
    """
    client = session.scalars(
        select(Client).where(Client.shop_id == shop_id, Client.cedula == data["cedula"])
    ).one_or_none()
    if client is None:
        client = Client(shop_id=shop_id, cedula=data["cedula"], owner_id=requester_id)
        session.add(client)
    elif not (staff or client.owner_id == requester_id):
        log.warning("client_update_refused", shop_id=shop_id, requester=requester_id)
        return None
    for name in ("name", "phone", "email", "address", "barrio"):
        if data.get(name) is not None:
            setattr(client, name, data[name])
    session.flush()
    return client


def _history(session: Session, shop: Shop, result: ClientLookup) -> ClientLookup:
    assert result.client is not None
    where = (Order.shop_id == shop.id, Order.client_id == result.client.id)
    recent = session.execute(
        select(Order.id, Order.created_at, Order.state, Order.total)
        .where(*where)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(RECENT_ORDERS)
    )
    result.orders = [OrderSummary(*row) for row in recent]
    result.order_count = session.scalar(select(func.count(Order.id)).where(*where)) or 0
    closed = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            *where, Order.state.in_(SOLD_STATES)
        )
    ).one()
    result.closed_count, result.total_spent = int(closed[0]), int(closed[1])
    return result


def lookup_client(session: Session, shop: Shop, requester_id: str, cedula: str) -> ClientLookup:
    """Look a client up by cédula on behalf of `requester_id` (a conversation identity).

    Staff (verified staff numbers) may see any client; anyone else only the record saved
    from their own identity. Refusals are logged (`client_lookup_refused`) with the reason.
    """
    cedula = clean_cedula(cedula)
    staff = is_staff(shop, requester_id)
    if not CEDULA_RE.match(cedula):
        return ClientLookup(cedula=cedula, reason=INVALID, as_staff=staff)
    client = session.scalars(
        select(Client).where(Client.shop_id == shop.id, Client.cedula == cedula)
    ).one_or_none()
    if client is None and staff:
        log.info("client_lookup_not_found", shop=shop.slug, requester=requester_id)
        return ClientLookup(cedula=cedula, reason=NOT_FOUND, as_staff=True)
    if client is None or not (staff or client.owner_id == requester_id):
        log.warning(
            "client_lookup_refused",
            shop=shop.slug,
            requester=requester_id,
            reason=NOT_FOUND if client is None else "not_yours",
        )
        return ClientLookup(cedula=cedula, reason=NOT_ALLOWED)
    log.info("client_lookup", shop=shop.slug, requester=requester_id, staff=staff)
    return _history(session, shop, ClientLookup(cedula=cedula, client=client, as_staff=staff))


def own_record(session: Session, shop: Shop, requester_id: str) -> ClientLookup | None:
    """The record saved from the sender's own identity, else None."""
    client = owned_client(session, shop.id, requester_id)
    if client is None:
        return None
    result = ClientLookup(
        cedula=client.cedula, client=client, as_staff=is_staff(shop, requester_id)
    )
    return _history(session, shop, result)
