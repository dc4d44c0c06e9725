"""The FastAPI application: `create_app(settings)`; run with
`uvicorn --factory orchestrator.app:create_app`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from orchestrator import errors
from orchestrator.admin import router as admin_router
from orchestrator.body_limit import BodyLimitMiddleware
from orchestrator.logging import configure_logging, get_logger
from orchestrator.routers import chat, downloads, health, twilio
from orchestrator.security_headers import SecurityHeadersMiddleware
from orchestrator.services import build_services
from orchestrator.settings import Settings, get_settings

log = get_logger("orchestrator")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; engine, clients, senders and worker are created in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format)
        services = await run_in_threadpool(build_services, settings)
        app.state.services = services
        services.worker.start()
        services.notifier.start()
        log.info(
            "orchestrator.started",
            rasa_url=settings.rasa_url,
            llm_provider=settings.llm_provider,
            sender=services.senders["twilio"].name,
        )
        try:
            yield
        finally:
            await run_in_threadpool(services.close)
            log.info("orchestrator.stopped")

    # The interactive docs and the schema map every route for an attacker: development only.
    docs = settings.is_development
    app = FastAPI(
        title="Tendero orchestrator",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(health.router)
    app.include_router(twilio.router)
    app.include_router(chat.router)
    app.include_router(downloads.router)
    app.include_router(admin_router)
    # Added last = runs first: the headers wrap every response, the 413s included.
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        limits={
            "/twilio/": settings.twilio_max_body_bytes,
            # base64 of an upload up to MEDIA_MAX_BYTES, plus the JSON around it
            "/chat/media": settings.media_max_bytes * 4 // 3 + 16 * 1024,
        },
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
