"""An app with only the admin router, on the known data set (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.admin.app import admin_app
from tests.integration.admin.data import TOKEN_A, Known, seed_known


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
