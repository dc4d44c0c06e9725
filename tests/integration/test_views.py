"""The analytics views give the hand-computed numbers on SQLite and PostgreSQL.

Data: tests/integration/admin/data.py. Shop A, day 2026-11-20: turns t1..t5 (t5 has no
total_ms); day 2026-11-21: t6 (20:00 Bogotá = 01:00 UTC), t7, t8. Shop B: t9.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import analytics
from db.migrate import current_revision, downgrade, upgrade
from db.session import make_engine, make_session_factory
from tests.integration.admin.data import Known, at, log_turn, seed_known

approx = pytest.approx


@pytest.fixture
def known(session: Session) -> Known:
    return seed_known(session)


def _rows(session: Session, view: Any, shop_id: int) -> list[dict[str, Any]]:
    return analytics.stats_rows(session, view, shop_id)


def test_conversation_stats_per_shop_and_utc_day(session: Session, known: Known) -> None:
    rows = analytics.conversation_days(session, known.shop_a.id)
    assert [r["day"] for r in rows] == [date(2026, 11, 20), date(2026, 11, 21)]
    day1, day2 = rows
    assert day1 == {
        "shop_id": known.shop_a.id, "day": date(2026, 11, 20), "turns": 5, "unique_users": 2,
        "success_rate": approx(0.8), "fallbacks": 2, "fallback_rate": approx(0.4),
        "guard_rejections": 1, "avg_total_ms": approx(250.0),
        # percentile_cont(0.95) of 100, 200, 300, 400: 300 + 0.85 * 100 (t5's NULL ignored)
        "p95_total_ms": approx(385.0),
    }  # fmt: skip
    assert day2 == {
        "shop_id": known.shop_a.id, "day": date(2026, 11, 21), "turns": 3, "unique_users": 2,
        "success_rate": approx(2 / 3), "fallbacks": 0, "fallback_rate": approx(0.0),
        "guard_rejections": 1, "avg_total_ms": approx(400.0),
        "p95_total_ms": approx(150 + 0.9 * 850),  # of 50, 150, 1000
    }  # fmt: skip
    (b,) = analytics.conversation_days(session, known.shop_b.id)
    assert (b["turns"], b["unique_users"], b["p95_total_ms"]) == (1, 1, approx(10.0))


def test_conversation_stats_date_filter(session: Session, known: Known) -> None:
    only = analytics.conversation_days(
        session, known.shop_a.id, date(2026, 11, 21), date(2026, 11, 21)
    )
    assert [r["turns"] for r in only] == [3]
    assert analytics.conversation_days(session, known.shop_a.id, date(2026, 12, 1)) == []


def test_p95_matches_percentile_cont_on_many_values(session: Session, known: Known) -> None:
    """Twenty-one turns 1..21 ms on one day: p95 = 20 exactly, on either backend."""
    from tests.integration.admin.data import log_turn

    for ms in range(21, 0, -1):
        log_turn(session, known.shop_b, f"x{ms % 4}", at(25, 8, ms), total_ms=float(ms))
    session.commit()
    (row,) = analytics.conversation_days(
        session, known.shop_b.id, date(2026, 11, 25), date(2026, 11, 25)
    )
    assert row["turns"] == 21 and row["unique_users"] == 4
    assert row["p95_total_ms"] == approx(20.0)
    assert row["avg_total_ms"] == approx(11.0)


def test_intent_stats(session: Session, known: Known) -> None:
    rows = {r["intent"]: r for r in _rows(session, analytics.intent_stats, known.shop_a.id)}
    assert set(rows) == {"saludar", "consultar_inventario", "nlu_fallback", "comprar", "ver_pedido"}
    expected = {  # turns, avg confidence, fallback-or-error turns, share
        "saludar": (2, 0.945, 0, 0.0),
        "consultar_inventario": (2, 0.7, 1, 0.5),  # t5 hit action_default_fallback
        "nlu_fallback": (1, 0.3, 1, 1.0),
        "comprar": (2, 0.825, 2, 1.0),  # both failed
        "ver_pedido": (1, 0.85, 1, 1.0),  # success but an error_type (LLMError)
    }
    for intent, (turns, conf, bad, share) in expected.items():
        r = rows[intent]
        assert (r["turns"], r["fallback_or_error"]) == (turns, bad), intent
        assert r["avg_confidence"] == approx(conf) and r["fallback_or_error_rate"] == approx(share)
    b = _rows(session, analytics.intent_stats, known.shop_b.id)
    assert [(r["intent"], r["turns"]) for r in b] == [("saludar", 1)]


def test_intent_stats_counts_grounded_turns(session: Session, known: Known) -> None:
    """A turn the catalog-grounded check handed to a real action is counted."""
    log_turn(
        session,
        known.shop_b,
        "+573005550000",
        at(20, 10),
        intent="fuera_de_alcance",
        actions=["action_interpretar", "action_buscar_producto"],
        facts={"products": []},
    )
    log_turn(session, known.shop_b, "+573005550000", at(20, 11), intent="fuera_de_alcance")
    session.commit()
    rows = {r["intent"]: r for r in _rows(session, analytics.intent_stats, known.shop_b.id)}
    assert (rows["fuera_de_alcance"]["turns"], rows["fuera_de_alcance"]["grounded_turns"]) == (2, 1)
    assert rows["saludar"]["grounded_turns"] == 0


def test_error_stats(session: Session, known: Known) -> None:
    rows = _rows(session, analytics.error_stats, known.shop_a.id)
    assert [(r["error_type"], r["count"]) for r in rows] == [("RasaTimeout", 2), ("LLMError", 1)]
    timeout, llm = rows
    assert timeout["first_seen"] == at(20, 10, 3)
    assert timeout["last_seen"] == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert timeout["example_turn_id"] == known.turns["t6"].turn_id  # the newest one
    assert llm["first_seen"] == llm["last_seen"] == at(21, 12, 0)
    assert llm["example_turn_id"] == known.turns["t7"].turn_id
    assert _rows(session, analytics.error_stats, known.shop_b.id) == []


def test_user_conversation_stats(session: Session, known: Known) -> None:
    rows = {r["user_id"]: r for r in _rows(session, analytics.user_conversation_stats,
                                           known.shop_a.id)}  # fmt: skip
    u1, u2, u3 = rows["u1"], rows["u2"], rows["u3"]
    # u1: 6 turns; closed orders o1 (30 000) and o2 (12 000); cancelled/pending ignored.
    assert (u1["turns"], u1["orders"], u1["spend"]) == (6, 2, 42000)
    assert (u1["first_seen"], u1["last_seen"]) == (at(20, 10, 0), at(21, 12, 0))
    assert (u2["turns"], u2["orders"], u2["spend"]) == (1, 0, 0)
    assert (u3["turns"], u3["orders"], u3["spend"]) == (1, 1, 7000)
    (b,) = _rows(session, analytics.user_conversation_stats, known.shop_b.id)
    assert (b["user_id"], b["turns"], b["orders"], b["spend"]) == ("u1", 1, 1, 99999)


def test_pg_function_get_user_conversation_stats(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        with make_session_factory(engine)() as session:
            known = seed_known(session)
            rows = session.execute(
                text("SELECT * FROM get_user_conversation_stats(:u)"), {"u": "u1"}
            ).all()
        assert [tuple(r) for r in rows] == [
            (known.shop_a.id, 6, at(20, 10, 0), at(21, 12, 0), 2, 42000),
            (known.shop_b.id, 1, at(20, 9, 0), at(20, 9, 0), 1, 99999),
        ]
    finally:
        engine.dispose()


def test_sales_dashboard(session: Session, known: Known) -> None:
    d = analytics.sales_dashboard(session, known.shop_a.id)
    assert (d.orders, d.revenue) == (3, 49000)
    assert d.average_order_value == approx(49000 / 3)
    assert d.per_day == [
        {"day": date(2026, 11, 20), "orders": 1, "revenue": 30000},
        {"day": date(2026, 11, 21), "orders": 2, "revenue": 19000},
    ]
    assert [(p["name"], p["quantity"], p["revenue"]) for p in d.top_products] == [
        ("Arroz Diana 5 kg", 4, 40000), ("Café Sello Rojo", 1, 7000), ("Jabón Rey", 1, 2000),
    ]  # fmt: skip
    assert (d.users_with_conversations, d.users_with_closed_orders) == (3, 2)
    assert d.conversion_rate == approx(2 / 3)
    day2 = analytics.sales_dashboard(
        session, known.shop_a.id, date(2026, 11, 21), date(2026, 11, 21)
    )
    assert (day2.orders, day2.revenue, day2.conversion_rate) == (2, 19000, approx(1.0))
    b = analytics.sales_dashboard(session, known.shop_b.id)
    assert (b.orders, b.revenue, b.conversion_rate) == (1, 99999, approx(1.0))


def test_views_survive_downgrade_to_base_and_upgrade(db_url: str) -> None:
    engine: Engine = make_engine(db_url)
    try:
        downgrade(engine, "0001")
        with engine.connect() as conn, pytest.raises(Exception, match="conversation_stats"):
            conn.execute(text("SELECT * FROM conversation_stats"))
        downgrade(engine, "base")
        assert current_revision(engine) is None
        upgrade(engine)
        with engine.connect() as conn:
            for view in analytics.views.tables:
                assert conn.execute(text(f"SELECT COUNT(*) FROM {view}")).scalar() == 0
    finally:
        engine.dispose()
