"""`/chat`'s conversation locks: one holder per key at a time, other keys never blocked,
and no lock kept for a conversation nobody holds."""

from __future__ import annotations

import threading
import time

from orchestrator.worker import ConversationLocks


def test_one_conversation_waits_and_others_do_not() -> None:
    locks = ConversationLocks()
    order: list[str] = []
    other_ran = threading.Event()

    def same_conversation() -> None:
        with locks.hold("shop|u1"):
            order.append("second")

    with locks.hold("shop|u1"):
        waiter = threading.Thread(target=same_conversation)
        waiter.start()
        with locks.hold("shop|u2"):
            other_ran.set()
        time.sleep(0.05)
        order.append("first")
    waiter.join(5)
    assert other_ran.is_set() and order == ["first", "second"]


def test_locks_nobody_holds_are_dropped() -> None:
    locks = ConversationLocks()
    for i in range(100):
        with locks.hold(f"shop|u{i}"):
            assert len(locks) == 1
    assert len(locks) == 0


def test_contended_keys_stay_exclusive_and_are_dropped_after() -> None:
    locks = ConversationLocks()
    inside = {f"k{i}": 0 for i in range(3)}
    overlaps: list[str] = []

    def turn(key: str) -> None:
        for _ in range(50):
            with locks.hold(key):
                inside[key] += 1
                if inside[key] > 1:
                    overlaps.append(key)
                time.sleep(0.0005)
                inside[key] -= 1

    threads = [threading.Thread(target=turn, args=(f"k{i % 3}",)) for i in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not overlaps and len(locks) == 0
