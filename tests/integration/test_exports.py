"""CSV exports on both backends, and the signed download route on a tiny inline app."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.catalog_io import load_catalog, upsert_products
from db.exports import BOM, HEADERS, UnknownExportError, iter_csv, sign_download, write_csv
from db.models import ConversationLog, Order, OrderItem, Product, Shop
from orchestrator.api.deps import get_settings_dep
from orchestrator.routers.downloads import router
from orchestrator.settings import Settings
from tests.factories import make_client, make_product, make_shop

SECRET = "integration-secret-abcdef"


def parse(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:])))


def export(session: Session, shop: Shop, kind: str, **kw: object) -> list[list[str]]:
    return parse("".join(iter_csv(session, shop.id, kind, **kw)))  # type: ignore[arg-type]


def add_order(
    session: Session,
    shop: Shop,
    client_id: int | None,
    lines: list[tuple[Product, int]],
    state: str = "cerrada",
    created: datetime | None = None,
) -> Order:
    total = sum(p.price * q for p, q in lines)
    order = Order(
        shop_id=shop.id,
        client_id=client_id,
        user_id="+573000000001",
        state=state,
        total=total,
        created_at=created or datetime.now(UTC),
    )
    session.add(order)
    session.flush()
    for p, q in lines:
        session.add(
            OrderItem(
                shop_id=shop.id, order_id=order.id, product_id=p.id, quantity=q, unit_price=p.price
            )
        )
    session.flush()
    return order


@pytest.fixture
def shop_data(session: Session) -> dict[str, object]:
    shop, other = make_shop(session), make_shop(session)
    arepa = make_product(
        session,
        shop,
        sku="ARE-1",
        name="Arepa de maíz",
        price=3500,
        category="Panadería",
        description="Con queso, señor",
    )
    cafe = make_product(
        session, shop, sku="CAF-1", name="Café orgánico", price=12900, stock=0, active=False
    )
    make_product(session, other, sku="OTR-1", name="De otra tienda")
    ana = make_client(
        session, shop, cedula="1020304050", name="Ana Muñoz", address="Cra 1 # 2-3", barrio="Niquía"
    )
    evil = make_client(session, shop, cedula="99887766", name='=HYPERLINK("x")')
    make_client(session, other, cedula="55555555", name="Ajeno")
    old = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)
    new = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    o1 = add_order(session, shop, ana.id, [(arepa, 2), (cafe, 1)], created=old)
    o2 = add_order(session, shop, ana.id, [(cafe, 3)], created=new)
    o3 = add_order(session, shop, evil.id, [(arepa, 1)], state="cancelada", created=new)
    session.add_all(
        [
            ConversationLog(
                turn_id="t1",
                shop_id=shop.id,
                user_id="+573000000001",
                channel="twilio",
                message="¿Tienen café?",
                intent="consultar_inventario",
                confidence=0.98765,
                final_reply="Sí, el café orgánico cuesta $12.900.",
                created_at=new,
            ),
            ConversationLog(
                turn_id="t2",
                shop_id=shop.id,
                user_id="+573000000002",
                channel="chat",
                message="-1+1",
                intent=None,
                success=False,
                error_type="RasaTimeout",
                error_message="no answer",
                created_at=old,
            ),
            ConversationLog(turn_id="t3", shop_id=other.id, user_id="x", message="otra tienda"),
        ]
    )
    session.commit()
    return {"shop": shop, "other": other, "o1": o1, "o2": o2, "o3": o3}


def test_inventario_matches_the_catalog_format(session: Session, shop_data: dict) -> None:
    rows = export(session, shop_data["shop"], "inventario")
    assert rows[0] == list(HEADERS["inventario"])
    assert rows[1:] == [
        ["ARE-1", "Arepa de maíz", "Con queso, señor", "Panadería", "3500", "10", "si", ""],
        ["CAF-1", "Café orgánico", "", "General", "12900", "0", "no", ""],
    ]


def test_inventario_round_trips_through_the_catalog_import(
    session: Session, shop_data: dict, tmp_path: Path
) -> None:
    shop = shop_data["shop"]
    path = tmp_path / "inventario.csv"
    assert write_csv(session, shop.id, "inventario", path) == 2
    rows, errors = load_catalog(path)
    assert errors == []
    copy = make_shop(session)
    upsert_products(session, copy.id, rows)
    session.commit()

    def catalog(shop_id: int) -> list[tuple[object, ...]]:
        products = session.scalars(
            select(Product).where(Product.shop_id == shop_id).order_by(Product.sku)
        )
        return [
            (p.sku, p.name, p.description, p.category, p.price, p.stock, p.active) for p in products
        ]

    assert catalog(copy.id) == catalog(shop.id)


def test_clientes_totals_count_closed_orders_only(session: Session, shop_data: dict) -> None:
    rows = export(session, shop_data["shop"], "clientes")
    assert rows[0] == list(HEADERS["clientes"])
    by_cedula = {r[0]: r for r in rows[1:]}
    assert set(by_cedula) == {"1020304050", "99887766"}
    ana = by_cedula["1020304050"]
    assert ana[1] == "Ana Muñoz" and ana[5] == "Niquía"
    assert ana[6:] == ["2", str(2 * 3500 + 12900 + 3 * 12900)]
    # A formula typed as a name is defused for spreadsheets; the cancelled order doesn't count.
    assert by_cedula["99887766"][1] == '\'=HYPERLINK("x")'
    assert by_cedula["99887766"][6:] == ["0", "0"]


def test_ventas_one_row_per_item_and_date_filters(session: Session, shop_data: dict) -> None:
    shop, o1, o2 = shop_data["shop"], shop_data["o1"], shop_data["o2"]
    rows = export(session, shop, "ventas")
    assert rows[0] == list(HEADERS["ventas"])
    assert [r[0] for r in rows[1:]].count(str(o1.id)) == 2
    first = rows[1]
    assert first == [
        str(o1.id),
        "2026-10-01 15:00:00",
        "cerrada",
        "1020304050",
        "Ana Muñoz",
        "ARE-1",
        "Arepa de maíz",
        "2",
        "3500",
        "7000",
        str(o1.total),
    ]
    november = export(session, shop, "ventas", date_from=date(2026, 11, 1))
    assert {r[0] for r in november[1:]} == {str(o2.id), str(shop_data["o3"].id)}
    october = export(session, shop, "ventas", date_to=date(2026, 10, 1))  # whole day included
    assert {r[0] for r in october[1:]} == {str(o1.id)}
    exact = export(session, shop, "ventas", date_to=datetime(2026, 10, 1, 14, 59, tzinfo=UTC))
    assert exact == [list(HEADERS["ventas"])]


def test_conversaciones(session: Session, shop_data: dict) -> None:
    rows = export(session, shop_data["shop"], "conversaciones")
    assert rows[0] == list(HEADERS["conversaciones"])
    assert rows[1] == [
        "2026-10-01 15:00:00",
        "'+573000000002",  # every cell is defused, phone ids too (tests/security)
        "chat",
        "'-1+1",
        "",
        "",
        "",
        "no",
        "RasaTimeout: no answer",
    ]
    assert rows[2] == [
        "2026-11-20 12:30:00",
        "'+573000000001",
        "twilio",
        "¿Tienen café?",
        "consultar_inventario",
        "0.988",
        "Sí, el café orgánico cuesta $12.900.",
        "si",
        "",
    ]
    assert len(rows) == 3  # the other shop's log is not there


def test_large_export_streams_in_chunks(session: Session) -> None:
    shop = make_shop(session)
    session.add_all(
        Product(shop_id=shop.id, sku=f"P{i:05d}", name=f"Ñame {i}", price=i, stock=1)
        for i in range(1203)
    )
    session.commit()
    chunks = list(iter_csv(session, shop.id, "inventario"))
    assert len(chunks) == 3  # 500 + 500 + 203 rows
    assert chunks[0].startswith(BOM + "sku,") and not chunks[1].startswith(BOM)
    rows = parse("".join(chunks))
    assert len(rows) == 1204 and rows[-1][:2] == ["P01202", "Ñame 1202"]


def test_write_csv_and_unknown_kind(session: Session, shop_data: dict, tmp_path: Path) -> None:
    path = tmp_path / "1" / "clientes.csv"
    assert write_csv(session, shop_data["shop"].id, "clientes", path) == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcedula,nombre,") and "Muñoz".encode() in data
    assert [p.name for p in path.parent.iterdir()] == ["clientes.csv"]
    with pytest.raises(UnknownExportError):
        list(iter_csv(session, shop_data["shop"].id, "secretos"))


# --- GET /exports/download -------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    settings = Settings(_env_file=None, secret_key=SECRET, export_dir=tmp_path)  # type: ignore[call-arg]
    app.dependency_overrides[get_settings_dep] = lambda: settings
    (tmp_path / "4").mkdir()
    (tmp_path / "4" / "ventas-x.csv").write_text(BOM + "pedido\r\n1\r\n", encoding="utf-8")
    (tmp_path / "secreto.csv").write_text("no\r\n")
    return TestClient(app)


def later(seconds: int = 600) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_download_serves_the_file(client: TestClient) -> None:
    token = sign_download(SECRET, 4, "ventas", "ventas-x.csv", later())
    response = client.get("/exports/download", params={"token": token})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="ventas-x.csv"'
    assert response.content == b"\xef\xbb\xbfpedido\r\n1\r\n"


def test_download_refuses_tampered_expired_and_missing(client: TestClient) -> None:
    token = sign_download(SECRET, 4, "ventas", "ventas-x.csv", later())
    other_shop = sign_download("not-the-secret", 5, "ventas", "ventas-x.csv", later())
    for bad in (token[:-3] + "abc", other_shop, "garbage"):
        response = client.get("/exports/download", params={"token": bad})
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_link"
    expired = sign_download(SECRET, 4, "ventas", "ventas-x.csv", later(-1))
    response = client.get("/exports/download", params={"token": expired})
    assert response.status_code == 410 and response.json()["error"] == "link_expired"
    gone = sign_download(SECRET, 4, "ventas", "borrado.csv", later())
    response = client.get("/exports/download", params={"token": gone})
    assert response.status_code == 404 and response.json()["error"] == "file_not_found"
    assert client.get("/exports/download").status_code == 422


def test_download_refuses_path_traversal(client: TestClient) -> None:
    from tests.unit.test_signing import forge

    claims = {"s": 4, "k": "ventas", "f": "../secreto.csv", "e": int(later().timestamp())}
    response = client.get("/exports/download", params={"token": forge(claims, SECRET)})
    assert response.status_code == 403 and response.json()["error"] == "invalid_link"
