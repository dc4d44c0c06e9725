"""Per-shop admin tokens: generation, hashing and lookup.

Tokens are random and high-entropy, so a plain SHA-256 is the right hash (no salt or slow
KDF needed: there is nothing to brute-force). Only the hash is stored, in
`shops.admin_token_hash`. The demo shop may take its token from the `ADMIN_TOKEN` setting so
the token printed by `make run` stays the same between runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Shop

TOKEN_BYTES = 32


def generate_token() -> str:
    """A new random admin token (URL-safe, 43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored for `token`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verify_token(token: str, token_hash: str | None) -> bool:
    """True when `token` hashes to `token_hash`, compared in constant time."""
    if not token or not token_hash:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def resolve_admin_token(configured: str | None) -> str:
    """The token to give a shop: the configured one (e.g. `ADMIN_TOKEN`) or a new one."""
    configured = (configured or "").strip()
    return configured or generate_token()


def set_shop_token(session: Session, shop: Shop, token: str) -> None:
    """Store the hash of `token` as `shop`'s admin token (the caller commits)."""
    shop.admin_token_hash = hash_token(token)
    session.flush()


def shop_for_token(session: Session, token: str | None) -> Shop | None:
    """The shop whose admin token is `token`, or None.

    The lookup is by hash (an indexed equality on a digest of a secret the caller holds);
    the final comparison is constant-time.
    """
    if not token:
        return None
    digest = hash_token(token)
    shop = session.scalars(select(Shop).where(Shop.admin_token_hash == digest)).first()
    if shop is None or not verify_token(token, shop.admin_token_hash):
        return None
    return shop
