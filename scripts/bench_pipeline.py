"""Pipeline benchmark: bare Rasa REST against the whole pipeline, same model, same talk.

Run: `make bench` / `make bench-pipeline` (or `.venv/bin/python scripts/bench_pipeline.py
[--levels 1,16,50] [--duration 20] [--repeat 2] [--worker-concurrency 4,8]`). Fleet mode,
`--fleet [--replicas 1,2]` (`make bench-fleet`), is `scripts/bench_fleet.py`: the same
shoppers against 1 vs 2 replicas of every process on PostgreSQL, with SQL round trips per turn.

One process tree: this process starts the fault-test stack (`tests/faults/stack.py`: real
Rasa with the trained model and its SQL tracker store, the real action server, the
orchestrator under uvicorn, all on one fresh SQLite database seeded with the demo shop;
Twilio and the LLM are in-process fakes, the LLM echoes the draft) and drives it with N
concurrent shoppers. Each shopper runs the scripted demo-shop conversations (greeting,
product question, add, view cart) one after the other, each conversation as a fresh
phone number, and sends its next message only when the previous one was answered
(closed loop); no message is started after `--duration` seconds. Each level runs bare Rasa
and then the pipeline, back to back, `--repeat` times (interleaved, so both see the same
machine load); the targets of issue #14 are printed at the end with every repetition's
number, PASS/MISS by the median (with `--strict`, exit status 1 when one is missed).

(a) bare Rasa: POST /webhooks/rest/webhook (bearer token, idempotency key as metadata, as
    the orchestrator sends it); latency is the client's request time.
(b) pipeline: signed Twilio webhook → queue → worker → Rasa → phrasing → fake Twilio send →
    turn log. `ack` is the webhook response time seen by the client; every other number is
    read from the database: `reply` = outbound_messages.updated_at (first chunk accepted by
    Twilio) − inbound_messages.received_at, `recorded` = conversation_logs.created_at −
    received_at, the stages are the turn log's queue_ms, rasa_ms, phrase_ms, send_ms,
    total_ms. Throughput = answered messages / (last turn log − first inbound received).

Also printed: CPU ms per message of each process group (Rasa, action server, orchestrator,
this process with the fakes) for each run, RSS (VmRSS, and VmHWM the peak) after each
repetition, and the load average before/after (the machine is shared: numbers are noisy).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.models import ConversationLog, InboundMessage, OutboundMessage  # noqa: E402
from db.seed import load_demo  # noqa: E402
from db.session import make_engine, make_session_factory, session_scope  # noqa: E402
from orchestrator.settings import Settings  # noqa: E402
from tests.fakes.llm import FakeLLM  # noqa: E402
from tests.fakes.server import Reply, Request  # noqa: E402
from tests.fakes.twilio import ACCOUNT_SID, FakeTwilio, message_sid, sign  # noqa: E402
from tests.faults import stack as fault_stack  # noqa: E402
from tests.faults.stack import DEMO_NUMBER, PUBLIC, FaultStack, wait_until  # noqa: E402
from tests.rasa import conftest as rasa_conftest  # noqa: E402
from tests.rasa.conftest import _stop, trained_model_path  # noqa: E402
from tests.stack import RASA_TOKEN  # noqa: E402

CONVERSATIONS = [
    ["hola buenas", "tienen mangueras?", "quiero 2 mangueras", "que llevo en el carrito"],
    ["buenos dias", "tienen escobas?", "quiero 3 escobas", "ver carrito"],
    ["hola", "venden ollas?", "quiero 1 olla", "que llevo hasta ahora"],
]
REPLY_TIMEOUT_S = 90.0
STAGES = ("queue_ms", "rasa_ms", "phrase_ms", "send_ms", "total_ms")


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`, NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> str:
    """p50/p95/p99 in ms."""
    return f"{pct(values, 50):8.0f} {pct(values, 95):8.0f} {pct(values, 99):8.0f}"


def load() -> str:
    """The 1/5/15-minute load averages."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def group_memory(pgid: int) -> tuple[float, float, int]:
    """(VmRSS MB, VmHWM MB, processes) summed over process group `pgid`."""
    rss = hwm = 0.0
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = (entry / "status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        hwm += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
        count += 1
    return rss, hwm, count


class NotifyingTwilio(FakeTwilio):
    """The fake Twilio, waking the shopper a message was sent to (pacing only).

    One condition per phone over one lock: a send wakes only its own shopper. (One shared
    condition woke all 50 shoppers on every send, and their wake-ups competed for this
    process's GIL with the shoppers timing their webhook acks.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.count: dict[str, int] = {}
        self.conds: dict[str, threading.Condition] = {}

    def _cond(self, phone: str) -> threading.Condition:
        cond = self.conds.get(phone)
        if cond is None:
            cond = self.conds[phone] = threading.Condition(self.lock)
        return cond

    def handle(self, req: Request) -> Reply:
        reply = super().handle(req)
        if reply[0] == 201:
            to = req.form.get("To", "").removeprefix("whatsapp:")
            with self.lock:
                self.count[to] = self.count.get(to, 0) + 1
                self._cond(to).notify_all()
        return reply

    def wait_for(self, phone: str, n: int, timeout: float) -> bool:
        """Wait until `phone` got `n` messages."""
        with self.lock:
            return self._cond(phone).wait_for(lambda: self.count.get(phone, 0) >= n, timeout)


@dataclass
class Run:
    """What the shoppers of one level measured on the client side."""

    latencies: list[float] = field(default_factory=list)  # bare Rasa: request time (ms)
    acks: list[float] = field(default_factory=list)  # pipeline: webhook response (ms)
    errors: list[str] = field(default_factory=list)
    first: float = float("inf")
    last: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, ended: float, ms: float, into: list[float]) -> None:
        with self.lock:
            into.append(ms)
            self.first, self.last = min(self.first, started), max(self.last, ended)


_phone_n = iter(range(1, 10**7))
_phone_lock = threading.Lock()


def fresh_phone() -> str:
    with _phone_lock:
        n = next(_phone_n)
    return f"+5732{int(time.time()) % 1000:03d}{n:05d}"


def shoppers(n: int, duration_s: float, talk: Callable[[str, str, int], None]) -> None:
    """Run `n` shoppers for `duration_s`; `talk(phone, text, index)` sends one message and
    returns when it was answered."""
    deadline = time.monotonic() + duration_s

    def shopper(k: int) -> None:
        conv = k
        while time.monotonic() < deadline:
            phone = fresh_phone()
            for i, text in enumerate(CONVERSATIONS[conv % len(CONVERSATIONS)], 1):
                if time.monotonic() >= deadline:
                    return
                talk(phone, text, i)
            conv += 1

    threads = [threading.Thread(target=shopper, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 4 * REPLY_TIMEOUT_S)


def bench_rasa(stack: FaultStack, n: int, duration_s: float) -> Run:
    run = Run()
    local = threading.local()
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    headers = {"Authorization": f"Bearer {RASA_TOKEN}"}

    def talk(phone: str, text: str, _i: int) -> None:
        if not hasattr(local, "http"):
            local.http = httpx.Client(timeout=REPLY_TIMEOUT_S)
        payload: dict[str, Any] = {
            "sender": f"demo:{phone}",
            "message": text,
            "metadata": {"idempotency_key": f"bench:{uuid.uuid4().hex}"},
        }
        t0 = time.perf_counter()
        try:
            resp = local.http.post(url, json=payload, headers=headers)
            ok = resp.status_code == 200 and bool(resp.json())
        except (httpx.HTTPError, ValueError) as exc:
            ok, resp = False, None
            run.errors.append(type(exc).__name__)
        t1 = time.perf_counter()
        if ok:
            run.add(t0, t1, (t1 - t0) * 1000, run.latencies)
        elif resp is not None:
            run.errors.append(f"http {resp.status_code}")

    shoppers(n, duration_s, talk)
    return run


def bench_pipeline(stack: FaultStack, twilio: NotifyingTwilio, n: int, duration_s: float) -> Run:
    run = Run()
    local = threading.local()
    url = f"{stack.app_url}/twilio/whatsapp"
    signed_url = f"{PUBLIC}/twilio/whatsapp"

    def talk(phone: str, text: str, i: int) -> None:
        if not hasattr(local, "http"):
            local.http = httpx.Client(timeout=30)
        sid = message_sid()
        form = {
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ProfileName": "Cliente",
            "WaId": phone.lstrip("+"),
            "Body": text,
            "To": f"whatsapp:{DEMO_NUMBER}",
            "From": f"whatsapp:{phone}",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
        }
        headers = {"X-Twilio-Signature": sign(signed_url, form)}
        t0 = time.perf_counter()
        try:
            resp = local.http.post(url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            run.errors.append(type(exc).__name__)
            return
        t1 = time.perf_counter()
        if resp.status_code != 200:
            run.errors.append(f"webhook {resp.status_code}")
            return
        run.add(t0, t1, (t1 - t0) * 1000, run.acks)
        if not twilio.wait_for(phone, i, REPLY_TIMEOUT_S):  # paces the shopper only
            run.errors.append("no reply")

    shoppers(n, duration_s, talk)
    return run


@dataclass
class DbStats:
    """What the database recorded for the turns of one level."""

    turns: int
    failed: int
    throughput: float
    reply: list[float]
    recorded: list[float]
    stages: dict[str, list[float]]


def _ms(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() * 1000


def db_stats(stack: FaultStack, after_id: int) -> DbStats:
    with stack.sf() as s:
        rows = s.execute(
            select(InboundMessage.received_at, ConversationLog, OutboundMessage.updated_at)
            .join(ConversationLog, ConversationLog.inbound_id == InboundMessage.id)
            .outerjoin(
                OutboundMessage,
                (OutboundMessage.inbound_id == InboundMessage.id) & (OutboundMessage.seq == 0),
            )
            .where(InboundMessage.id > after_id)
        ).all()
    reply = [_ms(r[0], r[2]) for r in rows if r[2] is not None]
    recorded = [_ms(r[0], r[1].created_at) for r in rows]
    stages = {k: [getattr(r[1], k) for r in rows if getattr(r[1], k) is not None] for k in STAGES}
    span = (
        (max(r[1].created_at for r in rows) - min(r[0] for r in rows)).total_seconds()
        if rows
        else 0.0
    )
    return DbStats(
        len(rows),
        sum(1 for r in rows if not r[1].success),
        len(rows) / span if span else 0.0,
        reply,
        recorded,
        stages,
    )


def app_log_size(stack: FaultStack) -> int:
    """Where the orchestrator's log ends now (the start of the next level's lines)."""
    return stack.latest_log("app").stat().st_size


def store_times(stack: FaultStack, offset: int) -> list[float]:
    """The webhook's own store time (`store_ms` of `twilio.inbound_stored`) since `offset`.

    Beside the client's ack it tells the server's part (thread hop, INSERT, commit) from
    the HTTP and scheduling around it.
    """
    out: list[float] = []
    with stack.latest_log("app").open("rb") as f:
        f.seek(offset)
        for line in f:
            if b"inbound_stored" not in line:
                continue
            try:
                out.append(float(json.loads(line)["store_ms"]))
            except (ValueError, KeyError, TypeError):
                continue
    return out


def max_inbound_id(stack: FaultStack) -> int:
    with stack.sf() as s:
        return int(s.scalar(select(func.max(InboundMessage.id))) or 0)


def memory_line(stack: FaultStack) -> str:
    parts = []
    for name, proc in (("rasa", stack.rasa), ("actions", stack.actions), ("app", stack.app)):
        if proc is not None and proc.poll() is None:
            rss, hwm, k = group_memory(proc.pid)
            parts.append(f"{name} {rss:.0f} MB (peak {hwm:.0f}, {k} proc)")
    rss, hwm, _ = group_memory(os.getpgid(0))
    parts.append(f"bench+fakes {rss:.0f} MB")
    return "RSS: " + ", ".join(parts)


# The acceptance targets of issue #14, printed next to the measured numbers.
TARGET_RATIO = 0.90  # pipeline throughput / bare Rasa throughput, at 16 and 50 shoppers
TARGET_ADDED_MS = 15.0  # reply p50 − bare Rasa p50 at 1 shopper
TARGET_ACK_P99_MS = 50.0  # webhook response p99 at 50 shoppers


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of the live processes of group `pgid` (and their reaped
    children)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            continue
    return total


def cpu_snapshot(stack: FaultStack) -> dict[str, float]:
    """CPU seconds so far of each process group of the stack and of this process tree."""
    out = {}
    for name, proc in (("rasa", stack.rasa), ("actions", stack.actions), ("app", stack.app)):
        if proc is not None and proc.poll() is None:
            out[name] = group_cpu_s(proc.pid)
    out["bench"] = group_cpu_s(os.getpgid(0))
    return out


def cpu_line(before: dict[str, float], after: dict[str, float], turns: int) -> str:
    """CPU ms per message of each process group between two snapshots."""
    if not turns:
        return "CPU per message: n/a"
    parts = [
        f"{k} {(after[k] - before.get(k, 0.0)) * 1000 / turns:.1f}"
        for k in ("rasa", "actions", "app", "bench")
        if k in after
    ]
    return "CPU ms per message: " + ", ".join(parts)


@dataclass
class Level:
    """One measured level of one repetition."""

    bare_tp: float
    bare_p50: float
    pipe_tp: float
    reply_p50: float
    ack_p99: float
    failed: int
    errors: int


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_targets(results: dict[int, list[Level]]) -> bool:
    """The acceptance targets with every repetition's number (and the spread); True when
    the median of the repetitions meets each target that was measured."""

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    print("\ntargets (issue #14; every repetition, median first):")
    rows: list[tuple[str, str, str, bool]] = []
    for n in (16, 50):
        if n in results:
            ratios = [lv.pipe_tp / lv.bare_tp for lv in results[n] if lv.bare_tp]
            med = median(ratios)
            rows.append(
                (
                    f"throughput at {n} shoppers",
                    f">= {TARGET_RATIO:.2f}x bare Rasa",
                    f"{med:.2f}x (runs: {', '.join(f'{r:.2f}' for r in ratios)})",
                    med >= TARGET_RATIO,
                )
            )
    if 1 in results:
        added = [lv.reply_p50 - lv.bare_p50 for lv in results[1]]
        med = median(added)
        rows.append(
            (
                "p50 added at 1 shopper",
                f"<= {TARGET_ADDED_MS:.0f} ms",
                f"{med:+.0f} ms (runs: {', '.join(f'{a:+.0f}' for a in added)})",
                med <= TARGET_ADDED_MS,
            )
        )
    if 50 in results:
        acks = [lv.ack_p99 for lv in results[50]]
        med = median(acks)
        rows.append(
            (
                "webhook ack p99 at 50 shoppers",
                f"<= {TARGET_ACK_P99_MS:.0f} ms",
                f"{med:.0f} ms (runs: {', '.join(f'{a:.0f}' for a in acks)})",
                med <= TARGET_ACK_P99_MS,
            )
        )
    for name, target, measured, ok in rows:
        print(f"  {verdict(ok)}  {name:32s} {target:22s} {measured}")
    failures = sum(lv.failed + lv.errors for levels in results.values() for lv in levels)
    print(f"  {verdict(failures == 0)}  {'failed turns + client errors':32s} {'0':22s} {failures}")
    return all(ok for *_, ok in rows) and failures == 0


def main() -> int:
    if "--fleet" in sys.argv[1:]:
        from scripts.bench_fleet import main as fleet_main

        return fleet_main([a for a in sys.argv[1:] if a != "--fleet"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--levels", default="1,16,50", help="concurrent shoppers")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    parser.add_argument(
        "--repeat", type=int, default=2, help="repetitions (bare and pipeline interleaved)"
    )
    parser.add_argument(
        "--worker-concurrency",
        default="",
        help="WORKER_CONCURRENCY values to run the pipeline with (default: the setting's)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument(
        "--baseline-root",
        type=Path,
        default=None,
        help="also run the orchestrator of this checkout (e.g. an export of main) on the"
        " same Rasa and action server, interleaved: a before/after comparison",
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    default_wc = Settings.model_fields["worker_concurrency"].default
    wcs = [int(x) for x in args.worker_concurrency.split(",")] if args.worker_concurrency else []
    wcs = wcs or [default_wc]
    model = trained_model_path()
    if model is None:
        print("no trained Rasa model for the current data: run `make train`", file=sys.stderr)
        return 2
    # Loading the model takes minutes while other Rasa processes share the two cores.
    rasa_conftest.STARTUP_TIMEOUT_S = max(rasa_conftest.STARTUP_TIMEOUT_S, 1800.0)
    started = time.monotonic()
    print(
        f"pipeline bench {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; machine: "
        f"{os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM; "
        f"load {load()}; model {Path(model).name}; levels {levels}, {args.duration:.0f} s "
        f"each, {args.repeat} repetitions; SQLite; fake LLM (echo)"
    )
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="tendero-bench-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite:///{workdir / 'tendero.db'}"
        engine = make_engine(db_url)
        upgrade(engine)
        sf = make_session_factory(engine)
        with session_scope(sf) as s:
            load_demo(s, admin_token="bench-admin-token")
        twilio, llm = NotifyingTwilio().start(), FakeLLM(mode="echo").start()
        stack = FaultStack(workdir, db_url, sf, twilio, llm)
        try:
            stack.start_actions()
            t0 = time.monotonic()
            stack.start_rasa()
            print(f"stack up (Rasa ready in {time.monotonic() - t0:.0f} s); {memory_line(stack)}")
            bench_rasa(stack, 1, 3)  # warm-up, not counted
            variants: list[tuple[str, Path]] = [("this checkout", ROOT)]
            if args.baseline_root is not None:
                variants.append((f"baseline {args.baseline_root}", args.baseline_root.resolve()))
            for wc in wcs:
                results: dict[str, dict[int, list[Level]]] = {name: {} for name, _ in variants}
                for rep in range(1, args.repeat + 1):
                    for name, root in variants:
                        start_app(stack, twilio, root, wc)
                        print(
                            f"\nrepetition {rep}/{args.repeat}, orchestrator of {name},"
                            f" WORKER_CONCURRENCY={wc} — ms: p50 p95 p99"
                        )
                        for n in levels:
                            results[name].setdefault(n, []).append(
                                run_level(stack, twilio, n, args)
                            )
                        print(f"  {memory_line(stack)}")
                        if stack.app is not None:
                            _stop(stack.app)
                            stack.app = None
                for name, _ in variants:
                    print(f"\n== orchestrator of {name}, WORKER_CONCURRENCY={wc}")
                    ok = print_targets(results[name])
                    all_ok = all_ok and (ok or name != variants[0][0])
        finally:
            stack.stop()
            twilio.stop()
            llm.stop()
            engine.dispose()
    print(f"\nload at the end: {load()}; bench took {time.monotonic() - started:.0f} s")
    print("all targets met" if all_ok else "some targets missed (MISS above)")
    return 1 if args.strict and not all_ok else 0


def start_app(stack: FaultStack, twilio: NotifyingTwilio, root: Path, wc: int) -> None:
    """Start the orchestrator of checkout `root` (this one, or a baseline) and warm it up."""
    saved = fault_stack.ROOT
    fault_stack.ROOT = root  # FaultStack spawns its processes in this directory
    try:
        stack.start_app({"WORKER_CONCURRENCY": str(wc)})
    finally:
        fault_stack.ROOT = saved
    bench_pipeline(stack, twilio, 1, 3)  # warm-up, not counted
    wait_until(lambda: stack.pending() == 0, 120, "warm-up drained")


def run_level(stack: FaultStack, twilio: NotifyingTwilio, n: int, args: Any) -> Level:
    """Bare Rasa, then the pipeline, at `n` shoppers; prints both."""
    before, cpu0 = load(), cpu_snapshot(stack)
    bare = bench_rasa(stack, n, args.duration)
    cpu1 = cpu_snapshot(stack)
    span = bare.last - bare.first
    bare_tp = len(bare.latencies) / span if span > 0 else 0.0
    bare_p50 = pct(bare.latencies, 50)
    print(
        f"  (a) bare Rasa, {n:3d} senders: {len(bare.latencies):5d} msgs {bare_tp:6.2f} msg/s"
        f" | latency {summary(bare.latencies)} | errors {len(bare.errors)}"
        f" | load {before} → {load()}"
    )
    print(f"      {cpu_line(cpu0, cpu1, len(bare.latencies))}")
    after_id, before, cpu0 = max_inbound_id(stack), load(), cpu_snapshot(stack)
    log_from = app_log_size(stack)
    run = bench_pipeline(stack, twilio, n, args.duration)
    wait_until(lambda: stack.pending() == 0, 180, "queue drained")
    cpu1 = cpu_snapshot(stack)
    st = db_stats(stack, after_id)
    ratio = st.throughput / bare_tp if bare_tp else float("nan")
    print(
        f"  (b) pipeline,  {n:3d} shoppers: {st.turns:5d} turns {st.throughput:6.2f} msg/s"
        f" (= {ratio:.2f} × bare Rasa) | failed {st.failed}"
        f" | client errors {len(run.errors)} | load {before} → {load()}"
    )
    print(f"      {'ack (client)':14s} {summary(run.acks)}")
    print(f"      {'store (server)':14s} {summary(store_times(stack, log_from))}")
    for k in STAGES:
        print(f"      {k:14s} {summary(st.stages[k])}")
    print(f"      {'reply (db)':14s} {summary(st.reply)}")
    print(f"      {'recorded (db)':14s} {summary(st.recorded)}")
    added = pct(st.reply, 50) - bare_p50
    print(f"      p50 reply − bare Rasa p50: {added:+.0f} ms")
    print(f"      {cpu_line(cpu0, cpu1, st.turns)}")
    return Level(
        bare_tp,
        bare_p50,
        st.throughput,
        pct(st.reply, 50),
        pct(run.acks, 99),
        st.failed,
        len(run.errors) + len(bare.errors),
    )


if __name__ == "__main__":
    raise SystemExit(main())
