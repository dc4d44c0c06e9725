"""Secrets never reach a log line: query-string tokens and bearer credentials are redacted.

Tokens travel in URLs in a few places Tendero does not fully control: the signed export
links (`/exports/download?token=...`), an old dashboard bookmark (`/admin/ui?token=...`), a
client that puts its API key in the query. uvicorn's access log writes every path with its
query, and our own events may carry a URL. `RedactingFilter` (stdlib logging, installed on
uvicorn's loggers and the root handlers) and `redact_event` (a structlog processor) rewrite
those values to `[redacted]` before anything is formatted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

REDACTED = "[redacted]"
# Query parameters whose value is a credential, whatever their case.
SECRET_PARAMS = ("token", "access_token", "api_key", "apikey", "key", "secret", "password")
_QUERY = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&;\s\"'#]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[\w.~+/=-]+")
# Event keys whose (text) value is a secret itself, e.g. `token=...`, `authorization=...`.
_SECRET_KEY = re.compile(r"(?i)(token|secret|password|authorization|api_key)$")
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with every secret query value and bearer credential replaced."""
    if "=" not in text and "earer" not in text:
        return text  # the common case, cheaply
    return _BEARER.sub(r"\1" + REDACTED, _QUERY.sub(r"\1" + REDACTED, text))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """Redacts a stdlib record's message and arguments (uvicorn's access log puts the path
    with its query in the arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = _clean(record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


def redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: secret-named text values go, URLs in any value are redacted."""
    for key, value in event_dict.items():
        if isinstance(value, str) and _SECRET_KEY.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _clean(value)
    return event_dict


def install_redaction() -> None:
    """Put a `RedactingFilter` on uvicorn's loggers and on every root handler (idempotent).

    Logger filters only see records logged on that very logger, which is how uvicorn logs;
    handler filters see everything that propagates to the root.
    """
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in _UVICORN_LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
