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
            checks["database"] = {
                "ok": True,
                "queue_pending": queue.pending_count(s),
                "oldest_pending_s": round(queue.oldest_pending_age_s(s), 1),
            }
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    worker = services.worker
    checks["worker"] = {
        "ok": worker.alive,
        "worker_id": worker.worker_id,
        "in_flight": worker.in_flight,
        "database_ok": worker.db_ok,
        "last_database_error": worker.last_db_error,
    }
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
    gauges: dict[str, tuple[str, float]] = {
        "tendero_worker_in_flight": ("Turns being processed now", services.worker.in_flight),
        "tendero_worker_database_ok": (
            "1 while the worker reaches the database",
            int(services.worker.db_ok),
        ),
    }
    try:
        with session_scope(services.session_factory) as s:
            gauges["tendero_queue_pending"] = (
                "Inbound messages waiting or in flight",
                queue.pending_count(s),
            )
            gauges["tendero_queue_oldest_pending_seconds"] = (
                "Age of the oldest inbound message waiting or in flight",
                round(queue.oldest_pending_age_s(s), 3),
            )
    except Exception:  # the database is down: the gauges above say so
        pass
    for name, (text_, value) in gauges.items():
        body += f"# HELP {name} {text_}\n# TYPE {name} gauge\n{name} {value}\n"
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
