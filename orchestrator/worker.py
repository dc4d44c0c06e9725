"""Processing off the request path: a dispatcher thread and a bounded pool of turn threads.

The queue lives in the database (`orchestrator.queue`): the dispatcher claims messages (one
in flight per conversation), hands each to the pool, and wakes up when the webhook stores a
message or every poll interval. A heartbeat thread renews this worker's claims every
`heartbeat_s` and puts back other workers' claims whose heartbeat is older than
`stale_after_s`. The worker id is `<host>:<pid>:<random>`; on start, claims of a dead
process on the same host are taken back at once. A worker never steals a live claim: it
recovers others' claims only after its own database access has worked for `stale_after_s`
(after an outage every worker gets the time to renew its heartbeats first).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from orchestrator import metrics as m
from orchestrator import queue
from orchestrator.logging import get_logger

log = get_logger("orchestrator.worker")


def pid_alive(pid: int) -> bool:
    """True when process `pid` exists on this host and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs: the process exists
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def dead_local_worker(worker_id: str, host: str) -> bool:
    """True for a `<host>:<pid>:…` id of this host whose process is gone."""
    parts = worker_id.split(":")
    if len(parts) < 2 or parts[0] != host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    return pid != os.getpid() and not pid_alive(pid)


@dataclass
class _Held:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0  # holding or waiting


class ConversationLocks:
    """In-process locks per conversation key, used by `/chat` only.

    `/chat` answers inline, outside the queue's claims (the worker already keeps one message
    per conversation in flight through `orchestrator.queue`), so two local requests of one
    conversation wait for each other here. A key's lock lives while someone holds or waits
    for it: the dict holds the conversations in flight, not every one ever seen.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, _Held] = {}

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of conversation `key`."""
        with self._guard:
            held = self._locks.setdefault(key, _Held())
            held.users += 1
        try:
            with held.lock:
                yield
        finally:
            with self._guard:
                held.users -= 1
                if held.users == 0:
                    del self._locks[key]


class Worker:
    """Claims and processes inbound messages with bounded concurrency.

    Args:
        session_factory: database sessions.
        process: handles one inbound id (the pipeline); must not raise for normal failures.
        concurrency: turns in flight at once.
        poll_interval_s: how often the queue is checked without a notification.
        stale_after_s: a `processing` row whose heartbeat is older than this is abandoned.
        heartbeat_s: how often this worker renews its claims and looks for abandoned ones.
        metrics: the metrics registry (recoveries, database errors).
        periodic: housekeeping run by the heartbeat thread every `periodic_s` (the idle
            handoff return); its failures are logged, never fatal.
        periodic_s: how often `periodic` runs.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        process: Callable[[int], object],
        *,
        concurrency: int = 4,
        poll_interval_s: float = 1.0,
        stale_after_s: float = 10.0,
        heartbeat_s: float = 2.0,
        metrics: m.Metrics | None = None,
        periodic: Callable[[], object] | None = None,
        periodic_s: float = 30.0,
    ) -> None:
        self.session_factory = session_factory
        self.process = process
        self.concurrency = concurrency
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.heartbeat_s = heartbeat_s
        self.metrics = metrics or m.Metrics()
        self.periodic = periodic
        self.periodic_s = periodic_s
        self._periodic_due = time.monotonic() + periodic_s
        self.host = socket.gethostname()
        self.worker_id = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._slots = threading.Semaphore(concurrency)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="turn")
        self._threads: list[threading.Thread] = []
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self._db_ok_since = time.monotonic()
        self._db_failed = False
        self.last_db_error: str | None = None

    @property
    def in_flight(self) -> int:
        """Turns being processed now."""
        return self._in_flight

    @property
    def db_ok(self) -> bool:
        """False while the worker's last database access failed."""
        return not self._db_failed

    @property
    def alive(self) -> bool:
        """True while the dispatcher and heartbeat threads run."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def start(self) -> None:
        """Take back claims of dead local workers, recover stale ones, start the threads."""
        try:
            self._take_back_dead_local()
            self._recover(force=True)
        except Exception as exc:  # database down at start: the heartbeat thread retries
            self._db_error("worker.recover_failed", exc)
        for name, target in (("dispatcher", self._loop), ("heartbeat", self._heartbeat_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("worker.started", worker_id=self.worker_id, concurrency=self.concurrency)

    def notify(self) -> None:
        """A message was stored: look at the queue now."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop claiming, then wait up to `timeout_s` for the turns in flight."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)
        log.info("worker.stopped", worker_id=self.worker_id, left_in_flight=self._in_flight)

    @contextmanager
    def holding(self, inbound_id: int) -> Iterator[None]:
        """Heartbeat the claim `inbound_id` (locked by this worker) while the block runs."""
        with self._held_lock:
            self._held.add(inbound_id)
        try:
            yield
        finally:
            with self._held_lock:
                self._held.discard(inbound_id)

    def _held_ids(self) -> set[int]:
        with self._held_lock:
            return set(self._held)

    def _db_error(self, event: str, exc: BaseException) -> None:
        self._db_failed = True
        self.last_db_error = f"{type(exc).__name__}: {str(exc)[:200]}"
        self.metrics.inc(m.WORKER_DB_ERRORS, "Worker database errors", where=event)
        log.error(event, error=self.last_db_error)

    def _db_success(self) -> None:
        if self._db_failed:
            self._db_failed = False
            self._db_ok_since = time.monotonic()
            log.info("worker.database_back", worker_id=self.worker_id)

    def _take_back_dead_local(self) -> None:
        with session_scope(self.session_factory) as s:
            for locker in queue.lockers(s, f"{self.host}:"):
                if dead_local_worker(locker, self.host):
                    n = queue.release_locked_by(s, locker)
                    self.metrics.inc(m.RECOVERED, "Claims recovered", amount=n, how="dead_pid")
                    log.warning("worker.took_back_dead_claims", dead_worker=locker, claims=n)

    def _recover(self, *, force: bool = False) -> None:
        # Never right after an outage: the other workers need the time to renew heartbeats.
        if not force and time.monotonic() - self._db_ok_since < self.stale_after_s:
            return
        with session_scope(self.session_factory) as s:
            n = queue.recover_stale(s, self.stale_after_s, keep=self._held_ids())
            waiting = queue.pending_count(s) if n else 0
        if n:
            self.metrics.inc(m.RECOVERED, "Claims recovered", amount=n, how="stale_heartbeat")
            log.warning("worker.recovered", stale_reset=n, waiting=waiting)
            self._wake.set()

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                with session_scope(self.session_factory) as s:
                    queue.heartbeat(s, self.worker_id, self._held_ids())
                self._db_success()
                self._recover()
            except Exception as exc:  # database down: keep trying, never die
                self._db_error("worker.heartbeat_failed", exc)
            self._run_periodic()

    def _run_periodic(self) -> None:
        if self.periodic is None or time.monotonic() < self._periodic_due:
            return
        self._periodic_due = time.monotonic() + self.periodic_s
        try:
            self.periodic()
        except Exception as exc:  # housekeeping must never stop the heartbeats
            log.exception("worker.periodic_failed", error=str(exc)[:300])

    def _loop(self) -> None:
        backoff = self.poll_interval_s
        while not self._stop.is_set():
            self._wake.clear()
            claimed = 0
            try:
                claimed = self._claim_and_submit()
                self._db_success()
                backoff = self.poll_interval_s
            except Exception as exc:  # database down: back off (bounded), never die
                self._db_error("worker.claim_failed", exc)
                backoff = min(backoff * 2, 5.0)
                self._stop.wait(backoff)
                continue
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
            with self._held_lock:
                self._held.add(inbound_id)
            self._pool.submit(self._run, inbound_id)
        return len(ids)

    def _run(self, inbound_id: int) -> None:
        try:
            self.process(inbound_id)
        except Exception as exc:  # the pipeline gave up (database down): queue it again
            log.exception("worker.turn_crashed", inbound_id=inbound_id, error=str(exc))
            try:
                with session_scope(self.session_factory) as s:
                    queue.release(s, inbound_id, self.worker_id)
            except Exception as release_exc:  # the heartbeat stops: recovered when stale
                self._db_error("worker.release_failed", release_exc)
        finally:
            with self._held_lock:
                self._held.discard(inbound_id)
            with self._count_lock:
                self._in_flight -= 1
            self._slots.release()
            self._wake.set()
