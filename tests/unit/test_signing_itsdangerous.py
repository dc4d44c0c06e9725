"""Download tokens are `itsdangerous.Signer` tokens: claims are still validated after a
genuine signature, and each token has exactly one accepted spelling."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import Signer
from itsdangerous.encoding import base64_encode

from db.exports import InvalidLinkError, sign_download, verify_download

SECRET = "test-secret-0123456789"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def forge(claims: object) -> str:
    """A token signed with the real secret and salt around claims the signer never writes."""
    signer = Signer(SECRET, salt="tendero-export-link-v1", sep=".", digest_method=hashlib.sha256)
    return signer.sign(base64_encode(json.dumps(claims, separators=(",", ":")))).decode()


def test_a_forged_claim_set_is_signed_like_a_real_one() -> None:
    claims = {"s": 1, "k": "ventas", "f": "v.csv", "e": int(LATER.timestamp())}
    assert forge(claims) == sign_download(SECRET, 1, "ventas", "v.csv", LATER)
    assert verify_download(SECRET, forge(claims), now=NOW).filename == "v.csv"


@pytest.mark.parametrize(
    "claims",
    [
        {"s": 1, "k": "ventas", "f": "../1/v.csv", "e": 1795320000},
        {"s": 1, "k": "secretos", "f": "v.csv", "e": 1795320000},
        {"s": 1, "k": "ventas", "f": "v.csv", "e": "mañana"},
        {"s": 1, "k": "ventas", "f": "v.csv", "e": 10**20},
        {"s": True, "k": "ventas", "f": "v.csv", "e": 1795320000},
        {"s": 1, "k": "ventas", "f": "v.csv"},
        [1, "ventas", "v.csv"],
        "v.csv",
    ],
)
def test_genuinely_signed_bad_claims_are_refused(claims: object) -> None:
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, forge(claims), now=NOW)


def test_a_signature_with_other_padding_bits_is_refused() -> None:
    token = sign_download(SECRET, 1, "clientes", "clientes.csv", LATER)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    same_bits = alphabet[last ^ 0b01]  # 32-byte MAC: the last character's low 2 bits are padding
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, token[:-1] + same_bits, now=NOW)
    with pytest.raises(InvalidLinkError):
        verify_download(SECRET, token + "ñ", now=NOW)
