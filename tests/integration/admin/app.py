"""A tiny FastAPI app serving only the admin router (integration and browser tests).

It carries the real app's security headers, so the browser test draws the charts under the
production Content-Security-Policy.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.admin import router
from orchestrator.security_headers import SecurityHeadersMiddleware


def admin_app(factory: sessionmaker[Session]) -> FastAPI:
    """The admin router on `factory`'s database."""
    app = FastAPI()
    app.state.session_factory = factory
    app.include_router(router)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
