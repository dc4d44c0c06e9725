"""`orchestrator.log_redaction`: which parts of a log line are secrets."""

from __future__ import annotations

import logging

import pytest

from orchestrator.log_redaction import REDACTED, RedactingFilter, redact, redact_event


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /admin/ui?token=abc123 HTTP/1.1", f"GET /admin/ui?token={REDACTED} HTTP/1.1"),
        ("/x?lang=es&TOKEN=abc&page=2", f"/x?lang=es&TOKEN={REDACTED}&page=2"),
        ("/x?access_token=a.b-c_d&api_key=k", f"/x?access_token={REDACTED}&api_key={REDACTED}"),
        ("Authorization: Bearer eyJ.abc-def", f"Authorization: Bearer {REDACTED}"),
        ("/x?tokens=1&monkey=2", "/x?tokens=1&monkey=2"),  # other names stay
        ("plain text", "plain text"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_the_filter_redacts_uvicorn_style_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s"', ("1.2.3.4", "GET",
        "/exports/download?token=SIGNED"), None,
    )  # fmt: skip
    assert RedactingFilter().filter(record)
    assert "SIGNED" not in record.getMessage() and REDACTED in record.getMessage()


def test_the_structlog_processor_drops_secret_named_values() -> None:
    event = {"event": "x", "token": "abc", "has_token": True, "url": "/a?token=abc"}
    assert redact_event(None, "info", event) == {
        "event": "x",
        "token": REDACTED,
        "has_token": True,
        "url": f"/a?token={REDACTED}",
    }
