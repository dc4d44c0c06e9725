"""`GET /health` (database, Rasa, action server, LLM provider) and `GET /metrics`.

Both are reachable from outside, so what they say depends on `ops_access`: the public
`/health` is ok / not ok per dependency (for load balancers and uptime checks), and the
details (internal URLs, queue depth, LLM model, sender) and `/metrics` need the metrics
token outside development. Without a `METRICS_TOKEN` in production `/metrics` is 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from db.session import session_scope
from orchestrator import queue
from orchestrator.api.deps import OpsAccessDep, ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "a dependency is down"}})
def health(services: ServicesDep, detailed: OpsAccessDep) -> JSONResponse:
    """Each dependency's state; 503 when the database, Rasa or the action server is down.

    Only `ok` per dependency unless the caller has ops access (see the module docstring).
    """
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
    if not detailed:
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503
    )


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        401: {"description": "METRICS_TOKEN required"},
        404: {"description": "not served: production without METRICS_TOKEN"},
    },
)
def metrics(services: ServicesDep, allowed: OpsAccessDep) -> PlainTextResponse:
    """Prometheus text format: turns, errors, guard rejections, stage latencies."""
    if not allowed:
        if services.settings.metrics_token is None:
            raise HTTPException(404, detail="Not Found")
        raise HTTPException(401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
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
    body = services.metrics.render(gauges)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
