"""SQLite connection settings: WAL with the chosen `synchronous`, read-only scopes that
neither wait for nor hold the write lock, write scopes that take it at BEGIN."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from db.models import Shop
from db.session import (
    make_engine,
    make_session_factory,
    read_scope,
    session_scope,
    sqlite_synchronous,
)
from tests.factories import make_shop

# PRAGMA synchronous answers a number: 1 NORMAL, 2 FULL, 3 EXTRA.
LEVELS = {"NORMAL": 1, "FULL": 2, "EXTRA": 3}


def _pragma(engine: object, name: str) -> object:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_defaults_to_wal_with_synchronous_normal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert _pragma(engine, "journal_mode") == "wal"
    assert _pragma(engine, "synchronous") == LEVELS["NORMAL"]
    assert _pragma(engine, "busy_timeout") == 15000
    engine.dispose()


@pytest.mark.parametrize("level", ["FULL", "extra", " normal "])
def test_sqlite_synchronous_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", level)
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert _pragma(engine, "synchronous") == LEVELS[level.strip().upper()]
    engine.dispose()
    # An explicit argument wins over the environment.
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}", synchronous="FULL")
    assert _pragma(engine, "synchronous") == LEVELS["FULL"]
    engine.dispose()


def test_an_unknown_synchronous_level_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS must be one of NORMAL, FULL, EXTRA"):
        sqlite_synchronous()
    with pytest.raises(ValueError, match="not 'FAST'"):
        make_engine("sqlite:///:memory:", synchronous="fast")


def test_read_scope_reads_while_another_connection_holds_the_write_lock(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    sf = make_session_factory(engine)
    with session_scope(sf) as s:
        make_shop(s, slug="tienda", whatsapp_number="+14155550100")
    # Another process's writer (as the action server's BEGIN IMMEDIATE) holds the lock.
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        done = threading.Event()
        names: list[str] = []

        def read() -> None:
            with read_scope(sf) as s:
                names.extend(s.scalars(select(Shop.slug)))
                shop = s.scalars(select(Shop)).one()
            names.append(shop.slug)  # loaded objects stay usable after the scope
            done.set()

        threading.Thread(target=read, daemon=True).start()
        assert done.wait(2.0), "a read-only scope waited for the write lock"
        assert names == ["tienda", "tienda"]
        # A write scope takes the lock at BEGIN: it waits until the writer is done.
        wrote = threading.Event()

        def write() -> None:
            with session_scope(sf) as s:
                s.execute(text("SELECT 1"))
            wrote.set()

        threading.Thread(target=write, daemon=True).start()
        assert not wrote.wait(0.5)
        writer.execute("ROLLBACK")
        assert wrote.wait(5.0)
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()
        engine.dispose()


def test_read_scope_works_on_postgresql_too(session_factory: object) -> None:
    with read_scope(session_factory) as s:  # type: ignore[arg-type]
        assert s.execute(text("SELECT 1")).scalar() == 1
