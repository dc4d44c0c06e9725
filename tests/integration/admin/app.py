"""A tiny FastAPI app serving only the admin router (integration and browser tests)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.admin import router


def admin_app(factory: sessionmaker[Session]) -> FastAPI:
    """The admin router on `factory`'s database."""
    app = FastAPI()
    app.state.session_factory = factory
    app.include_router(router)
    return app
