"""Client lookup by cédula: purchase history and totals, with who-may-see-what rules.

A shopper sees only their own record (the client's stored phone must be the sender's);
the shop's staff numbers may look anyone up. To a shopper, "no such cédula" and "someone
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

from actions.services.context import is_staff, normalize_phone
from db.models import Client, Order, Shop

log = structlog.get_logger(__name__)

CEDULA_RE = re.compile(r"^\d{6,10}$")
RECENT_ORDERS = 10
_NUMBER_RE = re.compile(r"\d[\d. ]*\d|\d")
_MIN_NATIONAL_DIGITS = 8

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


def same_phone(stored: str | None, sender: str) -> bool:
    """True when a client's stored phone is the sender's.

    Equal after normalizing; or the stored number has no country code and is the tail of
    the sender's (at least 8 digits), e.g. stored "3104567890" and sender "+573104567890".
    """
    if not stored:
        return False
    a, b = normalize_phone(stored), normalize_phone(sender)
    if not a or not b:
        return False
    if a.lstrip("+") == b.lstrip("+"):
        return True
    return not a.startswith("+") and len(a) >= _MIN_NATIONAL_DIGITS and b.lstrip("+").endswith(a)


def phone_candidates(phone: str) -> set[str]:
    """Stored forms that may denote `phone` (for an indexed IN query)."""
    digits = normalize_phone(phone).lstrip("+")
    tails = {digits[i:] for i in range(max(len(digits) - _MIN_NATIONAL_DIGITS + 1, 0))}
    return {f"+{digits}", digits, *tails} - {"", "+"}


def find_client_by_phone(session: Session, shop: Shop, phone: str) -> Client | None:
    """The shop's client whose stored phone is `phone` (the newest if several)."""
    stmt = (
        select(Client)
        .where(Client.shop_id == shop.id, Client.phone.in_(phone_candidates(phone)))
        .order_by(Client.updated_at.desc(), Client.id.desc())
    )
    return next((c for c in session.scalars(stmt) if same_phone(c.phone, phone)), None)


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
            *where, Order.state == "cerrada"
        )
    ).one()
    result.closed_count, result.total_spent = int(closed[0]), int(closed[1])
    return result


def lookup_client(session: Session, shop: Shop, requester_phone: str, cedula: str) -> ClientLookup:
    """Look a client up by cédula on behalf of `requester_phone`.

    Staff numbers may see any client; anyone else only the client whose phone is theirs.
    Refusals are logged (`client_lookup_refused`) with the real reason.
    """
    cedula = clean_cedula(cedula)
    staff = is_staff(shop, requester_phone)
    if not CEDULA_RE.match(cedula):
        return ClientLookup(cedula=cedula, reason=INVALID, as_staff=staff)
    client = session.scalars(
        select(Client).where(Client.shop_id == shop.id, Client.cedula == cedula)
    ).one_or_none()
    if client is None and staff:
        log.info("client_lookup_not_found", shop=shop.slug, requester=requester_phone)
        return ClientLookup(cedula=cedula, reason=NOT_FOUND, as_staff=True)
    if client is None or not (staff or same_phone(client.phone, requester_phone)):
        log.warning(
            "client_lookup_refused",
            shop=shop.slug,
            requester=requester_phone,
            reason=NOT_FOUND if client is None else "not_yours",
        )
        return ClientLookup(cedula=cedula, reason=NOT_ALLOWED)
    log.info("client_lookup", shop=shop.slug, requester=requester_phone, staff=staff)
    return _history(session, shop, ClientLookup(cedula=cedula, client=client, as_staff=staff))


def own_record(session: Session, shop: Shop, requester_phone: str) -> ClientLookup | None:
    """The sender's own record when their phone belongs to a client, else None."""
    client = find_client_by_phone(session, shop, requester_phone)
    if client is None:
        return None
    result = ClientLookup(
        cedula=client.cedula, client=client, as_staff=is_staff(shop, requester_phone)
    )
    return _history(session, shop, result)
