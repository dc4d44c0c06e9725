"""The fleet suite's fleet: one per session (two Rasa replicas take a minute or two)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from db.migrate import upgrade
from db.seed import load_demo
from db.session import make_engine, make_session_factory, session_scope
from tests.fakes.llm import FakeLLM
from tests.fakes.twilio import FakeTwilio
from tests.faults.stack import FaultStack
from tests.fleet.stack import REDIS_URL, Fleet, forget_locks, redis_command
from tests.rasa.conftest import _unavailable, trained_model_path

REPLICAS = 2


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _require_redis() -> None:
    try:
        pong = redis_command("PING")
    except OSError as exc:
        pong = f"{type(exc).__name__}: {exc}".encode()
    if pong != b"+PONG":
        reason = f"no Redis at {REDIS_URL} ({pong.decode(errors='replace')})"
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required for the fleet test in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str) -> Iterator[Fleet]:
    """2 action servers, 2 Rasa replicas, 2 orchestrators and 3 proxies, one fresh
    PostgreSQL database, Redis lock store under a key prefix of this run."""
    if trained_model_path() is None:
        _unavailable("no trained Rasa model for the current data; run `make train`")
    _require_redis()
    run = uuid.uuid4().hex[:8]
    prefix = f"tenderofleet{run}"
    name = f"tendero_fleet_{run}"
    with psycopg.connect(_plain(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = f"{pg_admin_url.rpartition('/')[0]}/{name}".replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    engine = make_engine(db_url)
    upgrade(engine)
    sf = make_session_factory(engine)
    with session_scope(sf) as s:
        load_demo(s, admin_token="fleet-admin-token")
    twilio, llm = FakeTwilio().start(), FakeLLM(mode="echo").start()
    workdir = tmp_path_factory.mktemp("fleet")

    def stack(label: str) -> FaultStack:
        path: Path = workdir / label
        path.mkdir()
        return FaultStack(path, db_url, sf, twilio, llm)

    fleet = Fleet(stack("front"), [stack(f"slot{i + 1}") for i in range(REPLICAS)], prefix)
    try:
        fleet.start()
        yield fleet
    finally:
        fleet.stop()
        twilio.stop()
        llm.stop()
        engine.dispose()
        forget_locks(prefix)
        with psycopg.connect(_plain(pg_admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
