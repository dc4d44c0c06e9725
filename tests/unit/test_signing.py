"""Signed download links: genuine links verify; altered, expired and unsafe ones do not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db.exports import (
    DownloadClaim,
    ExpiredLinkError,
    InvalidLinkError,
    sign_download,
    verify_download,
)

SECRET = "test-secret-0123456789"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(claims: dict[str, object], secret: str = SECRET) -> str:
    """A token built by hand with the real secret (as if the signer had a bug)."""
    payload = _b64(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), b"tendero-export-link-v1." + payload.encode(), hashlib.sha256)
    return f"{payload}.{_b64(mac.digest())}"


def test_round_trip() -> None:
    token = sign_download(SECRET, 7, "ventas", "ventas-20261122-030000-abc123.csv", LATER)
    claim = verify_download(SECRET, token, now=NOW)
    assert claim == DownloadClaim(7, "ventas", "ventas-20261122-030000-abc123.csv", LATER)
    assert token.isascii() and "/" not in token and "+" not in token


def test_expired_link_is_refused() -> None:
    token = sign_download(SECRET, 1, "clientes", "clientes.csv", LATER)
    with pytest.raises(ExpiredLinkError):
        verify_download(SECRET, token, now=LATER)
    with pytest.raises(ExpiredLinkError):
        verify_download(SECRET, token, now=LATER + timedelta(seconds=1))


def test_wrong_secret_is_refused() -> None:
    token = sign_download(SECRET, 1, "clientes", "clientes.csv", LATER)
    with pytest.raises(InvalidLinkError):
        verify_download("another-secret", token, now=NOW)


def test_tampered_payload_is_refused() -> None:
    token = sign_download(SECRET, 1, "clientes", "clientes.csv", LATER)
    payload, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for change in ({"s": 2}, {"e": claims["e"] + 86400}, {"f": "ventas.csv"}):
        altered = _b64(json.dumps({**claims, **change}, separators=(",", ":")).encode())
        with pytest.raises(InvalidLinkError):
            verify_download(SECRET, f"{altered}.{mac}", now=NOW)


def test_tampered_signature_is_refused() -> None:
    token = sign_download(SECRET, 1, "clientes", "clientes.csv", LATER)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, flipped, now=NOW)


def test_expired_and_tampered_counts_as_tampered() -> None:
    token = sign_download(SECRET, 1, "clientes", "clientes.csv", NOW - timedelta(days=1))
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, token[:-2] + "xx", now=NOW)


@pytest.mark.parametrize(
    "token",
    ["", "no-dot", ".", "abc.", ".abc", "a.b.c", "ñandú.ü", "x" * 5000, "%2e%2e.abc"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, token, now=NOW)


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd",
        "../1/ventas.csv",
        "/etc/passwd.csv",
        "sub/ventas.csv",
        "..csv",
        ".hidden.csv",
        "ventas.csv/..",
        "ventas.txt",
        "ventas\x00.csv",
        "ventas..csv",
    ],
)
def test_unsafe_names_are_refused_when_signing_and_verifying(filename: str) -> None:
    with pytest.raises(InvalidLinkError):
        sign_download(SECRET, 1, "ventas", filename, LATER)
    forged = forge({"s": 1, "k": "ventas", "f": filename, "e": int(LATER.timestamp())})
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, forged, now=NOW)


@pytest.mark.parametrize(
    "claims",
    [
        {"s": 0, "k": "ventas", "f": "v.csv", "e": 1},
        {"s": "1", "k": "ventas", "f": "v.csv"},
        {"s": 1, "k": "secretos", "f": "v.csv", "e": 4102444800},
        {"s": 1, "k": "ventas", "f": "v.csv", "e": "mañana"},
        {"s": 1, "k": "ventas", "f": "v.csv", "e": 10**20},
        {"s": True, "k": "ventas", "f": "v.csv", "e": 4102444800},
    ],
)
def test_forged_claims_with_bad_fields_are_refused(claims: dict[str, object]) -> None:
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, forge(claims), now=NOW)


def test_claim_path_stays_inside_the_shop_folder(tmp_path: Path) -> None:
    claim = DownloadClaim(3, "ventas", "ventas.csv", LATER)
    assert claim.path(tmp_path) == (tmp_path / "3" / "ventas.csv").resolve()
    outside = tmp_path / "secret.csv"
    outside.write_text("no")
    (tmp_path / "3").mkdir()
    (tmp_path / "3" / "link.csv").symlink_to(outside)
    with pytest.raises(InvalidLinkError):
        DownloadClaim(3, "ventas", "link.csv", LATER).path(tmp_path)
