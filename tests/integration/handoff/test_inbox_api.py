"""The admin inbox: authentication, 404s and bad input, open handoffs first, transcripts,
dashboard replies through the real twilio client, take and "Devolver al bot"."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import ConversationLog, Handoff
from tests.fakes.twilio import FakeTwilio
from tests.integration.handoff.conftest import OTHER_TOKEN, SHOPPER, STAFF_E164, Desk

ROUTES = [
    ("GET", "/admin/inbox"),
    ("GET", "/admin/inbox/{id}"),
    ("POST", "/admin/inbox/{id}/reply"),
    ("POST", "/admin/inbox/{id}/take"),
    ("POST", "/admin/inbox/{id}/release"),
    ("GET", "/admin/stats/handoffs"),
]


def _log(sf: sessionmaker[Session], desk: Desk, user: str, message: str, reply: str) -> None:
    with sf() as s:
        s.add(
            ConversationLog(
                turn_id=f"t-{user}-{message}"[:36],
                shop_id=desk.shop.id,
                user_id=user,
                message=message,
                final_reply=reply,
            )
        )
        s.commit()


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_inbox_route_needs_the_shop_token(
    client: TestClient, desk: Desk, method: str, path: str
) -> None:
    url = path.format(id=desk.conv.id)
    body = {"text": "hola"} if method == "POST" else None
    assert client.request(method, url, json=body).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.request(method, url, json=body, headers=bad).status_code == 401


@pytest.mark.parametrize(("method", "path"), ROUTES[1:5])
def test_another_shops_or_a_missing_conversation_is_404(
    client: TestClient,
    desk: Desk,
    auth: dict[str, str],
    fake_twilio: FakeTwilio,
    method: str,
    path: str,
) -> None:
    body = {"text": "hola"} if method == "POST" else None
    other = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    assert (
        client.request(method, path.format(id=desk.conv.id), json=body, headers=other).status_code
        == 404
    )
    assert (
        client.request(method, path.format(id=999_999), json=body, headers=auth).status_code == 404
    )
    for bad_id in ("0", "-1", str(2**31), "doce"):
        resp = client.request(method, path.format(id=bad_id), json=body, headers=auth)
        assert resp.status_code == 422, (bad_id, resp.text)
    assert fake_twilio.sent == []  # nothing was sent by a refused request


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 1601},
        {"text": "hola\x00"},
        {"text": "hola", "author": ""},
        {"text": "hola", "author": "x" * 61},
        {"text": "hola", "extra": 1},
        {"text": 12},
    ],
)
def test_a_bad_reply_is_422_and_sends_nothing(
    client: TestClient, desk: Desk, auth: dict[str, str], fake_twilio: FakeTwilio, body: object
) -> None:
    resp = client.post(f"/admin/inbox/{desk.conv.id}/reply", json=body, headers=auth)
    assert resp.status_code == 422, resp.text
    assert fake_twilio.sent == []
    assert desk.desk.get(desk.shop.id, desk.conv.id).mode == "bot"  # type: ignore[union-attr]


def test_open_handoffs_come_first_with_their_last_message(
    client: TestClient, desk: Desk, auth: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    later = desk.desk.touch(desk.shop, "+573007778899", "twilio", None)  # most recent, bot
    _log(session_factory, desk, SHOPPER, "necesito un asesor", "…")
    _log(session_factory, desk, later.user_id, "hola", "¡Hola!")
    desk.desk.start(desk.shop, desk.conv, "requested", last_message="necesito un asesor")
    desk.desk.touch(desk.other, "+573001010101", "twilio", None)  # another shop's
    page = client.get("/admin/inbox", headers=auth).json()
    assert page["total"] == 2
    first, second = page["items"]
    assert (first["id"], first["mode"], first["last_message"]) == (
        desk.conv.id,
        "human",
        "necesito un asesor",
    )
    assert first["handoff"]["reason"] == "requested" and first["handoff"]["ended_at"] is None
    assert first["profile_name"] == "Marta"
    assert (second["id"], second["mode"], second["handoff"]) == (later.id, "bot", None)


def test_dashboard_reply_takes_the_conversation_and_reaches_the_shopper(
    client: TestClient,
    desk: Desk,
    auth: dict[str, str],
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    _log(session_factory, desk, SHOPPER, "¿tienen taladros?", "Sí, tenemos.")
    resp = client.post(
        f"/admin/inbox/{desk.conv.id}/reply",
        json={"text": "  Hola Marta, soy Pepe. Te guardo uno.  ", "author": "Pepe"},
        headers=auth,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "queued", "sent": True, "mode": "human", "error": None}
    [sent] = fake_twilio.sent  # taken by staff: no alert to the staff phones
    assert (sent.to, sent.from_, sent.body) == (
        f"whatsapp:{SHOPPER}",
        f"whatsapp:{desk.shop.whatsapp_number}",
        "Hola Marta, soy Pepe. Te guardo uno.",
    )
    detail = client.get(f"/admin/inbox/{desk.conv.id}", headers=auth).json()
    assert detail["mode"] == "human"
    assert [(m["sender"], m["text"], m["author"]) for m in detail["messages"]] == [
        ("shopper", "¿tienen taladros?", None),
        ("bot", "Sí, tenemos.", None),
        ("staff", "Hola Marta, soy Pepe. Te guardo uno.", "panel:Pepe"),
    ]
    [handoff] = detail["handoffs"]
    assert handoff["reason"] == "staff" and handoff["started_by"] == "panel:Pepe"
    assert handoff["staff_messages"] == 1 and handoff["first_response_at"] is not None


def test_take_sends_nothing_and_release_tells_the_shopper_once(
    client: TestClient, desk: Desk, auth: dict[str, str], fake_twilio: FakeTwilio
) -> None:
    url = f"/admin/inbox/{desk.conv.id}"
    assert client.post(f"{url}/take", headers=auth).json() == {"mode": "human", "changed": True}
    assert client.post(f"{url}/take", headers=auth).json() == {"mode": "human", "changed": False}
    assert fake_twilio.sent == []
    assert client.post(f"{url}/release", headers=auth).json() == {"mode": "bot", "changed": True}
    assert client.post(f"{url}/release", headers=auth).json() == {"mode": "bot", "changed": False}
    [back] = fake_twilio.sent
    assert back.to == f"whatsapp:{SHOPPER}" and "Sigo yo por aquí" in back.body
    [handoff] = client.get(url, headers=auth).json()["handoffs"]
    assert (handoff["end_reason"], handoff["ended_by"]) == ("staff", "panel")


def test_a_reply_twilio_refuses_is_reported_and_logged_as_failed(
    client: TestClient,
    desk: Desk,
    auth: dict[str, str],
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_twilio.fail_next(400)
    resp = client.post(f"/admin/inbox/{desk.conv.id}/reply", json={"text": "hola"}, headers=auth)
    assert resp.status_code == 200
    body = resp.json()
    assert (
        body["sent"] is False and body["status"] == "failed" and body["error"].startswith("21211")
    )
    with session_factory() as s:
        row = s.scalars(select(ConversationLog).where(ConversationLog.mode == "staff")).one()
    assert (row.success, row.error_type, row.author) == (False, "send_failed", "panel")


def test_handoff_stats_count_handoffs_and_first_response_times(
    client: TestClient,
    desk: Desk,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
) -> None:
    d = desk.desk
    second = d.touch(desk.shop, "+573007778899", "twilio", None)
    d.start(desk.shop, desk.conv, "requested")
    d.start(desk.shop, second, "fallbacks")
    with session_factory() as s:  # pin the times: answered 90 s after it started
        first = s.scalars(select(Handoff).where(Handoff.conversation_id == desk.conv.id)).one()
        first.started_at = datetime.fromisoformat("2026-11-20T10:00:00+00:00")
        other = s.scalars(select(Handoff).where(Handoff.conversation_id == second.id)).one()
        other.started_at = datetime.fromisoformat("2026-11-20T11:00:00+00:00")
        s.commit()
    d.reply(desk.shop, d.get(desk.shop.id, desk.conv.id), "hola", "panel")  # type: ignore[arg-type]
    with session_factory() as s:
        first = s.scalars(select(Handoff).where(Handoff.conversation_id == desk.conv.id)).one()
        first.first_response_at = datetime.fromisoformat("2026-11-20T10:01:30+00:00")
        s.commit()
    d.return_idle(now=datetime.fromisoformat("2030-01-01T00:00:00+00:00"))
    [day] = client.get("/admin/stats/handoffs", headers=auth).json()
    assert day == {
        "day": "2026-11-20", "handoffs": 2, "requested": 1, "after_fallbacks": 1,
        "taken_by_staff": 0, "answered": 1, "avg_first_response_s": pytest.approx(90.0),
        "max_first_response_s": pytest.approx(90.0), "idle_returns": 2, "still_open": 0,
    }  # fmt: skip
    empty = client.get("/admin/stats/handoffs?date_from=2026-11-21", headers=auth).json()
    assert empty == []
    assert (
        client.get(
            "/admin/stats/handoffs?date_from=2026-11-22&date_to=2026-11-21", headers=auth
        ).status_code
        == 422
    )
    _ = STAFF_E164
