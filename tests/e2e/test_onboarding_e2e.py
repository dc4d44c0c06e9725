"""Acceptance: a shop created from scratch with the CLI works end to end on the real stack
(trained Rasa model, action server, orchestrator, fake Twilio through the real client).

A bakery in Santiago de Chile — its own slug, WhatsApp number (typed the human way, stored
as E.164), staff phone and templates — is created with `tendero shop create` and gets a
catalog the model never saw with `tendero import-catalog`. A shopper writing to the new
number finds a product with its catalog price and fills a cart, asks for a person: the new
shop's staff phone is alerted from the new number, the bot stays silent in human mode, the
dashboard (with the printed admin token) and the staff phone reply, `#N bot` hands it back,
and the bot closes the sale. The shop's order notifications go out from the new number;
after BAJA, moving the order sends nothing (`opted_out`).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Conversation, Handoff, Order, OutboundMessage, Product, Shop
from db.order_states import NOTICES
from orchestrator import handoff_text as say
from orchestrator.opt_out import reply as opt_reply
from tests.e2e.harness import outbound_to, send_whatsapp, turn_logs, wait_for
from tests.fakes.twilio import FakeTwilio, Sent

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"  # the app venv, as in docs/ONBOARDING.md
SLUG = "panaderia-la-espiga"
NUMBER = "+12025550147"  # typed "+1 (202) 555-0147" in the file
STAFF = "+56987654321"  # typed "9 8765 4321", a national number read in CL
ORDER_SID = "HX" + "a1" * 16
ALERT_SID = "HX" + "b2" * 16
FORWARD_SID = "HX" + "c3" * 16
SHOP_YAML = f"""\
slug: {SLUG}
nombre: Panadería La Espiga
pais: CL
zona_horaria: America/Santiago
whatsapp_number: "+1 (202) 555-0147"
persona: >-
  Eres Espiga, la asistente de la Panadería La Espiga en Ñuñoa. Hablas en español chileno,
  amable y breve, y solo mencionas productos, precios y existencias que te da el sistema.
staff_phones:
  - "9 8765 4321"
info:
  horario: Lunes a sábado de 7:00 a 20:00; domingos de 8:00 a 14:00.
  direccion: Av. Irarrázaval 3450, Ñuñoa, Santiago
  telefono: "+56 2 2345 6789"
  domicilios:
    descripcion: Despachamos en Ñuñoa y Providencia el mismo día.
    zonas:
      - zona: Ñuñoa
        costo: 1500
        tiempo: mismo día
      - zona: Providencia
        costo: 2500
        tiempo: mismo día
    gratis_desde: 15000
  medios_de_pago:
    - Efectivo
    - Transferencia
    - Tarjeta de débito o crédito
  devoluciones: Si un producto llega en mal estado te lo cambiamos el mismo día.
plantillas:
  order_status: {ORDER_SID}
  handoff_alert: {ALERT_SID}
  handoff_forward: {FORWARD_SID}
umbral_stock_bajo: 3
"""
# Breads and cakes the model never saw (the demo catalog sells housewares and electronics).
CATALOG_CSV = """\
sku,nombre,descripcion,categoria,precio,stock
PAN-001,Marraqueta,"Pan batido crujiente, la unidad",Panes,250,200
PAN-002,Hallulla,Pan redondo y plano de manteca,Panes,300,150
PAS-001,Kuchen de manzana,Kuchen casero de 8 porciones,Pastelería,8900,12
PAS-002,Queque de naranja,Queque de 500 g con ralladura de naranja,Pastelería,5500,10
PAS-003,Berlín relleno de manjar,Masa frita rellena de manjar,Pastelería,1200,40
"""
TOKEN = re.compile(r"Admin token of '[a-z0-9-]+': (\S+)")


def _tendero(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `scripts/tendero.py` with the app venv's Python, as a shop owner would."""
    return subprocess.run(
        [str(PYTHON), "scripts/tendero.py", "--database-url", db_url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _say(client: TestClient, sf: sessionmaker[Session], phone: str, text: str) -> str:
    """Send as `phone` to the new shop's number, wait for the turn; its logged reply."""
    n = len(turn_logs(sf, phone))
    send_whatsapp(client, phone, text, to=NUMBER)
    wait_for(lambda: len(turn_logs(sf, phone)) == n + 1)
    return turn_logs(sf, phone)[-1].final_reply or ""


def _transcript(sf: sessionmaker[Session], phone: str) -> str:
    """The conversation so far, for assertion messages."""
    return "\n".join(
        f"> {r.message}\n  [{r.mode} {r.intent} {r.actions}] {r.final_reply}"
        for r in turn_logs(sf, phone)
    )


def _to(fake: FakeTwilio, number: str) -> list[Sent]:
    """Every message the fake accepted for `number`, in order."""
    return [s for s in fake.sent if s.to == f"whatsapp:{number}"]


def _create_shop(db_url: str, tmp_path: Path) -> str:
    """`tendero shop create` + `tendero import-catalog` from files; the printed token."""
    shop_file = tmp_path / "panaderia.yaml"
    shop_file.write_text(SHOP_YAML, encoding="utf-8")
    created = _tendero(db_url, "shop", "create", str(shop_file))
    assert created.returncode == 0, created.stdout + created.stderr
    tokens = TOKEN.findall(created.stdout)
    assert len(tokens) == 1 and created.stdout.count(tokens[0]) == 1, created.stdout
    catalog_file = tmp_path / "catalogo.csv"
    catalog_file.write_text(CATALOG_CSV, encoding="utf-8")
    imported = _tendero(db_url, "import-catalog", str(catalog_file), "--shop", SLUG)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Imported: created 5, updated 0, unchanged 0" in imported.stdout, imported.stdout
    return tokens[0]


def test_a_shop_created_from_files_sells_hands_off_and_honours_baja(
    stack: Any,
    fake_twilio: FakeTwilio,
    e2e_db_url: str,
    e2e_sf: sessionmaker[Session],
    phone: str,
    tmp_path: Path,
) -> None:
    token = _create_shop(e2e_db_url, tmp_path)
    admin = {"Authorization": f"Bearer {token}"}
    with e2e_sf() as s:
        shop = s.scalars(select(Shop).where(Shop.slug == SLUG)).one()
        products = {p.name: p for p in s.scalars(select(Product).where(Product.shop_id == shop.id))}
    # The file's human-typed numbers are stored as E.164, read in the shop's country.
    assert (shop.whatsapp_number, shop.staff_phones) == (NUMBER, [STAFF])
    assert shop.info["telefono"] == "+56223456789" and shop.country == "CL"
    assert shop.notification_templates == {
        "order_status": ORDER_SID,
        "handoff_alert": ALERT_SID,
        "handoff_forward": FORWARD_SID,
    }
    kuchen = products["Kuchen de manzana"]
    assert (kuchen.price, kuchen.stock) == (8900, 12)

    with stack(notifier_poll_s=0.2) as client:
        # The new catalog is found by the new shop's bot, with the catalog's price.
        reply = _say(client, e2e_sf, phone, "tienen kuchen de manzana?")
        log = turn_logs(e2e_sf, phone)[-1]
        assert "action_buscar_producto" in log.actions, _transcript(e2e_sf, phone)
        assert "Kuchen de manzana" in reply and "$8.900" in reply, reply
        reply = _say(client, e2e_sf, phone, "quiero 2 kuchen de manzana")
        assert "2 × Kuchen de manzana" in reply and "$17.800" in reply, _transcript(e2e_sf, phone)
        # A noun the model never saw, after a cart: an add, not the buyer's name.
        reply = _say(client, e2e_sf, phone, "y una marraqueta")
        assert "1 × Marraqueta" in reply and "$250" in reply, _transcript(e2e_sf, phone)
        assert "$18.050" in reply and "nombre" not in reply, reply
        # Every answer goes out from the new shop's number (not TWILIO_WHATSAPP_FROM).
        wait_for(lambda: len(_to(fake_twilio, phone)) == 3)
        assert {s.from_ for s in _to(fake_twilio, phone)} == {f"whatsapp:{NUMBER}"}

        # A person, please: the new shop's staff phone is alerted from the new number.
        reply = _say(client, e2e_sf, phone, "quiero hablar con una persona")
        assert reply == say.handoff_started(shop.name, shop.info, "requested"), reply
        assert "Lunes a sábado de 7:00 a 20:00" in reply
        with e2e_sf() as s:
            conv = s.scalars(
                select(Conversation).where(
                    Conversation.shop_id == shop.id, Conversation.user_id == phone
                )
            ).one()
        cid = conv.id
        assert conv.mode == "human"

        # The staff phone never wrote to the new number: outside its 24-hour window the
        # alert can only be the approved handoff_alert template, from the shop's number.
        def templates(sid: str) -> list[Sent]:
            return [
                s
                for s in fake_twilio.templates_to(STAFF)
                if s.from_ == f"whatsapp:{NUMBER}" and s.content_sid == sid
            ]

        [alert] = wait_for(lambda: templates(ALERT_SID))
        variables = json.loads(alert.content_variables or "{}")
        assert variables["1"] == str(cid) and phone in variables["2"]
        assert "quiero hablar con una persona" in variables["3"]

        # Human mode: the bot stays silent; the message is forwarded to the staff phone.
        sent_before = len(_to(fake_twilio, phone))
        _say(client, e2e_sf, phone, "hola? me atiende alguien?")
        row = turn_logs(e2e_sf, phone)[-1]
        assert (row.mode, row.final_reply, row.intent) == ("human", "", None)
        [forward] = wait_for(lambda: templates(FORWARD_SID))
        assert "me atiende alguien?" in json.loads(forward.content_variables or "{}")["3"]
        assert len(_to(fake_twilio, phone)) == sent_before

        # The dashboard, with the token the CLI printed, shows it and replies through it.
        items = client.get("/admin/inbox", headers=admin).json()["items"]
        assert [(i["id"], i["mode"]) for i in items] == [(cid, "human")]
        demo = {"Authorization": "Bearer e2e-admin-token"}
        assert client.get(f"/admin/inbox/{cid}", headers=demo).status_code == 404
        res = client.post(
            f"/admin/inbox/{cid}/reply",
            json={
                "text": "Hola, soy Pía de La Espiga 👋 ¿Te ayudo con el kuchen?",
                "author": "Pía",
            },
            headers=admin,
        )
        assert res.status_code == 200 and res.json()["sent"] is True, res.text
        last = _to(fake_twilio, phone)[-1]
        assert (last.body, last.from_) == (
            "Hola, soy Pía de La Espiga 👋 ¿Te ayudo con el kuchen?",
            f"whatsapp:{NUMBER}",
        )

        # The staff phone answers with `#N texto`, then hands it back with `#N bot`.
        _say(client, e2e_sf, STAFF, f"#{cid} Sí, hoy salió del horno a las 7")
        wait_for(lambda: fake_twilio.bodies_to(phone)[-1] == "Sí, hoy salió del horno a las 7")
        assert fake_twilio.bodies_to(STAFF)[-1] == say.sent(cid)
        _say(client, e2e_sf, STAFF, f"#{cid} bot")
        assert fake_twilio.bodies_to(STAFF)[-1] == say.handed_back(cid, True)
        assert fake_twilio.bodies_to(phone)[-1] == say.back_to_bot(shop.name)
        with e2e_sf() as s:
            [handoff] = s.scalars(select(Handoff).where(Handoff.conversation_id == cid))
            assert (handoff.reason, handoff.end_reason, handoff.staff_messages) == (
                "requested",
                "staff",
                2,
            )

        # The bot answers again, with the cart it had: the sale goes on to the close.
        for text in ("eso es todo", "si", "Camila Rojas", "12345678", "el mismo"):
            _say(client, e2e_sf, phone, text)
        _say(client, e2e_sf, phone, "camila.rojas@gmail.com")
        _say(client, e2e_sf, phone, "Av. Grecia 1234 depto 56")
        reply = _say(client, e2e_sf, phone, "Villa Olímpica")
        with e2e_sf() as s:
            order = s.scalars(
                select(Order).where(Order.shop_id == shop.id, Order.user_id == phone)
            ).one()
            order_id, state, total = order.id, order.state, order.total
        assert state == "cerrada", _transcript(e2e_sf, phone)
        assert total == 18050 and f"#{order_id}" in reply and "Camila Rojas" in reply
        bot_turns = [r for r in turn_logs(e2e_sf, phone) if r.mode == "bot" and r.message]
        assert all(r.final_reply for r in bot_turns), _transcript(e2e_sf, phone)

        # The shop moves the order: the buyer is told, from the new number.
        paid = client.post(
            f"/admin/orders/{order_id}/state", json={"state": "pagada"}, headers=admin
        )
        assert paid.status_code == 200, paid.text
        assert paid.json()["notification"]["status"] == "queued"
        notice = NOTICES["pagada"].format(id=order_id, shop=shop.name)
        wait_for(lambda: notice in fake_twilio.bodies_to(phone), 30)

        # BAJA: confirmed; the next order notification is stored as opted_out, never sent.
        confirmation = _say(client, e2e_sf, phone, "BAJA")
        assert confirmation == opt_reply("out", shop.name)
        wait_for(lambda: fake_twilio.bodies_to(phone)[-1:] == [confirmation], 30)
        count = len(_to(fake_twilio, phone))
        shipped = client.post(
            f"/admin/orders/{order_id}/state", json={"state": "enviada"}, headers=admin
        )
        assert shipped.status_code == 200, shipped.text
        note = shipped.json()["notification"]
        assert note["status"] == "opted_out", note
        time.sleep(1.0)  # several notifier polls: the refused row must stay unsent
        assert len(_to(fake_twilio, phone)) == count
        with e2e_sf() as s:
            refused = s.get(OutboundMessage, note["outbound_id"])
            assert refused is not None
            assert (refused.status, refused.provider_sid) == ("opted_out", None)
            assert (refused.to_number, refused.from_number) == (phone, NUMBER)
    # Everything the shopper got is stored, once, and went through the new shop's number.
    out = outbound_to(e2e_sf, phone)
    assert sorted(o.body for o in out if o.provider_sid) == sorted(fake_twilio.bodies_to(phone))
    assert {o.from_number for o in out} == {NUMBER}
