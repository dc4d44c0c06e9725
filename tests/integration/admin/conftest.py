"""An app with only the admin router, on the known data set (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.admin import router
from tests.integration.admin.data import TOKEN_A, Known, seed_known


def admin_app(factory: sessionmaker[Session]) -> FastAPI:
    """A tiny FastAPI app serving the admin router on `factory`'s database."""
    app = FastAPI()
    app.state.session_factory = factory
    app.include_router(router)
    return app


@pytest.fixture
def known(session_factory: sessionmaker[Session]) -> Known:
    with session_factory() as session:
        return seed_known(session)


@pytest.fixture
def client(session_factory: sessionmaker[Session], known: Known) -> Iterator[TestClient]:
    with TestClient(admin_app(session_factory)) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN_A}"}
