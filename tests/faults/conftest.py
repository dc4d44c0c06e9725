"""The fault suite's stack: one per session (Rasa takes a minute to start)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from db.migrate import upgrade
from db.seed import load_demo
from db.session import make_engine, make_session_factory, session_scope
from tests.fakes.llm import FakeLLM
from tests.fakes.twilio import FakeTwilio
from tests.faults.stack import FaultStack
from tests.rasa.conftest import _unavailable, trained_model_path


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """Rasa, action server and orchestrator on one fresh SQLite database."""
    if trained_model_path() is None:
        _unavailable("no trained Rasa model for the current data; run `make train`")
    workdir = tmp_path_factory.mktemp("faults")
    db_url = f"sqlite:///{workdir / 'tendero.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    sf = make_session_factory(engine)
    with session_scope(sf) as s:
        load_demo(s, admin_token="faults-admin-token")
    twilio, llm = FakeTwilio().start(), FakeLLM(mode="echo").start()
    stack = FaultStack(workdir, db_url, sf, twilio, llm)
    try:
        stack.start_actions()
        stack.start_rasa()
        stack.start_app()
        yield stack
    finally:
        stack.stop()
        twilio.stop()
        llm.stop()
        engine.dispose()


@pytest.fixture
def stack(fault_stack: FaultStack) -> Iterator[FaultStack]:
    """The session's stack, every process up again and the fakes reset after each test."""
    yield fault_stack
    fault_stack.llm.mode = "echo"
    if fault_stack.rasa is None or fault_stack.rasa.poll() is not None:
        fault_stack.start_rasa()
    if fault_stack.actions is None or fault_stack.actions.poll() is not None:
        fault_stack.start_actions()
    if fault_stack.app is None or fault_stack.app.poll() is not None:
        fault_stack.start_app()
