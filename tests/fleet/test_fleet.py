"""What must hold in the fleet: 50 shoppers × 6 turns over signed webhooks, 2 of everything.

Half the shoppers wait for each answer (closed loop); the other half send their six
messages back to back, so a conversation has several messages queued while two
orchestrators and two Rasa replicas work. Webhooks alternate between the two orchestrators
(a dead one's share goes to the other, as the proxy would). Checked per shopper: six
inbound rows, all done; one reply set per message (`assert_one_reply_set` of the fault
suite); replies sent in the order of the messages; Rasa's tracker holds the messages in
order; the cart equals what was asked. The second test kill -9s one Rasa replica and one
orchestrator in the middle: the rest finishes, nothing lost. Numbers are printed.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from db.models import InboundMessage, OutboundMessage
from tests.fakes.twilio import message_sid
from tests.faults.stack import FaultStack, wait_until
from tests.faults.test_faults import ESCOBA, assert_one_reply_set
from tests.fleet.stack import Fleet

pytestmark = [pytest.mark.e2e, pytest.mark.fleet, pytest.mark.timeout(3000)]

SHOPPERS = 50
SCRIPT = [
    "hola",
    "tienen escobas?",
    "quiero 3 escobas",
    "quiero 2 mangueras",
    "que llevo en el carrito",
    "gracias",
]
MANGUERA = "Manguera para jardín 15 m con pistola"
EXPECTED_CART = {ESCOBA: 3, MANGUERA: 2}
DRAIN_TIMEOUT_S = 480.0


@dataclass
class Shopper:
    """One phone, the sids of its messages in sending order, who acknowledged each."""

    phone: str
    burst: bool
    sids: list[str] = field(default_factory=list)
    acked_by: list[int] = field(default_factory=list)
    error: str | None = None


def _post(fleet: Fleet, shopper: Shopper, body: str, sid: str, prefer: int) -> None:
    """POST the webhook to orchestrator `prefer`, the other one when it does not answer;
    Twilio-like retries with the same sid until a 200."""
    deadline = time.monotonic() + 120
    n = len(fleet.slots)
    attempt = 0
    while time.monotonic() < deadline:
        slot = (prefer + attempt) % n
        attempt += 1
        try:
            if fleet.slots[slot].post(shopper.phone, body, sid, timeout=20).status_code == 200:
                shopper.acked_by.append(slot)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2 if attempt % n else 1.0)
    raise AssertionError(f"webhook {sid} never accepted")


def _answered(front: FaultStack, phone: str) -> int:
    with front.sf() as s:
        return len(
            s.scalars(
                select(InboundMessage.id).where(
                    InboundMessage.from_number == phone, InboundMessage.status == "done"
                )
            ).all()
        )


def _talk(fleet: Fleet, shopper: Shopper, index: int) -> None:
    try:
        for k, body in enumerate(SCRIPT):
            sid = message_sid()
            shopper.sids.append(sid)
            _post(fleet, shopper, body, sid, prefer=(index + k) % len(fleet.slots))
            if not shopper.burst:
                wait_until(lambda k=k: _answered(fleet.front, shopper.phone) > k, 240, "an answer")
    except Exception as exc:  # reported by the main thread
        shopper.error = f"{type(exc).__name__}: {exc}"


def _done_total(front: FaultStack, phones: set[str]) -> int:
    with front.sf() as s:
        rows = s.scalars(
            select(InboundMessage.from_number).where(InboundMessage.status == "done")
        ).all()
    return sum(1 for p in rows if p in phones)


def _new_phones(run: str) -> list[str]:
    return [f"+57310{run}{i:03d}" for i in range(SHOPPERS)]


def _run_shoppers(
    fleet: Fleet, run: str, midway: object = None
) -> tuple[list[Shopper], float, int]:
    """Run the shoppers; call `midway()` once 40 % of the messages are answered. Returns
    the shoppers, the seconds until every message was answered and the turns per slot."""
    shoppers = [Shopper(p, burst=i % 2 == 1) for i, p in enumerate(_new_phones(run))]
    phones = {s.phone for s in shoppers}
    total = SHOPPERS * len(SCRIPT)
    seen_before = [len(_turns_done(fleet, i)) for i in range(len(fleet.slots))]
    start = time.monotonic()
    threads = [
        threading.Thread(target=_talk, args=(fleet, s, i), daemon=True)
        for i, s in enumerate(shoppers)
    ]
    for t in threads:
        t.start()
    if callable(midway):
        wait_until(lambda: _done_total(fleet.front, phones) >= total * 0.4, 300, "40 % answered")
        midway()
    wait_until(lambda: _done_total(fleet.front, phones) == total, DRAIN_TIMEOUT_S, "all answered")
    elapsed = time.monotonic() - start
    for t in threads:
        t.join(timeout=60)
    errors = [f"{s.phone}: {s.error}" for s in shoppers if s.error]
    assert not errors, errors[:5]
    turns = [len(_turns_done(fleet, i)) - seen_before[i] for i in range(len(fleet.slots))]
    return shoppers, elapsed, sum(turns)


def _turns_done(fleet: Fleet, i: int) -> list[str]:
    """`turn.done` log lines of slot `i`'s orchestrators (every start of it)."""
    lines: list[str] = []
    for log in fleet.slots[i].workdir.glob("app-*.log"):
        lines += [ln for ln in log.read_text(errors="replace").splitlines() if "turn.done" in ln]
    return lines


def _check_shopper(fleet: Fleet, shopper: Shopper) -> Counter[str]:
    """Assert what must hold for one shopper; returns counters for the printed summary."""
    front, phone = fleet.front, shopper.phone
    counts: Counter[str] = Counter()
    rows = sorted(front.inbound(phone), key=lambda r: r.id)
    assert [r.provider_message_id for r in rows] == shopper.sids, phone  # stored once, in order
    assert all(r.status == "done" for r in rows), [(r.id, r.status, r.error) for r in rows]
    assert_one_reply_set(front, phone)
    answers = [a for a in front.answers(phone) if a.seq >= 0]
    assert {a.inbound_id for a in answers} == {r.id for r in rows}, phone  # each answered
    assert all(a.provider_sid for a in answers), phone
    # Replies reach the shopper in the order of the messages: the fake Twilio's log order.
    order = {a.provider_sid: a.inbound_id for a in answers}
    sent = [order[s.sid] for s in front.twilio.sent if s.sid in order]
    assert sent == sorted(sent), (phone, sent)
    # Rasa saw the messages in order (no interleaving across replicas).
    keys = [k for k in front.tracker_keys(phone) if k]
    expected = [f"twilio:{sid}" for sid in shopper.sids]
    deduped = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
    assert deduped == expected, (phone, keys)
    counts["tracker_repeats"] += len(keys) - len(deduped)
    assert front.cart(phone) == EXPECTED_CART, (phone, front.cart(phone))
    counts["holds"] += sum(1 for a in front.answers(phone) if a.seq < 0)
    counts["retried"] += sum(1 for r in rows if r.attempts > 1)
    return counts


def _outbound_count(front: FaultStack, phones: set[str]) -> int:
    with front.sf() as s:
        rows = s.scalars(select(OutboundMessage.to_number)).all()
    return sum(1 for p in rows if p in phones)


def _report(label: str, fleet: Fleet, shoppers: list[Shopper], elapsed: float, turns: int) -> None:
    totals: Counter[str] = Counter()
    for shopper in shoppers:
        totals += _check_shopper(fleet, shopper)
    acks = Counter(slot for s in shoppers for slot in s.acked_by)
    n = SHOPPERS * len(SCRIPT)
    phones = {s.phone for s in shoppers}
    print(
        f"\n[fleet] {label}: {SHOPPERS} shoppers × {len(SCRIPT)} turns = {n} messages, "
        f"{n} answered exactly once in {elapsed:.1f} s ({n / elapsed:.1f} msg/s); "
        f"webhooks acked per orchestrator {dict(sorted(acks.items()))}; turn.done logged "
        f"{turns}; outbound rows {_outbound_count(fleet.front, phones)} "
        f"(holds {totals['holds']}); retried turns {totals['retried']}; tracker repeats "
        f"{totals['tracker_repeats']}; carts {SHOPPERS}/{SHOPPERS} == {EXPECTED_CART}; "
        f"load {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def test_fleet_every_message_answered_once_in_order(fleet: Fleet) -> None:
    run = f"{int(time.time()) % 1000:03d}1"
    shoppers, elapsed, turns = _run_shoppers(fleet, run)
    _report("all replicas up", fleet, shoppers, elapsed, turns)
    acks = Counter(slot for s in shoppers for slot in s.acked_by)
    assert set(acks) == set(range(len(fleet.slots)))  # both orchestrators took webhooks
    assert all(_turns_done(fleet, i) for i in range(len(fleet.slots)))  # both worked turns


def test_fleet_survives_a_rasa_replica_and_an_orchestrator_killed(fleet: Fleet) -> None:
    run = f"{int(time.time()) % 1000:03d}2"
    killed = {"start": time.monotonic()}

    def kill() -> None:
        killed["at"] = time.monotonic()
        fleet.kill_rasa(0)
        fleet.kill_app(1)

    # The last test of the session: the fleet is torn down after it, so the killed
    # processes are not restarted (a Rasa replica costs a minute or more to start).
    shoppers, elapsed, turns = _run_shoppers(fleet, run, midway=kill)
    _report("Rasa replica 1 and orchestrator 2 kill -9'd at 40 %", fleet, shoppers, elapsed, turns)
    assert fleet.slots[0].rasa is not None and fleet.slots[0].rasa.poll() is not None
    assert fleet.slots[1].app is not None and fleet.slots[1].app.poll() is not None
    assert fleet.front.pending() == 0
    print(f"[fleet] killed at {killed['at'] - killed['start']:.1f} s into the run")
