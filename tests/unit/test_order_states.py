"""The one table of order states: every state has a row and a label, nothing goes back to
the sale, and `advance` only reaches fulfilment states."""

from __future__ import annotations

import pytest

from db.models import ORDER_STATES, Order
from db.order_states import (
    FULFILMENT_STATES,
    LABELS,
    NOTICES,
    OPEN_STATES,
    SOLD_STATES,
    TRANSITIONS,
    OrderStateError,
    allowed,
    transition,
)


def test_every_state_has_transitions_and_a_label() -> None:
    assert set(TRANSITIONS) == set(ORDER_STATES) == set(LABELS)
    assert set(NOTICES) == set(FULFILMENT_STATES)


def test_fulfilment_never_returns_to_the_sale() -> None:
    for state in ("cerrada", *FULFILMENT_STATES):
        assert not TRANSITIONS[state] & {*OPEN_STATES, "cerrada", "cancelada"}
    assert TRANSITIONS["devuelta"] == TRANSITIONS["cancelada"] == frozenset()
    assert "devuelta" not in SOLD_STATES and "cancelada" not in SOLD_STATES


def test_allowed_is_in_contract_order() -> None:
    assert allowed("cerrada") == ["pagada", "enviada", "entregada"]
    assert allowed("enviada") == ["entregada", "devuelta"]
    assert allowed("inventado") == []


def test_transition_raises_on_an_illegal_move() -> None:
    order = Order(state="entregada")
    with pytest.raises(OrderStateError) as err:
        transition(order, "enviada")
    assert (err.value.state, err.value.wanted) == ("entregada", "enviada")
    transition(order, "devuelta")
    assert order.state == "devuelta"
