"""Fault scenarios on the real stack: every inbound gets one reply set, effects happen once.

Each scenario kills or blocks a real process at the worst moment and checks: one inbound
row per message, one answer (plus at most one "dame un momento"), the cart equals what the
shopper asked, the queue drains; recovery times are printed.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from orchestrator.delivery import HOLD_SEQ
from tests.fakes.twilio import message_sid
from tests.faults.stack import FaultStack, kill9, new_phone, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ESCOBA = "Escoba cerda suave con palo"


def answered(stack: FaultStack, phone: str, n: int = 1) -> bool:
    """True when `n` inbound messages of `phone` are done and their answers sent."""
    rows = stack.inbound(phone)
    sent = [a for a in stack.answers(phone) if a.seq >= 0 and a.provider_sid]
    return len(rows) == n and all(r.status == "done" for r in rows) and len(sent) >= n


def assert_one_reply_set(stack: FaultStack, phone: str) -> None:
    """Per inbound message: answer chunks once each, at most one hold message."""
    by_inbound: dict[int | None, list[int]] = {}
    for a in stack.answers(phone):
        by_inbound.setdefault(a.inbound_id, []).append(a.seq)
    for seqs in by_inbound.values():
        assert len(seqs) == len(set(seqs)), seqs
        assert seqs.count(HOLD_SEQ) <= 1 and [s for s in seqs if s >= 0][:1] == [0], seqs
    bodies = [b for b in stack.twilio.bodies_to(phone)]
    assert len(bodies) == sum(len(s) for s in by_inbound.values()), bodies


def test_orchestrator_killed_after_the_action_committed(stack: FaultStack) -> None:
    phone, sid = new_phone(), message_sid()
    key = f"twilio:{sid}"
    stack.llm.mode, stack.llm.hang_s = "hang", 60  # Rasa answered, the orchestrator phrases
    seen = len(stack.llm.requests)
    assert stack.post(phone, "quiero 3 escobas", sid).status_code == 200
    wait_until(lambda: stack.applied(key), 60, "the action committed")
    wait_until(lambda: len(stack.llm.requests) > seen, 60, "Rasa answered")
    kill9(stack.app)
    stack.llm.mode = "echo"
    assert not stack.answers(phone)  # killed before anything was sent
    spawned = stack.start_app()
    up = time.monotonic() - spawned
    wait_until(lambda: answered(stack, phone), 30, "answered after the restart")
    recovered = time.monotonic() - spawned
    print(
        f"\n[faults] orchestrator kill -9 after commit: up in {up:.1f} s,"
        f" answered {recovered:.1f} s after restart"
    )
    assert recovered <= 15
    assert stack.cart(phone) == {ESCOBA: 3}
    assert stack.tracker_keys(phone).count(key) == 1  # Rasa was not fed the message twice
    assert_one_reply_set(stack, phone)
    assert "3" in stack.answers(phone)[-1].body


def test_action_server_killed_mid_turn(stack: FaultStack) -> None:
    kill9(stack.actions)
    stack.start_actions(sleep_after_commit_s=30)  # commits, then never answers Rasa
    phone, sid = new_phone(), message_sid()
    key = f"twilio:{sid}"
    assert stack.post(phone, "quiero 3 escobas", sid).status_code == 200
    wait_until(lambda: stack.applied(key), 60, "the action committed")
    killed = time.monotonic()
    kill9(stack.actions)
    time.sleep(1.0)
    stack.start_actions()  # back, without the delay
    wait_until(lambda: answered(stack, phone), 90, "answered after the action server came back")
    recovered = time.monotonic() - killed
    print(f"\n[faults] action server kill -9 mid-turn: answered {recovered:.1f} s after the kill")
    assert stack.cart(phone) == {ESCOBA: 3}
    assert stack.applied(key) == 1
    assert_one_reply_set(stack, phone)
    assert stack.pending() == 0


def test_twilio_retries_concurrent_with_processing(stack: FaultStack) -> None:
    phone, sid = new_phone(), message_sid()
    stack.llm.mode, stack.llm.hang_s = "hang", 3  # a slow turn: retries land mid-processing
    codes: list[int] = []

    def twilio_retry() -> None:
        codes.append(stack.post(phone, "quiero 2 escobas", sid).status_code)

    threads = [threading.Thread(target=twilio_retry) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(1.5)
    for _ in range(3):
        twilio_retry()
    wait_until(lambda: answered(stack, phone), 60, "answered")
    assert codes == [200] * 8
    assert len(stack.inbound(phone)) == 1
    assert stack.cart(phone) == {ESCOBA: 2}
    assert_one_reply_set(stack, phone)


def test_database_locked_for_ten_seconds(stack: FaultStack) -> None:
    phones = [new_phone(), new_phone()]
    sids = [message_sid(), message_sid()]
    lock = sqlite3.connect(stack.db_url.removeprefix("sqlite:///"), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # every writer (app, actions, Rasa's tracker) waits
    tries: dict[str, int] = {}

    def shopper(phone: str, sid: str) -> None:
        tries[phone] = stack.post_until_accepted(phone, "quiero 2 escobas", sid, 60)

    threads = [threading.Thread(target=shopper, args=ps) for ps in zip(phones, sids, strict=True)]
    for t in threads:
        t.start()
    time.sleep(10)
    lock.execute("ROLLBACK")
    lock.close()
    unlocked = time.monotonic()
    for t in threads:
        t.join()
    wait_until(lambda: all(answered(stack, p) for p in phones), 120, "all answered")
    wait_until(lambda: stack.pending() == 0, 30, "queue drained")
    drained = time.monotonic() - unlocked
    print(
        f"\n[faults] database locked 10 s: webhook tries {tries},"
        f" drained {drained:.1f} s after unlock"
    )
    for phone in phones:
        assert len(stack.inbound(phone)) == 1
        assert stack.cart(phone) == {ESCOBA: 2}
        assert_one_reply_set(stack, phone)
