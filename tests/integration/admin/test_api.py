"""The admin API returns the known data set's figures, filtered and paginated."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.integration.admin.data import Known


def test_dashboard_figures(client: TestClient, auth: dict[str, str]) -> None:
    d = client.get("/admin/dashboard", headers=auth).json()
    assert d["shop"] == "Tienda A"
    assert (d["orders"], d["revenue"]) == (3, 49000)
    assert round(d["average_order_value"], 2) == 16333.33
    assert (d["users_with_conversations"], d["users_with_closed_orders"]) == (3, 2)
    assert round(d["conversion_rate"], 4) == 0.6667
    assert d["sales_per_day"] == [
        {"day": "2026-11-20", "orders": 1, "revenue": 30000},
        {"day": "2026-11-21", "orders": 2, "revenue": 19000},
    ]
    assert [(p["name"], p["quantity"], p["revenue"]) for p in d["top_products"]] == [
        ("Arroz Diana 5 kg", 4, 40000),
        ("Café Sello Rojo", 1, 7000),
        ("Jabón Rey", 1, 2000),
    ]
    assert [(c["day"], c["turns"]) for c in d["conversations_per_day"]] == [
        ("2026-11-20", 5),
        ("2026-11-21", 3),
    ]
    assert d["intents"][0]["turns"] == 2 and len(d["intents"]) == 5


def test_dashboard_date_range(client: TestClient, auth: dict[str, str]) -> None:
    d = client.get(
        "/admin/dashboard",
        params={"date_from": "2026-11-21", "date_to": "2026-11-21"},
        headers=auth,
    ).json()
    assert (d["orders"], d["revenue"], d["conversion_rate"]) == (2, 19000, 1.0)
    assert [c["day"] for c in d["conversations_per_day"]] == ["2026-11-21"]
    reversed_range = {"date_from": "2026-11-22", "date_to": "2026-11-21"}
    assert client.get("/admin/dashboard", params=reversed_range, headers=auth).status_code == 422
    bad = client.get("/admin/dashboard", params={"date_from": "ayer"}, headers=auth)
    assert bad.status_code == 422


def test_orders_filters_and_pagination(
    client: TestClient, auth: dict[str, str], known: Known
) -> None:
    page = client.get("/admin/orders", headers=auth).json()
    assert (page["total"], page["page"], page["page_size"]) == (5, 1, 50)
    ids = [known.orders[k].id for k in ("o5", "o4", "o3", "o2", "o1")]  # newest first
    assert [o["id"] for o in page["items"]] == ids
    closed = client.get("/admin/orders", params={"state": "cerrada"}, headers=auth).json()
    assert sorted(o["total"] for o in closed["items"]) == [7000, 12000, 30000]
    two = client.get("/admin/orders", params=[("state", "cancelada"), ("state", "pendiente")],
                     headers=auth).json()  # fmt: skip
    assert {o["state"] for o in two["items"]} == {"cancelada", "pendiente"}
    day1 = client.get("/admin/orders", params={"date_to": "2026-11-20"}, headers=auth).json()
    assert [o["id"] for o in day1["items"]] == [known.orders["o1"].id]
    p2 = client.get("/admin/orders", params={"page": 2, "page_size": 2}, headers=auth).json()
    assert (p2["total"], [o["id"] for o in p2["items"]]) == (5, ids[2:4])
    assert client.get("/admin/orders", params={"state": "perdida"}, headers=auth).status_code == 422
    assert client.get("/admin/orders", params={"page": 0}, headers=auth).status_code == 422


def test_order_detail(client: TestClient, auth: dict[str, str], known: Known) -> None:
    o = client.get(f"/admin/orders/{known.orders['o2'].id}", headers=auth).json()
    assert (o["state"], o["total"], o["client_name"], o["items_count"]) == (
        "cerrada", 12000, "Ana Gómez", 2,
    )  # fmt: skip
    assert [(i["name"], i["quantity"], i["unit_price"], i["subtotal"]) for i in o["items"]] == [
        ("Jabón Rey", 1, 2000, 2000),
        ("Arroz Diana 5 kg", 1, 10000, 10000),
    ]
    assert o["closed_at"].startswith("2026-11-21T12:30:00")
    assert client.get("/admin/orders/999999", headers=auth).status_code == 404


def test_clients(client: TestClient, auth: dict[str, str], known: Known) -> None:
    page = client.get("/admin/clients", headers=auth).json()
    assert [c["name"] for c in page["items"]] == ["Ana Gómez"]
    assert client.get("/admin/clients", params={"q": "gómez"}, headers=auth).json()["total"] == 1
    assert client.get("/admin/clients", params={"q": "zzz"}, headers=auth).json()["total"] == 0
    c = client.get(f"/admin/clients/{known.clients['a'].id}", headers=auth).json()
    assert (c["closed_orders"], c["spend"]) == (2, 42000)
    assert [o["total"] for o in c["orders"]] == [12000, 30000]


def test_conversations_and_transcript(
    client: TestClient, auth: dict[str, str], known: Known
) -> None:
    page = client.get("/admin/conversations", headers=auth).json()
    assert page["total"] == 3
    rows = [(c["user_id"], c["turns"], c["last_message"]) for c in page["items"]]
    assert rows == [("u3", 1, "hola"), ("u1", 6, "ver mi pedido"), ("u2", 1, "¿y lo otro?")]
    assert page["items"][1]["first_at"].startswith("2026-11-20T10:00:00")
    day1 = client.get("/admin/conversations", params={"date_to": "2026-11-20"}, headers=auth)
    assert [(c["user_id"], c["turns"]) for c in day1.json()["items"]] == [("u2", 1), ("u1", 4)]

    t = client.get("/admin/conversations/u1", headers=auth).json()
    assert [turn["turn_id"] for turn in t["turns"]] == [
        known.turns[k].turn_id for k in ("t1", "t2", "t3", "t4", "t6", "t7")
    ]
    second = t["turns"][1]
    assert (second["message"], second["final_reply"], second["intent"]) == (
        "¿tienen arroz?", "Sí, tenemos Arroz Diana a $4.500.", "consultar_inventario",
    )  # fmt: skip
    assert second["created_at"].startswith("2026-11-20T10:01:00")
    assert client.get("/admin/conversations/nadie", headers=auth).status_code == 404


def test_inventory_low_stock(client: TestClient, auth: dict[str, str]) -> None:
    inv = client.get("/admin/inventory", headers=auth).json()
    assert [(p["name"], p["stock"], p["low_stock"]) for p in inv["items"]] == [
        ("Café Sello Rojo", 0, True),
        ("Jabón Rey", 3, True),
        ("Arroz Diana 5 kg", 40, False),
    ]
    assert (inv["low_stock_threshold"], inv["low_stock_count"], inv["total"]) == (5, 2, 3)
    low = client.get("/admin/inventory", params={"low_stock": "true"}, headers=auth).json()
    assert [p["name"] for p in low["items"]] == ["Café Sello Rojo", "Jabón Rey"]
    zero = client.get(
        "/admin/inventory", params={"low_stock": "true", "threshold": 0}, headers=auth
    ).json()
    assert [p["name"] for p in zero["items"]] == ["Café Sello Rojo"]
    aseo = client.get("/admin/inventory", params={"category": "Aseo"}, headers=auth).json()
    assert [p["name"] for p in aseo["items"]] == ["Jabón Rey"]


def test_stats_routes_read_the_views(
    client: TestClient, auth: dict[str, str], known: Known
) -> None:
    days = client.get("/admin/stats/conversations", headers=auth).json()
    assert [(d["day"], d["turns"], round(d["p95_total_ms"], 6)) for d in days] == [
        ("2026-11-20", 5, 385.0),
        ("2026-11-21", 3, 915.0),
    ]
    intents = client.get("/admin/stats/intents", headers=auth).json()
    assert {i["intent"]: i["turns"] for i in intents}["comprar"] == 2
    errors = client.get("/admin/stats/errors", headers=auth).json()
    assert [(e["error_type"], e["count"]) for e in errors] == [("RasaTimeout", 2), ("LLMError", 1)]
    assert errors[0]["example_turn_id"] == known.turns["t6"].turn_id
    users = client.get("/admin/stats/users", params={"page_size": 2}, headers=auth).json()
    assert users["total"] == 3
    assert [(u["user_id"], u["orders"], u["spend"]) for u in users["items"]] == [
        ("u3", 1, 7000),
        ("u1", 2, 42000),
    ]


def _csv(client: TestClient, auth: dict[str, str], kind: str, **params: str) -> list[list[str]]:
    res = client.get(f"/admin/exports/{kind}", params=params, headers=auth)
    assert res.status_code == 200
    assert res.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="{kind}-tienda-a-' in res.headers["content-disposition"]
    assert res.content.startswith("\ufeff".encode())  # BOM: spreadsheets read UTF-8 accents
    return list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))


def test_exports_stream_csv(client: TestClient, auth: dict[str, str]) -> None:
    inventario = _csv(client, auth, "inventario")
    assert inventario[0][:2] == ["sku", "nombre"] and len(inventario) == 4
    assert "Café Sello Rojo" in {row[1] for row in inventario}
    ventas = _csv(client, auth, "ventas")
    assert len(ventas) == 1 + 6  # one row per order item (o2 has two)
    day2 = _csv(client, auth, "ventas", date_from="2026-11-21")
    assert len(day2) == 1 + 5
    conversaciones = _csv(client, auth, "conversaciones", date_to="2026-11-20")
    assert len(conversaciones) == 1 + 5 and "¿tienen arroz?" in {r[3] for r in conversaciones}
    clientes = _csv(client, auth, "clientes")
    assert [r[1] for r in clientes[1:]] == ["Ana Gómez"]
    assert client.get("/admin/exports/secretos", headers=auth).status_code == 422
