"""Orders after the sale and catalog edits through the admin API (SQLite and PostgreSQL):
who and when, 409 for illegal transitions, 422 for bad input, the buyer notified through
`notify`, low-stock alerts to the staff, the search's change stamp moving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.search.service import catalog_stamp
from db.models import (
    InboundMessage,
    Order,
    OrderEvent,
    OutboundMessage,
    ProductChange,
    Shop,
    utcnow,
)
from tests.factories import make_product
from tests.fakes.twilio import message_sid
from tests.integration.admin.data import TOKEN_A, TOKEN_B, Known, at, make_order

BUYER = "+573001234567"
STAFF = "+573001112233"  # the factory's staff phone
SID = "HX" + "cd" * 16


def _state(client: TestClient, order_id: int, body: dict[str, Any], token: str = TOKEN_A) -> Any:
    return client.post(
        f"/admin/orders/{order_id}/state", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def _patch(client: TestClient, product_id: int, body: dict[str, Any], token: str = TOKEN_A) -> Any:
    return client.patch(
        f"/admin/products/{product_id}", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def _phone_order(sf: sessionmaker[Session], known: Known, *, hours_ago: float | None) -> int:
    """A closed order of BUYER in shop A; BUYER last wrote `hours_ago` hours ago (or never)."""
    with sf() as s:
        shop = s.get(Shop, known.shop_a.id)
        assert shop is not None
        product = make_product(s, shop, name="Manguera 10 m", price=25000, stock=9)
        order = make_order(
            s, shop, BUYER, "cerrada", [(product, 1)], at(21, 9), closed_at=at(21, 9, 5)
        )
        if hours_ago is not None:
            s.add(
                InboundMessage(
                    shop_id=shop.id,
                    provider="twilio",
                    provider_message_id=message_sid(),
                    from_number=BUYER,
                    to_number=shop.whatsapp_number,
                    status="done",
                    received_at=utcnow() - timedelta(hours=hours_ago),
                )
            )
        s.commit()
        return order.id


def test_closed_order_moves_to_enviada_with_who_when_and_a_text_notice(
    client: TestClient, known: Known, session_factory: sessionmaker[Session]
) -> None:
    order_id = _phone_order(session_factory, known, hours_ago=2)
    res = _state(client, order_id, {"state": "enviada", "actor": "Ana", "note": "Servientrega"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["state"], body["changed"], body["state_label"]) == ("enviada", True, "enviado 🚚")
    assert body["allowed_states"] == ["entregada", "devuelta"]
    assert body["event"]["from_state"] == "cerrada" and body["event"]["actor"] == "admin:Ana"
    note = body["notification"]
    assert (note["status"], note["in_window"], note["content_sid"]) == ("queued", True, None)
    with session_factory() as s:
        assert s.get(Order, order_id).state == "enviada"  # type: ignore[union-attr]
        [event] = s.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)).all()
        assert (event.to_state, event.note, event.created_at is not None) == (
            "enviada",
            "Servientrega",
            True,
        )
        row = s.get(OutboundMessage, note["outbound_id"])
        assert row is not None and row.kind == "order_status" and row.to_number == BUYER
        assert f"#{order_id}" in row.body and row.status == "queued"
    detail = client.get(f"/admin/orders/{order_id}", headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert [e["to_state"] for e in detail.json()["events"]] == ["enviada"]
    assert detail.json()["allowed_states"] == ["entregada", "devuelta"]
    # Asking again for the same state changes nothing and notifies nobody (a retry).
    again = _state(client, order_id, {"state": "enviada"}).json()
    assert again["changed"] is False and again["notification"] is None
    with session_factory() as s:
        assert len(s.scalars(select(OutboundMessage)).all()) == 1
        assert len(s.scalars(select(OrderEvent)).all()) == 1
    events = client.get(
        f"/admin/orders/{order_id}/events", headers={"Authorization": f"Bearer {TOKEN_A}"}
    )
    assert [e["actor"] for e in events.json()] == ["admin:Ana"]


def test_outside_the_window_the_template_or_needs_template(
    client: TestClient, known: Known, session_factory: sessionmaker[Session]
) -> None:
    order_id = _phone_order(session_factory, known, hours_ago=30)
    note = _state(client, order_id, {"state": "pagada"}).json()["notification"]
    assert (note["status"], note["in_window"]) == ("needs_template", False)
    listed = client.get(
        "/admin/notifications?status=needs_template", headers={"Authorization": f"Bearer {TOKEN_A}"}
    ).json()
    assert [n["id"] for n in listed["items"]] == [note["outbound_id"]]
    assert "order_status" in listed["items"][0]["reason"]
    with session_factory() as s:
        shop = s.get(Shop, known.shop_a.id)
        assert shop is not None
        shop.notification_templates = {"order_status": SID}
        s.commit()
    note = _state(client, order_id, {"state": "enviada"}).json()["notification"]
    assert (note["status"], note["content_sid"]) == ("queued", SID)
    with session_factory() as s:
        row = s.get(OutboundMessage, note["outbound_id"])
        assert row is not None and row.content_variables == (
            f'{{"1": "{order_id}", "2": "enviado 🚚"}}'
        )
    other = client.get("/admin/notifications", headers={"Authorization": f"Bearer {TOKEN_B}"})
    assert other.json()["total"] == 0  # shop B sees none of shop A's


@pytest.mark.parametrize(
    ("order_key", "wanted"),
    [("o4", "enviada"), ("o3", "pagada")],
    ids=["open-order", "cancelled-order"],
)
def test_illegal_transitions_are_409_and_change_nothing(
    client: TestClient, known: Known, order_key: str, wanted: str
) -> None:
    order = known.orders[order_key]
    res = _state(client, order.id, {"state": wanted})
    assert res.status_code == 409
    assert "can go to" in res.json()["detail"]
    detail = client.get(f"/admin/orders/{order.id}", headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert detail.json()["state"] == order.state and detail.json()["events"] == []


def test_no_going_back_after_delivery_or_a_return(client: TestClient, known: Known) -> None:
    order_id = known.orders["o1"].id  # user "u1": a local id, nobody to notify
    assert _state(client, order_id, {"state": "entregada"}).json()["notification"] is None
    assert _state(client, order_id, {"state": "enviada"}).status_code == 409
    assert _state(client, order_id, {"state": "devuelta"}).status_code == 200
    res = _state(client, order_id, {"state": "entregada"})
    assert res.status_code == 409 and "no other state" in res.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"state": "cerrada"},
        {"state": "cancelada"},
        {"state": "volando"},
        {},
        {"state": "enviada", "extra": 1},
        {"state": "enviada", "actor": ""},
        {"state": "enviada", "note": "x" * 501},
    ],
)
def test_bad_state_bodies_are_422(client: TestClient, known: Known, body: dict[str, Any]) -> None:
    res = _state(client, known.orders["o1"].id, body)
    assert res.status_code == 422, res.text
    assert isinstance(res.json()["detail"], list)


def test_another_shops_order_or_product_is_404(client: TestClient, known: Known) -> None:
    assert _state(client, known.orders["ob"].id, {"state": "enviada"}).status_code == 404
    assert _patch(client, known.products["b1"].id, {"stock": 1}).status_code == 404
    assert _state(client, 2**31 - 1, {"state": "enviada"}).status_code == 404
    assert _state(client, 2**31, {"state": "enviada"}).status_code == 422


def test_product_edit_writes_audit_rows_and_moves_the_search_stamp(
    client: TestClient, known: Known, session_factory: sessionmaker[Session]
) -> None:
    product = known.products["a1"]  # price 10000, stock 40, active
    with session_factory() as s:
        before = catalog_stamp(s, known.shop_a.id)
    res = _patch(client, product.id, {"price": 12500, "active": False, "actor": "Luis"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["product"]["price"], body["product"]["active"]) == (12500, False)
    assert [(c["field"], c["old_value"], c["new_value"], c["actor"]) for c in body["changes"]] == [
        ("price", "10000", "12500", "admin:Luis"),
        ("active", "true", "false", "admin:Luis"),
    ]
    with session_factory() as s:
        assert catalog_stamp(s, known.shop_a.id) != before  # the search index re-syncs
    # The same values again: nothing changes, no audit row.
    assert _patch(client, product.id, {"price": 12500, "active": False}).json()["changes"] == []
    history = client.get(
        f"/admin/products/{product.id}/changes", headers={"Authorization": f"Bearer {TOKEN_A}"}
    ).json()
    assert [c["field"] for c in history] == ["active", "price"]  # newest first


def test_stock_falling_under_the_threshold_alerts_the_staff_once(
    client: TestClient, known: Known, session_factory: sessionmaker[Session]
) -> None:
    product = known.products["a1"]  # stock 40; shop A's threshold is 5
    res = _patch(client, product.id, {"stock": 4})
    [alert] = res.json()["alerts"]
    assert res.json()["product"]["low_stock"] is True
    assert alert["status"] == "needs_template"  # the staff phone never wrote: no window
    with session_factory() as s:
        row = s.get(OutboundMessage, alert["outbound_id"])
        assert row is not None and (row.kind, row.to_number) == ("low_stock", STAFF)
        assert "Arroz Diana 5 kg" in row.body and "4 unidades" in row.body
    # Still low: no second alert; back up and down again: a new one.
    assert _patch(client, product.id, {"stock": 2}).json()["alerts"] == []
    assert _patch(client, product.id, {"stock": 20}).json()["alerts"] == []
    assert len(_patch(client, product.id, {"stock": 5}).json()["alerts"]) == 1
    with session_factory() as s:
        changes = s.scalars(select(ProductChange).where(ProductChange.field == "stock")).all()
        assert [c.new_value for c in changes] == ["4", "2", "20", "5"]


@pytest.mark.parametrize(
    "body",
    [{}, {"stock": -1}, {"price": -5}, {"stock": 2**31}, {"stock": "many"}, {"name": "x"}],
)
def test_bad_product_edits_are_422(client: TestClient, known: Known, body: dict[str, Any]) -> None:
    res = _patch(client, known.products["a1"].id, body)
    assert res.status_code == 422, res.text


def test_a_body_that_is_not_json_is_400_and_documented(client: TestClient, known: Known) -> None:
    headers = {"Authorization": f"Bearer {TOKEN_A}", "Content-Type": "application/json"}
    order = client.post(
        f"/admin/orders/{known.orders['o1'].id}/state", content=b"\xffno json", headers=headers
    )
    product = client.patch(
        f"/admin/products/{known.products['a1'].id}", content=b"\xff{", headers=headers
    )
    assert (order.status_code, product.status_code) == (400, 400)
    spec = client.app.openapi()  # type: ignore[attr-defined]
    assert "400" in spec["paths"]["/admin/orders/{order_id}/state"]["post"]["responses"]
    assert "400" in spec["paths"]["/admin/products/{product_id}"]["patch"]["responses"]
