"""Fleet benchmark: throughput with 1 vs 2 replicas per tier, and SQL round trips per turn.

Run: `make bench-fleet` (or `scripts/bench_pipeline.py --fleet [--levels 16] [--duration 40]
[--replicas 1,2]`).

It starts the fleet of `tests/fleet/` once (`tests/fleet/stack.py`: n
action servers, n Rasa replicas with the SQL tracker store and Redis lock store, n
orchestrators, a round-robin proxy in front of each tier, one fresh PostgreSQL database
seeded with the demo shop; fake Twilio and an echoing fake LLM in this process) and drives
it with the pipeline bench's closed-loop shoppers (`scripts/bench_pipeline.py`) through
the orchestrators' proxy; then it stops the second replica of every tier (the proxies skip
it) and measures again, so both numbers come from the same processes and database.

Round trips: every process of the fleet runs with `bench/sqlcount/` on PYTHONPATH, whose
`sitecustomize` counts the statements SQLAlchemy sends (app and Rasa alike) and commits;
the bench divides the difference over a level by the turns of that level, per tier.
PostgreSQL connections: the peak of `pg_stat_activity` for the bench database, sampled
every 0.5 s. The machine is shared and has 2 cores: every line carries the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.seed import load_demo  # noqa: E402
from db.session import make_engine, make_session_factory, session_scope  # noqa: E402
from scripts.bench_pipeline import (  # noqa: E402
    NotifyingTwilio,
    bench_pipeline,
    db_stats,
    load,
    max_inbound_id,
    summary,
)
from tests.fakes.llm import FakeLLM  # noqa: E402
from tests.faults.stack import FaultStack, wait_until  # noqa: E402
from tests.fleet.stack import Fleet, forget_locks  # noqa: E402
from tests.pg import find_admin_url  # noqa: E402
from tests.rasa.conftest import trained_model_path  # noqa: E402

COUNTER = ROOT / "bench" / "sqlcount"
TIERS = ("orchestrator", "actions", "rasa")


def tier_of(argv: list[str]) -> str | None:
    """The tier of a process from its argv (as recorded by bench/sqlcount)."""
    joined = " ".join(argv)
    if "uvicorn" in joined:
        return "orchestrator"
    if "actions.server" in joined or "actions/server" in joined:  # -m sets argv[0] to the path
        return "actions"
    if "rasa" in joined:
        return "rasa"
    return None


def read_counts(directory: Path) -> dict[str, Counter[str]]:
    """Statements and commits per tier, summed over every process that ever wrote."""
    out: dict[str, Counter[str]] = {t: Counter() for t in TIERS}
    for path in directory.glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        tier = tier_of(data.get("argv") or [])
        if tier:
            out[tier]["statements"] += int(data.get("statements", 0))
            out[tier]["commits"] += int(data.get("commits", 0))
    return out


class ConnectionSampler:
    """Peak number of server connections to one database (pg_stat_activity)."""

    def __init__(self, admin_url: str, database: str) -> None:
        self.admin_url, self.database = admin_url, database
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.database,)
                ).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                self._stop.wait(0.5)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def measure(
    fleet: Fleet,
    twilio: NotifyingTwilio,
    n: int,
    level: int,
    duration: float,
    counts_dir: Path,
    sampler_args: tuple[str, str],
) -> list[str]:
    """One level against the replicas still running; the printed lines."""
    after_id, before_load = max_inbound_id(fleet.front), load()
    time.sleep(1.5)  # let every counter file catch up
    before = read_counts(counts_dir)
    with ConnectionSampler(*sampler_args) as sampler:
        result = bench_pipeline(fleet.front, twilio, level, duration)
        wait_until(lambda: fleet.front.pending() == 0, 300, "queue drained")
    time.sleep(1.5)
    after = read_counts(counts_dir)
    st = db_stats(fleet.front, after_id)
    turns = max(st.turns, 1)
    per_turn = {t: (after[t]["statements"] - before[t]["statements"]) / turns for t in TIERS}
    commits = sum(after[t]["commits"] - before[t]["commits"] for t in TIERS) / turns
    return [
        f"  {n} per tier, {level:3d} shoppers: {st.turns:5d} turns {st.throughput:6.2f} msg/s"
        f" | failed {st.failed} | client errors {len(result.errors)} | load {before_load}"
        f" → {load()}",
        "      SQL statements/turn: "
        + ", ".join(f"{t} {per_turn[t]:.1f}" for t in TIERS)
        + f" = {sum(per_turn.values()):.1f}; commits/turn {commits:.1f}; peak PostgreSQL"
        f" connections {sampler.peak}",
        f"      reply ms p50/p95/p99 {summary(st.reply)}; rasa_ms {summary(st.stages['rasa_ms'])}",
    ]


def run_fleet(replicas: list[int], levels: list[int], duration: float, admin_url: str) -> None:
    """Start one fleet of max(replicas); measure; stop replicas down to each smaller count
    (the proxies skip a stopped replica) and measure again. One start-up: a Rasa replica
    costs minutes of a loaded machine."""
    run = uuid.uuid4().hex[:8]
    name, prefix = f"tendero_bench_fleet_{run}", f"tenderobench{run}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = f"{plain.rpartition('/')[0]}/{name}".replace("postgresql://", "postgresql+psycopg://")
    engine = make_engine(db_url)
    upgrade(engine)
    sf = make_session_factory(engine)
    with session_scope(sf) as s:
        load_demo(s, admin_token="bench-admin-token")
    twilio, llm = NotifyingTwilio().start(), FakeLLM(mode="echo").start()
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "SQL_COUNT_DIR")}
    with tempfile.TemporaryDirectory(prefix="tendero-bench-fleet-") as tmp:
        workdir, counts_dir = Path(tmp), Path(tmp) / "sqlcount"
        counts_dir.mkdir()
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(COUNTER), saved["PYTHONPATH"]) if p
        )
        os.environ["SQL_COUNT_DIR"] = str(counts_dir)

        def stack(label: str) -> FaultStack:
            (workdir / label).mkdir()
            return FaultStack(workdir / label, db_url, sf, twilio, llm)

        size = max(replicas)
        fleet = Fleet(stack("front"), [stack(f"slot{i + 1}") for i in range(size)], prefix)
        try:
            t0 = time.monotonic()
            fleet.start()
            print(f"{size} per tier up in {time.monotonic() - t0:.0f} s; load {load()}", flush=True)
            bench_pipeline(fleet.front, twilio, 2, 5)  # warm-up, not counted
            wait_until(lambda: fleet.front.pending() == 0, 180, "warm-up drained")
            for n in sorted(replicas, reverse=True):
                for slot in fleet.slots[n:]:
                    slot.stop()
                for level in levels:
                    lines = measure(fleet, twilio, n, level, duration, counts_dir, (plain, name))
                    print("\n".join(lines), flush=True)
        finally:
            fleet.stop()
            twilio.stop()
            llm.stop()
            engine.dispose()
            forget_locks(prefix)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    """Command line: --replicas 1,2 --levels 16 --duration 40."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--replicas", default="1,2", help="replicas per tier to compare")
    parser.add_argument("--levels", default="16", help="concurrent shoppers")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds per level")
    args = parser.parse_args(argv)
    if trained_model_path() is None:
        print("no trained Rasa model for the current data: run `make train`", file=sys.stderr)
        return 2
    admin_url, server, how = find_admin_url()
    if admin_url is None:
        print(f"the fleet bench needs PostgreSQL: {how}", file=sys.stderr)
        return 2
    started = time.monotonic()
    print(
        f"fleet bench {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} cores; "
        f"load {load()}; PostgreSQL ({how}), Redis lock store; fake LLM (echo)",
        flush=True,
    )
    levels = [int(x) for x in args.levels.split(",")]
    try:
        run_fleet([int(x) for x in args.replicas.split(",")], levels, args.duration, admin_url)
    finally:
        if server is not None:
            server.stop()
    print(f"load at the end: {load()}; bench took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
