"""Twilio signature validation: the test vectors published with twilio-python, and the
public URL the orchestrator validates against."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from orchestrator.api.deps import public_url
from orchestrator.settings import Settings

# Published in twilio/twilio-python tests/unit/test_request_validator.py.
TOKEN = "12345"
URI = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
BODY = '{"property": "value", "boolean": true}'
BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


@pytest.fixture
def validator() -> RequestValidator:
    return RequestValidator(TOKEN)


def test_published_signature(validator: RequestValidator) -> None:
    assert validator.compute_signature(URI, PARAMS) == EXPECTED
    assert validator.validate(URI, PARAMS, EXPECTED)
    assert not validator.validate(URI, {**PARAMS, "Digits": "1235"}, EXPECTED)
    assert not RequestValidator("54321").validate(URI, PARAMS, EXPECTED)


def test_published_ports_vectors(validator: RequestValidator) -> None:
    with_port = URI.replace(".com", ".com:1234")
    assert validator.validate(with_port, PARAMS, EXPECTED)
    assert validator.validate(
        with_port.replace("https", "http"), PARAMS, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
    )
    assert validator.validate(URI, PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=")
    assert validator.validate(URI.replace("https", "http"), PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4=")


def test_published_duplicate_parameters_vector(validator: RequestValidator) -> None:
    from starlette.datastructures import FormData

    form = FormData(
        [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    )
    assert validator.compute_signature(URI, form) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_published_body_hash_vectors(validator: RequestValidator) -> None:
    assert validator.compute_hash(BODY) == BODY_HASH
    uri = f"{URI}&bodySHA256={BODY_HASH}"
    assert validator.validate(uri, BODY, "a9nBmqA0ju/hNViExpshrM61xv4=")


def _request(path: str, headers: dict[str, str], query: str = "") -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "query_string": query.encode(),
            "server": ("10.0.0.5", 8000),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
    )


def test_public_url_from_settings_then_forwarded_headers_then_request() -> None:
    configured = Settings(_env_file=None, public_base_url="https://bot.example.com/")  # type: ignore[call-arg]
    plain = Settings(_env_file=None)  # type: ignore[call-arg]
    req = _request("/twilio/whatsapp", {"host": "10.0.0.5:8000"}, "a=1")
    assert public_url(req, configured) == "https://bot.example.com/twilio/whatsapp?a=1"
    proxied = _request(
        "/twilio/whatsapp",
        {
            "host": "10.0.0.5:8000",
            "x-forwarded-proto": "https",
            "x-forwarded-host": "shop.example.org, other",
        },
    )
    assert public_url(proxied, plain) == "https://shop.example.org/twilio/whatsapp"
    assert public_url(req, plain) == "http://10.0.0.5:8000/twilio/whatsapp?a=1"
