"""Structured logging (structlog): JSON when not on a terminal, pretty on one.

The pipeline binds `turn_id` (and shop/user) with `structlog.contextvars`, so every event
of one turn carries it. No secret reaches a line: `orchestrator.log_redaction` rewrites
tokens in our events and in uvicorn's access log.
"""

from __future__ import annotations

import logging
import sys

import structlog

from orchestrator.log_redaction import install_redaction, redact_event


class _CurrentStderr:
    """A stream that writes to whatever `sys.stderr` is at call time.

    Binding `sys.stderr` itself at configure time breaks when it is replaced later (pytest's
    capture closes its stream after each test; daemonizers swap it).
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", log_format: str = "auto") -> None:
    """Configure structlog and the standard library logging for the orchestrator.

    Args:
        level: minimum level name (`DEBUG`, `INFO`, ...).
        log_format: `json`, `console`, or `auto` (JSON unless stderr is a terminal);
            `LOG_FORMAT` in the environment.
    """
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric, stream=_CurrentStderr(), format="%(name)s %(message)s")
    install_redaction()
    # Third-party HTTP clients log every request at INFO: keep them quiet.
    for noisy in ("httpx", "httpcore", "twilio.http_client", "openai", "google_genai"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def get_logger(name: str = "orchestrator") -> structlog.stdlib.BoundLogger:
    """A structlog logger named `name`."""
    return structlog.get_logger(name)
