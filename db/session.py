"""Engine and session factories. Nothing connects at import time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.settings import normalize_url


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """True when the engine (or URL) points at SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


# SQLite's `synchronous` levels that keep a WAL database consistent after any crash.
SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")
# The execution option that marks a session's transaction as read-only (`read_scope`).
READ_ONLY = "tendero_read_only"


def sqlite_synchronous(value: str | None = None) -> str:
    """The `PRAGMA synchronous` level: `value`, else `SQLITE_SYNCHRONOUS`, else NORMAL.

    NORMAL (SQLite's recommendation for WAL) syncs the WAL at checkpoints, not at every
    commit: a committed transaction survives any crash of a process (kill -9), but the
    last ones before an operating-system crash or power loss may roll back. FULL syncs at
    every commit (~10 ms each on the shared development disk, all while holding SQLite's
    write lock). See docs/RELIABILITY.md ("SQLite durability").
    """
    level = (value or os.environ.get("SQLITE_SYNCHRONOUS") or "NORMAL").strip().upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(
            f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)},"
            f" not {level!r}"
        )
    return level


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, synchronous: str) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes SQLite's write lock at the start of every transaction, the
    # SQLite equivalent of row locks: two checkouts cannot both read the last unit.
    # A read-only transaction (`read_scope`) reads a WAL snapshot instead: it never waits
    # for the write lock and never holds it.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN DEFERRED")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str, *, echo: bool = False, synchronous: str | None = None, **kwargs: Any
) -> Engine:
    """Create an engine for `url` with Tendero's per-backend settings.

    SQLite gets foreign keys, WAL with `synchronous` (`sqlite_synchronous`), a busy
    timeout and serialized write transactions; PostgreSQL gets a pre-ping pool.
    """
    url = normalize_url(url)
    if is_sqlite(url):
        level = sqlite_synchronous(synchronous)
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 15},
            **kwargs,
        )
        event.listen(engine, "connect", partial(_sqlite_pragmas, synchronous=level))
        # Let SQLAlchemy, not pysqlite, control transactions so BEGIN IMMEDIATE is used.
        event.listen(
            engine,
            "connect",
            lambda dbapi_conn, _rec: setattr(dbapi_conn, "isolation_level", None),
        )
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, echo=echo, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to `engine`; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transactional scope: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only scope: on SQLite a deferred transaction (a WAL snapshot that neither
    waits for nor holds the write lock); elsewhere an ordinary transaction. Never write in
    it: on SQLite a write would have to wait for the lock mid-transaction."""
    session = factory()
    try:
        session.connection(execution_options={READ_ONLY: True})
        yield session  # closing ends the transaction; loaded objects stay usable
    finally:
        session.close()
