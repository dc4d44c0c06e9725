"""The durable queue: per-conversation order, parallel conversations, recovery on start."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from db.models import InboundMessage, Shop, utcnow
from orchestrator import queue
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio, message_sid
from tests.integration.orchestrator.conftest import (
    SHOP_NUMBER,
    USER,
    AppFactory,
    inbound,
    logs,
    post_signed,
    wait_for,
    whatsapp_form,
)

OTHER = "+573009998877"


def test_one_conversation_in_order_different_users_in_parallel(
    app_client: AppFactory,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
) -> None:
    fake_rasa.delay_s = 0.4
    fake_rasa.responder = lambda sender, message: [
        {"recipient_id": sender, "text": f"eco: {message}"}
    ]
    with app_client(worker_concurrency=4) as client:
        for i in range(1, 4):
            post_signed(client, "/twilio/whatsapp", whatsapp_form(f"A{i}"))
        post_signed(client, "/twilio/whatsapp", whatsapp_form("B1", frm=OTHER))
        wait_for(lambda: len(logs(session_factory)) == 4, timeout=15)
    a_msgs = [m for s, m in fake_rasa.messages if s.endswith(USER)]
    assert a_msgs == ["A1", "A2", "A3"]
    assert fake_twilio.bodies_to(USER) == ["eco: A1", "eco: A2", "eco: A3"]
    # B was not queued behind A's three slow turns: it finished before A3.
    order = [m for _, m in fake_rasa.messages]
    assert order.index("B1") < order.index("A3")


def test_messages_left_unanswered_are_picked_up_on_start(
    app_client: AppFactory,
    fake_twilio: FakeTwilio,
    session_factory: sessionmaker[Session],
    shop: Shop,
) -> None:
    old = utcnow() - timedelta(minutes=30)
    with session_factory() as s:
        base = {
            "provider": "twilio",
            "from_number": USER,
            "to_number": SHOP_NUMBER,
            "shop_id": shop.id,
        }
        s.add_all(
            [
                InboundMessage(
                    provider_message_id=message_sid(),
                    body="uno",
                    status="processing",
                    locked_by="dead-worker",
                    locked_at=old,
                    attempts=1,
                    received_at=old,
                    **base,
                ),
                InboundMessage(
                    provider_message_id=message_sid(),
                    body="dos",
                    status="received",
                    received_at=old,
                    **base,
                ),
                InboundMessage(
                    provider_message_id=message_sid(),
                    body="tres",
                    status="done",
                    received_at=old,
                    **base,
                ),
            ]
        )
        s.commit()
    with app_client(worker_stale_after_s=60):
        wait_for(lambda: len(logs(session_factory)) == 2)
    assert [m.status for m in inbound(session_factory)] == ["done", "done", "done"]
    assert [lg.message for lg in logs(session_factory)] == ["uno", "dos"]
    assert len(fake_twilio.sent) == 2
    assert inbound(session_factory)[0].attempts == 2


def test_claim_takes_oldest_per_idle_conversation(
    session_factory: sessionmaker[Session],
    shop: Shop,
) -> None:
    with session_factory() as s:
        for frm, body in ((USER, "a1"), (USER, "a2"), (OTHER, "b1"), ("+573005550000", "c1")):
            s.add(
                InboundMessage(
                    provider="twilio",
                    provider_message_id=message_sid(),
                    from_number=frm,
                    to_number=SHOP_NUMBER,
                    body=body,
                )
            )
        s.commit()
        first = queue.claim(s, "w1", 10)
        s.commit()
        bodies = {s.get(InboundMessage, i).body for i in first}  # type: ignore[union-attr]
        assert bodies == {"a1", "b1", "c1"}
        assert queue.claim(s, "w2", 10) == []  # a2 waits for a1
        queue.finish(s, first[0], ok=True)
        s.commit()
        [second] = queue.claim(s, "w2", 10)
        assert s.get(InboundMessage, second).body == "a2"  # type: ignore[union-attr]


def test_store_inbound_is_idempotent(session_factory: sessionmaker[Session]) -> None:
    sid = message_sid()
    with session_factory() as s:
        one = queue.store_inbound(
            s,
            provider="twilio",
            provider_message_id=sid,
            from_number=USER,
            to_number=SHOP_NUMBER,
            body="hola",
        )
        two = queue.store_inbound(
            s,
            provider="twilio",
            provider_message_id=sid,
            from_number=USER,
            to_number=SHOP_NUMBER,
            body="otra",
        )
        chat = queue.store_inbound(
            s,
            provider="chat",
            provider_message_id=sid,
            from_number=USER,
            to_number=SHOP_NUMBER,
            body="hola",
        )
        s.commit()
    assert one.created and not two.created and one.id == two.id
    assert chat.created and chat.id != one.id
    assert [m.body for m in inbound(session_factory)] == ["hola", "hola"]


def test_two_workers_on_postgresql_never_claim_the_same_conversation(pg_url: str) -> None:
    from db.session import make_engine, make_session_factory

    engine = make_engine(pg_url)
    sf = make_session_factory(engine)
    try:
        with sf() as s:
            for frm in (USER, USER, OTHER, OTHER, "+573005550000"):
                s.add(
                    InboundMessage(
                        provider="twilio",
                        provider_message_id=message_sid(),
                        from_number=frm,
                        to_number=SHOP_NUMBER,
                        body=frm,
                    )
                )
            s.commit()
        with sf() as a, sf() as b:
            first = queue.claim(a, "worker-a", 2)  # rows locked, not committed yet
            second = queue.claim(b, "worker-b", 10)  # skips the locked rows
            b.commit()
            a.commit()
        assert len(first) == 2 and not set(first) & set(second)
        with sf() as s:
            claimed = [s.get(InboundMessage, i) for i in first + second]
            senders = [m.from_number for m in claimed if m is not None]
        assert len(senders) == len(set(senders)) == 3  # one per conversation, none twice
    finally:
        engine.dispose()
