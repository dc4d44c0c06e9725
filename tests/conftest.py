"""Shared fixtures: real SQLite and real PostgreSQL databases, fresh and migrated per test.

`db_url` is parametrized over both backends. Each test gets its own database cloned from a
migrated template (PostgreSQL `CREATE DATABASE ... TEMPLATE`, SQLite file copy), so tests are
isolated even when the code under test commits or runs concurrent transactions.

PostgreSQL is required: when it cannot be found the PostgreSQL tests fail (with `CI` set) or
are skipped with the reason printed (a developer laptop without it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.migrate import upgrade
from db.session import make_engine, make_session_factory
from tests.pg import ThrowawayServer, find_admin_url
from tests.stack import action_server_url, rasa_server  # noqa: F401 (session-wide fixtures)

BACKENDS = ["sqlite", "postgresql"]
_RUN = uuid.uuid4().hex[:8]


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _with_db(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a PostgreSQL maintenance database we may create databases from."""
    url, server, how = find_admin_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {how}")
        pytest.skip(f"PostgreSQL not available: {how}")
    try:
        yield url
    finally:
        if isinstance(server, ThrowawayServer):
            server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> Iterator[str]:
    """Name of a migrated PostgreSQL template database for this test run."""
    name = f"tendero_tmpl_{_RUN}"
    with psycopg.connect(_plain(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(_with_db(pg_admin_url, name))
    upgrade(engine)
    engine.dispose()
    yield name
    with psycopg.connect(_plain(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file to copy for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def fresh_pg_database(admin_url: str, template: str) -> tuple[str, str]:
    """Create a database cloned from `template`; return (url, name)."""
    name = f"tendero_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _with_db(admin_url, name), name


def drop_pg_database(admin_url: str, name: str) -> None:
    """Drop a test database, closing whatever still holds it."""
    with psycopg.connect(_plain(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tendero.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    url, name = fresh_pg_database(admin, request.getfixturevalue("pg_template"))
    yield url
    drop_pg_database(admin, name)


@pytest.fixture
def pg_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database only (for PostgreSQL-specific tests)."""
    url, name = fresh_pg_database(pg_admin_url, pg_template)
    yield url
    drop_pg_database(pg_admin_url, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the fresh database of `db_url`."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the test database."""
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the test database, closed after the test."""
    with session_factory() as s:
        yield s


# The whole-stack fixtures (one Rasa, one action server, one e2e database per session),
# imported last: the harness uses the database helpers defined above.
from tests.e2e.harness import (  # noqa: E402, F401
    action_server,
    e2e_db_url,
    e2e_sf,
    fake_llm,
    fake_twilio,
    phone,
    stack,
)
