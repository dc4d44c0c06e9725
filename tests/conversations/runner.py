"""Play scripted shopper conversations over signed WhatsApp webhooks; check the outcome.

Each conversation (YAML under `dev/` or `heldout/`) is a list of shopper turns and the
outcome expected in the database: the order's final state and exact items (by SKU), the
client data saved, and "not available" answers for products the shop does not sell.
Conversations run concurrently (one phone each); turns of one conversation in order.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Client, ConversationLog, Order, Shop
from tests.e2e.harness import send_whatsapp, turn_logs, wait_for

HERE = Path(__file__).resolve().parent
OPEN_STATES = ("iniciada", "pendiente", "recolectando_datos")


@dataclass
class Conversation:
    """One scripted conversation and its expected outcome."""

    id: str
    shop: str
    phone: str
    turns: list[str]
    expect: dict[str, Any]
    notes: str = ""


@dataclass
class Outcome:
    """What happened: the failures (cause → detail) and the transcript."""

    conversation: Conversation
    failures: dict[str, str] = field(default_factory=dict)
    transcript: str = ""
    turn_ms: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load(split: str, shop: str | None = None) -> list[Conversation]:
    """The conversations of `split` (`dev` or `heldout`), optionally of one shop."""
    out: list[Conversation] = []
    for path in sorted((HERE / split).glob("*.yml")):
        for c in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            if shop is None or c["shop"] == shop:
                out.append(
                    Conversation(
                        c["id"], c["shop"], c["phone"], c["turns"], c["expect"], c.get("notes", "")
                    )
                )
    return out


def fold(text: Any) -> str:
    """Case-, accent- and space-insensitive form for comparing typed data."""
    norm = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(norm.lower().replace(",", " ").split())


def play(client: TestClient, sf: sessionmaker[Session], conv: Conversation) -> Outcome:
    """Send every turn (waiting for each answer) and compare the outcome."""
    with sf() as s:
        shop = s.scalars(select(Shop).where(Shop.slug == conv.shop)).one()
        shop_id, number = shop.id, shop.whatsapp_number
    outcome = Outcome(conv)
    for n, text in enumerate(conv.turns, start=1):
        send_whatsapp(client, conv.phone, text, to=number)
        try:
            wait_for(lambda n=n: len(turn_logs(sf, conv.phone)) >= n, timeout=90)
        except AssertionError:
            outcome.failures["no_answer"] = f"turn {n} {text!r} got no answer"
            break
    logs = turn_logs(sf, conv.phone)
    outcome.turn_ms = [lg.total_ms for lg in logs if lg.total_ms is not None]
    outcome.transcript = "\n".join(
        f"  > {lg.message}\n    [{lg.intent} {lg.confidence and round(lg.confidence, 2)}"
        f" {','.join(a for a in lg.actions if not a.startswith('action_listen'))}]"
        f" {(lg.final_reply or '').replace(chr(10), ' | ')[:300]}"
        for lg in logs
    )
    if any(not lg.success for lg in logs):
        outcome.failures["error"] = ", ".join(str(lg.error_type) for lg in logs if not lg.success)
    _check(sf, shop_id, conv, logs, outcome)
    return outcome


def _check(
    sf: sessionmaker[Session],
    shop_id: int,
    conv: Conversation,
    logs: list[ConversationLog],
    outcome: Outcome,
) -> None:
    expect = conv.expect
    with sf() as s:
        orders = list(
            s.scalars(
                select(Order)
                .where(Order.shop_id == shop_id, Order.user_id == conv.phone)
                .order_by(Order.id)
            )
        )
        with_items = [o for o in orders if o.items]
        order = with_items[-1] if with_items else None
        state = order.state if order else "ninguna"
        items = {i.product.sku: i.quantity for i in order.items} if order else {}
        client = s.get(Client, order.client_id) if order is not None and order.client_id else None
        delivery = dict(order.delivery or {}) if order is not None else {}
        if client is not None:
            delivery = {
                "name": client.name,
                "cedula": client.cedula,
                "phone": client.phone,
                "email": client.email,
                "address": client.address,
                "barrio": client.barrio,
                **{k: v for k, v in delivery.items() if v},
            }
    wanted = expect.get("order", "ninguna")
    got = "abierta" if state in OPEN_STATES else state
    if got != wanted:
        outcome.failures["order_state"] = f"expected {wanted}, got {state}"
    if wanted != "ninguna" and items != {k: int(v) for k, v in (expect.get("items") or {}).items()}:
        outcome.failures["items"] = f"expected {expect.get('items')}, got {items}"
    fields = {
        "nombre": "name",
        "cedula": "cedula",
        "telefono": "phone",
        "email": "email",
        "direccion": "address",
        "barrio": "barrio",
    }
    for key, value in (expect.get("client") or {}).items():
        have = delivery.get(fields[key])
        if value is None:
            if have not in (None, "", "no_tiene"):
                outcome.failures.setdefault("client", "")
                outcome.failures["client"] += f" {key}: expected none, got {have!r};"
        elif fold(have) != fold(value):
            outcome.failures.setdefault("client", "")
            outcome.failures["client"] += f" {key}: expected {value!r}, got {have!r};"
    for missing in expect.get("not_available") or []:
        said = any(_said_unavailable(lg) for lg in logs)
        if not said:
            outcome.failures["not_available"] = f"never said {missing!r} is not available"


def _said_unavailable(log: ConversationLog) -> bool:
    facts = log.facts or {}
    return facts.get("available") is False or ("query" in facts and facts.get("products") == [])


def run_all(
    client: TestClient,
    sf: sessionmaker[Session],
    conversations: list[Conversation],
    workers: int = 4,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Play all conversations, `workers` at a time."""
    results: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for outcome in pool.map(lambda c: play(client, sf, c), conversations):
            results.append(outcome)
            if progress:
                progress(outcome)
    return results


def report(title: str, outcomes: list[Outcome], show_failures: bool = True) -> str:
    """`conversations: P/N passed`, per shop, failures grouped by cause, turn latency."""
    lines = []
    passed = sum(o.passed for o in outcomes)
    lines.append(f"{title} conversations: {passed}/{len(outcomes)} passed")
    for shop in sorted({o.conversation.shop for o in outcomes}):
        mine = [o for o in outcomes if o.conversation.shop == shop]
        lines.append(f"  {shop}: {sum(o.passed for o in mine)}/{len(mine)}")
    causes = Counter(cause for o in outcomes for cause in o.failures)
    if causes:
        lines.append(
            "  failures by cause: " + ", ".join(f"{k} {v}" for k, v in causes.most_common())
        )
    ms = [t for o in outcomes for t in o.turn_ms]
    if ms:
        lines.append(
            f"  turn latency: median {statistics.median(ms):.0f} ms, "
            f"p95 {sorted(ms)[int(0.95 * (len(ms) - 1))]:.0f} ms over {len(ms)} turns"
        )
    if show_failures:
        for o in outcomes:
            if not o.passed:
                c = o.conversation
                lines.append(f"\n- {c.id} ({c.notes})")
                lines.extend(f"    {k}: {v}" for k, v in o.failures.items())
                lines.append(o.transcript)
    return "\n".join(lines)
