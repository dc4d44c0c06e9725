"""States, statuses and verdicts are StrEnums in `db.models`, shared by writers and readers;
the database keeps the same string values (no migration), and its CHECK constraints accept
exactly the enum's values."""

from __future__ import annotations

from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import (
    INBOUND_STATUSES,
    ORDER_STATES,
    OUTBOUND_STATUSES,
    GuardVerdict,
    InboundMessage,
    InboundStatus,
    Order,
    OrderState,
    OutboundMessage,
    OutboundStatus,
)
from db.notifications import NotifyStatus
from db.order_states import OrderStateError, transition
from orchestrator import queue
from tests.factories import make_shop

# What rows already in production databases hold.
STORED_VALUES: dict[type[StrEnum], list[str]] = {
    OrderState: [
        "iniciada",
        "pendiente",
        "recolectando_datos",
        "cerrada",
        "pagada",
        "enviada",
        "entregada",
        "devuelta",
        "cancelada",
    ],
    InboundStatus: ["received", "processing", "done", "failed"],
    OutboundStatus: [
        "queued",
        "sending",
        "sent",
        "delivered",
        "read",
        "undelivered",
        "failed",
        "recorded",
        "needs_template",
        "opted_out",
    ],
    GuardVerdict: ["passed", "rejected", "timeout", "error"],
}


@pytest.mark.parametrize("enum", list(STORED_VALUES), ids=lambda e: e.__name__)
def test_the_stored_values_are_unchanged(enum: type[StrEnum]) -> None:
    assert [m.value for m in enum] == STORED_VALUES[enum]


def test_the_tuples_are_the_enums() -> None:
    assert tuple(OrderState) == ORDER_STATES
    assert tuple(InboundStatus) == INBOUND_STATUSES
    assert tuple(OutboundStatus) == OUTBOUND_STATUSES
    assert {s.value for s in NotifyStatus} <= {s.value for s in OutboundStatus}


def test_the_check_constraints_name_each_value_as_a_plain_string() -> None:
    checks = {
        table.name: " ".join(
            str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)
        )
        for table in (Order.__table__, InboundMessage.__table__, OutboundMessage.__table__)
        if isinstance(table, Table)
    }
    assert all(f"'{s}'" in checks["orders"] for s in STORED_VALUES[OrderState])
    assert all(f"'{s}'" in checks["inbound_messages"] for s in STORED_VALUES[InboundStatus])
    assert all(f"'{s}'" in checks["outbound_messages"] for s in STORED_VALUES[OutboundStatus])
    assert "<" not in "".join(checks.values())  # no enum reprs


def test_queue_statuses_from_the_writer_to_the_reader(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        shop = make_shop(s, slug="enums")
        stored = queue.store_inbound(
            s, provider="chat", provider_message_id="m1", shop_id=shop.id, from_number="u1"
        )
        s.commit()
        assert s.scalar(select(InboundMessage.status)) == InboundStatus.RECEIVED == "received"
        assert queue.pending_count(s) == 1
        assert queue.claim(s, "w1", limit=1) == [stored.id]
        s.commit()
        assert s.scalar(select(InboundMessage.status)) == "processing"
        queue.finish(s, stored.id, ok=True)
        s.commit()
        assert s.scalar(select(InboundMessage.status)) == "done"
        assert queue.pending_count(s) == 0
        with pytest.raises(IntegrityError):
            s.execute(
                insert(InboundMessage).values(
                    provider="chat", provider_message_id="m2", from_number="u1", status="hecho"
                )
            )


def test_order_states_round_trip_as_their_values(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        shop = make_shop(s, slug="enums-orders")
        order = Order(shop_id=shop.id, user_id="chat:u1")
        s.add(order)
        s.flush()
        assert order.state == OrderState.INICIADA
        transition(order, OrderState.PENDIENTE)
        transition(order, "iniciada")  # a plain string from an older caller still works
        s.commit()
        s.expire_all()
        assert s.scalar(select(Order.state)) == "iniciada"
        with pytest.raises(OrderStateError, match="'iniciada' cannot go to 'cerrada'"):
            transition(order, OrderState.CERRADA)
