"""Rasa kill -9 in the middle of the checkout form: after the restart the form resumes.

Rasa keeps conversations in its SQL tracker store (the stack's database), so a new Rasa
process on the same port picks the form up where it was: the cédula sent after the restart
is taken, the next field is asked and the order stays `recolectando_datos`. The time Rasa
needed to come back (kill → `/status` with the model loaded) is printed.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.models import Order
from tests.faults.stack import FaultStack, kill9, new_phone, wait_until
from tests.faults.test_faults import answered, assert_one_reply_set
from tests.stack import RASA_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

CEDULA = "1036998214"
CHECKOUT = [  # message → a word the answer must contain (lower case)
    ("quiero 2 mangueras", "manguera"),
    ("eso es todo", "manguera"),  # the cart summary, asks to confirm
    ("sí", "nombre"),  # confirmed: the form asks for the name
    ("Sebastián Mejía Duque", "cédula"),
]


def say(stack: FaultStack, phone: str, text: str, n: int, timeout: float = 60) -> str:
    """Send the `n`-th message of `phone` and return its answer (bounded wait)."""
    assert stack.post(phone, text).status_code == 200
    wait_until(lambda: answered(stack, phone, n), timeout, f"answer to {text!r}")
    return stack.answers(phone)[-1].body


def order_state(stack: FaultStack, phone: str) -> str | None:
    """The state of `phone`'s latest order."""
    with stack.sf() as s:
        return s.scalars(
            select(Order.state).where(Order.user_id == phone).order_by(Order.id.desc())
        ).first()


def tracker(stack: FaultStack, phone: str) -> dict[str, Any]:
    """`phone`'s Rasa tracker (slots, active loop)."""
    resp = httpx.get(
        f"{stack.rasa_url}/conversations/demo:{phone}/tracker",
        params={"token": RASA_TOKEN},
        timeout=10,
    )
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


def test_rasa_restart_mid_checkout_resumes_the_form(stack: FaultStack) -> None:
    phone = new_phone()
    for n, (text, expected) in enumerate(CHECKOUT, 1):
        answer = say(stack, phone, text, n)
        assert expected in answer.lower(), (text, answer)
    assert order_state(stack, phone) == "recolectando_datos"
    before = tracker(stack, phone)
    assert (before.get("active_loop") or {}).get("name") == "datos_cliente_form"
    assert before["slots"].get("requested_slot") == "cedula"
    port = stack.rasa_port

    killed = time.monotonic()
    kill9(stack.rasa)
    stack.start_rasa()  # same port, same SQL tracker store; bounded by the startup timeout
    up = time.monotonic() - killed
    assert stack.rasa_port == port

    sent = time.monotonic()
    answer = say(stack, phone, CEDULA, len(CHECKOUT) + 1, timeout=90)
    first_turn = time.monotonic() - sent
    print(
        f"\n[faults] Rasa kill -9 mid-checkout: /status ready {up:.1f} s after the kill,"
        f" first turn after the restart {first_turn:.1f} s"
    )
    assert "celular" in answer.lower(), answer  # the form asks the next field
    after = tracker(stack, phone)
    assert (after.get("active_loop") or {}).get("name") == "datos_cliente_form"
    assert after["slots"].get("cedula") == CEDULA
    assert after["slots"].get("nombre") == before["slots"].get("nombre")
    assert after["slots"].get("requested_slot") == "telefono"
    assert order_state(stack, phone) == "recolectando_datos"
    [(product, quantity)] = stack.cart(phone).items()
    assert "manguera" in product.lower() and quantity == 2
    assert_one_reply_set(stack, phone)
    assert stack.pending() == 0
