"""`GET /health` (database, Rasa, action server, LLM provider) and `GET /metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from db.session import session_scope
from orchestrator import queue
from orchestrator.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(services: ServicesDep) -> JSONResponse:
    """Each dependency's state; 503 when the database, Rasa or the action server is down."""
    checks: dict[str, Any] = {}
    try:
        with session_scope(services.session_factory) as s:
            s.execute(text("SELECT 1"))
            checks["database"] = {"ok": True, "queue_pending": queue.pending_count(s)}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    checks["rasa"] = {"ok": services.rasa.status(), "url": services.settings.rasa_url}
    checks["action_server"] = {
        "ok": services.action_server_ok(),
        "url": services.settings.action_server_url,
    }
    cfg = services.settings
    checks["llm"] = {
        "ok": True,
        "provider": cfg.llm_provider,
        "model": cfg.llm_model,
        "timeout_s": cfg.llm_timeout_s,
    }
    checks["sender"] = {"ok": True, "kind": services.senders["twilio"].name}
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(services: ServicesDep) -> PlainTextResponse:
    """Prometheus text format: turns, errors, guard rejections, stage latencies."""
    body = services.metrics.render()
    body += (
        "# HELP tendero_worker_in_flight Turns being processed now\n"
        "# TYPE tendero_worker_in_flight gauge\n"
        f"tendero_worker_in_flight {services.worker.in_flight}\n"
    )
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
