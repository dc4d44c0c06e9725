"""Signed, expiring download links for chat exports.

A token is `<payload>.<signature>`, made by `itsdangerous.Signer` with the shared
`SECRET_KEY` (HMAC-SHA256, its own salt so the key signs nothing else the same way): the
payload is compact base64url JSON naming the shop, the export kind, the file name and the
expiry. The file lives at `<export_dir>/<shop_id>/<filename>`; names are restricted to plain
`*.csv` names and the resolved path must stay in that folder.

The token carries its own expiry (the signer picks it from `EXPORT_LINK_TTL_S`) rather than
`TimestampSigner`'s issue time, so the verifier can check it against any `now` and still cap
it with its own `max_lifetime_s`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadData, Signer
from itsdangerous.encoding import base64_decode, base64_encode

from db.exports.csv_files import EXPORT_KINDS

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*\.csv$")
_SALT = "tendero-export-link-v1"  # domain separation from other uses of the secret
DEFAULT_MAX_LIFETIME_S = 24 * 3600.0
_CLOCK_SKEW_S = 60.0
_MAX_TOKEN = 2048


class InvalidLinkError(ValueError):
    """The download token is malformed, tampered with or names an unsafe file."""


class ExpiredLinkError(ValueError):
    """The download token is genuine but past its expiry."""


@dataclass(frozen=True)
class DownloadClaim:
    """What a verified download token grants: one file of one shop until `expires_at`."""

    shop_id: int
    kind: str
    filename: str
    expires_at: datetime

    def path(self, export_dir: Path) -> Path:
        """The file under `export_dir/<shop_id>/`, refusing anything that resolves outside."""
        base = (Path(export_dir) / str(self.shop_id)).resolve()
        target = (base / self.filename).resolve()
        if target.parent != base:
            raise InvalidLinkError("path outside the export folder")
        return target


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=_SALT, sep=".", digest_method=hashlib.sha256)


def _check(shop_id: Any, kind: Any, filename: Any) -> None:
    if not isinstance(shop_id, int) or isinstance(shop_id, bool) or shop_id <= 0:
        raise InvalidLinkError("bad shop id")
    if kind not in EXPORT_KINDS:
        raise InvalidLinkError("bad export kind")
    if not isinstance(filename, str) or not _SAFE_NAME.match(filename) or ".." in filename:
        raise InvalidLinkError("unsafe file name")


def sign_download(secret: str, shop_id: int, kind: str, filename: str, expires_at: datetime) -> str:
    """A URL-safe token `<payload>.<signature>` granting `filename` of `shop_id` until
    `expires_at`."""
    _check(shop_id, kind, filename)
    claims = {"s": shop_id, "k": kind, "f": filename, "e": int(expires_at.timestamp())}
    payload = base64_encode(json.dumps(claims, separators=(",", ":")))
    return _signer(secret).sign(payload).decode("ascii")


def verify_download(
    secret: str,
    token: str,
    now: datetime | None = None,
    max_lifetime_s: float = DEFAULT_MAX_LIFETIME_S,
) -> DownloadClaim:
    """Check a token's signature, contents and expiry; return what it grants.

    The server bounds the lifetime whatever the token says: an expiry further away than
    `max_lifetime_s` (plus a minute of clock skew) is refused, so even a token forged with a
    leaked key cannot grant a file for years.

    Raises:
        InvalidLinkError: malformed, signed with another secret, altered, unsafe, or with
            an expiry beyond the allowed lifetime.
        ExpiredLinkError: genuine but expired.
    """
    token = (token or "").strip()
    payload, sep, signature = token.partition(".")
    if not sep or not payload or not signature or len(token) > _MAX_TOKEN:
        raise InvalidLinkError("malformed token")
    signer = _signer(secret)
    try:
        payload_bytes = signer.unsign(token)
        if signer.sign(payload_bytes).decode("ascii") != token:
            # base64 decoding ignores padding bits and stray characters: one token, one spelling
            raise BadData("non-canonical signature")
        claims = json.loads(base64_decode(payload_bytes))
        shop_id, kind, filename, expires = claims["s"], claims["k"], claims["f"], claims["e"]
    except BadData as exc:
        raise InvalidLinkError("bad signature") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidLinkError("malformed payload") from exc
    _check(shop_id, kind, filename)
    try:
        if not isinstance(expires, int) or isinstance(expires, bool):
            raise TypeError(expires)
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidLinkError("bad expiry") from exc
    now = now or datetime.now(UTC)
    if now >= expires_at:
        raise ExpiredLinkError(f"expired at {expires_at.isoformat()}")
    if (expires_at - now).total_seconds() > max_lifetime_s + _CLOCK_SKEW_S:
        raise InvalidLinkError("expiry beyond the allowed lifetime")
    return DownloadClaim(shop_id, kind, filename, expires_at)
