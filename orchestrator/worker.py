"""Processing off the request path: a dispatcher thread and a bounded pool of turn threads.

The queue lives in the database (`orchestrator.queue`): the dispatcher claims messages (one
in flight per conversation), hands each to the pool, and wakes up when the webhook stores a
message or every poll interval. Stale `processing` rows (a crash) go back to the queue on
start and periodically.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from orchestrator import queue
from orchestrator.logging import get_logger

log = get_logger("orchestrator.worker")


class ConversationLocks:
    """In-process locks per conversation key, shared by the worker and `/chat`."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of conversation `key`."""
        with self._guard:
            lock = self._locks[key]
        with lock:
            yield


class Worker:
    """Claims and processes inbound messages with bounded concurrency.

    Args:
        session_factory: database sessions.
        process: handles one inbound id (the pipeline); must not raise for normal failures.
        concurrency: turns in flight at once.
        poll_interval_s: how often the queue is checked without a notification.
        stale_after_s: a `processing` row older than this is considered abandoned.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        process: Callable[[int], object],
        *,
        concurrency: int = 4,
        poll_interval_s: float = 1.0,
        stale_after_s: float = 120.0,
    ) -> None:
        self.session_factory = session_factory
        self.process = process
        self.concurrency = concurrency
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._slots = threading.Semaphore(concurrency)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="turn")
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self._count_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Turns being processed now."""
        return self._in_flight

    def start(self) -> None:
        """Recover abandoned messages and start the dispatcher thread."""
        self._recover()
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)
        self._thread.start()
        log.info("worker.started", worker_id=self.worker_id, concurrency=self.concurrency)

    def notify(self) -> None:
        """A message was stored: look at the queue now."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop claiming, then wait up to `timeout_s` for the turns in flight."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        deadline = time.monotonic() + timeout_s
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        self._pool.shutdown(wait=False, cancel_futures=True)
        log.info("worker.stopped", worker_id=self.worker_id, left_in_flight=self._in_flight)

    def _recover(self) -> None:
        with session_scope(self.session_factory) as s:
            n = queue.recover_stale(s, self.stale_after_s)
            waiting = queue.pending_count(s)
        if n or waiting:
            log.info("worker.recovered", stale_reset=n, waiting=waiting)

    def _loop(self) -> None:
        last_recover = time.monotonic()
        while not self._stop.is_set():
            self._wake.clear()
            claimed = 0
            try:
                if time.monotonic() - last_recover > max(self.stale_after_s / 2, 5.0):
                    self._recover()
                    last_recover = time.monotonic()
                claimed = self._claim_and_submit()
            except Exception as exc:  # database down: keep trying, never die
                log.error("worker.claim_failed", error=f"{type(exc).__name__}: {exc}")
            if not claimed:
                self._wake.wait(self.poll_interval_s)

    def _claim_and_submit(self) -> int:
        free = 0
        while self._slots.acquire(blocking=False):
            free += 1
        if free == 0:
            self._wake.wait(self.poll_interval_s)
            return 0
        try:
            with session_scope(self.session_factory) as s:
                ids = queue.claim(s, self.worker_id, free)
        except BaseException:
            for _ in range(free):
                self._slots.release()
            raise
        for _ in range(free - len(ids)):
            self._slots.release()
        for inbound_id in ids:
            with self._count_lock:
                self._in_flight += 1
            self._pool.submit(self._run, inbound_id)
        return len(ids)

    def _run(self, inbound_id: int) -> None:
        try:
            self.process(inbound_id)
        except Exception as exc:  # the pipeline logs its own failures; this is a last resort
            log.exception("worker.turn_crashed", inbound_id=inbound_id, error=str(exc))
        finally:
            with self._count_lock:
                self._in_flight -= 1
            self._slots.release()
            self._wake.set()
