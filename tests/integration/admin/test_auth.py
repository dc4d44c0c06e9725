"""Every admin route refuses a missing or wrong token, and hides other shops' objects."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from db.auth import generate_token, hash_token, verify_token
from orchestrator.admin import router
from tests.integration.admin.data import TOKEN_A, TOKEN_B, Known

# Every JSON/CSV route of the admin router, with a concrete path for shop A's objects.
PROTECTED = [
    "/admin/dashboard",
    "/admin/orders",
    "/admin/orders/{order_id}",
    "/admin/clients",
    "/admin/clients/{client_id}",
    "/admin/conversations",
    "/admin/conversations/{user_id}",
    "/admin/inventory",
    "/admin/stats/conversations",
    "/admin/stats/intents",
    "/admin/stats/errors",
    "/admin/stats/users",
    "/admin/exports/{kind}",
    "/admin/orders/{order_id}/events",
    "/admin/products/{product_id}/changes",
    "/admin/notifications",
    "/admin/inbox",
    "/admin/stats/handoffs",
]
# The routes that change something: (method, path, a valid body).
WRITES = [
    ("POST", "/admin/orders/{order_id}/state", {"state": "enviada"}),
    ("PATCH", "/admin/products/{product_id}", {"stock": 7}),
]
# The inbox routes of one conversation (and its POSTs): their 401s and 404s are checked in
# tests/integration/handoff/test_inbox_api.py, on a shop with a conversation.
INBOX_ROUTES = [
    "/admin/inbox/{conversation_id}",
    "/admin/inbox/{conversation_id}/reply",
    "/admin/inbox/{conversation_id}/take",
    "/admin/inbox/{conversation_id}/release",
]


def _concrete(path: str, known: Known) -> str:
    return path.format(
        order_id=known.orders["o1"].id,
        client_id=known.clients["a"].id,
        user_id="u1",
        kind="ventas",
        product_id=known.products["a1"].id,
    )


def test_the_list_covers_every_admin_route() -> None:
    app = FastAPI()
    app.include_router(router)
    # The page and its static files are public and left out of the schema on purpose.
    assert set(app.openapi()["paths"]) == set(PROTECTED) | set(INBOX_ROUTES) | {
        path for _, path, _ in WRITES
    }


BAD_HEADERS = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": f"Bearer {TOKEN_A}x"},
    {"Authorization": f"Basic {TOKEN_A}"},
    {"Authorization": TOKEN_A},
    {"Authorization": "Bearer "},
]


def test_missing_or_wrong_token_is_401_on_every_route(client: TestClient, known: Known) -> None:
    # One database for all cases (a fresh PostgreSQL database per case would be slow).
    for path in PROTECTED:
        for headers in BAD_HEADERS:
            res = client.get(_concrete(path, known), headers=headers)
            assert res.status_code == 401, (path, headers)
            assert res.headers["www-authenticate"] == "Bearer", (path, headers)


def test_missing_or_wrong_token_is_401_on_every_write_and_nothing_changes(
    client: TestClient, known: Known
) -> None:
    for method, path, body in WRITES:
        for headers in BAD_HEADERS:
            res = client.request(method, _concrete(path, known), json=body, headers=headers)
            assert res.status_code == 401, (method, path, headers)
    ok = {"Authorization": f"Bearer {TOKEN_A}"}
    order = client.get(_concrete("/admin/orders/{order_id}", known), headers=ok).json()
    assert order["state"] == "cerrada" and order["events"] == []
    changes = client.get(_concrete("/admin/products/{product_id}/changes", known), headers=ok)
    assert changes.json() == []


def test_right_token_is_200_on_every_route(client: TestClient, known: Known) -> None:
    for path in PROTECTED:
        res = client.get(_concrete(path, known), headers={"Authorization": f"Bearer {TOKEN_A}"})
        assert res.status_code == 200, (path, res.text)


def test_another_shops_object_is_404(client: TestClient, known: Known) -> None:
    """Shop B's token cannot see shop A's order, client or conversation (and vice versa)."""
    a_objects = [
        f"/admin/orders/{known.orders['o1'].id}",
        f"/admin/clients/{known.clients['a'].id}",
        "/admin/conversations/u2",  # only shop A has a u2 (both shops have a u1)
    ]
    b_objects = [
        f"/admin/orders/{known.orders['ob'].id}",
        f"/admin/clients/{known.clients['b'].id}",
    ]
    for token, mine, theirs in [(TOKEN_A, a_objects, b_objects), (TOKEN_B, b_objects, a_objects)]:
        headers = {"Authorization": f"Bearer {token}"}
        for url in theirs:
            res = client.get(url, headers=headers)
            assert res.status_code == 404, url
            assert "detail" in res.json()
        for url in mine:
            assert client.get(url, headers=headers).status_code == 200, url


def test_same_user_id_in_two_shops_shows_each_shop_its_own_turns(
    client: TestClient, known: Known
) -> None:
    a = client.get("/admin/conversations/u1", headers={"Authorization": f"Bearer {TOKEN_A}"})
    b = client.get("/admin/conversations/u1", headers={"Authorization": f"Bearer {TOKEN_B}"})
    assert len(a.json()["turns"]) == 6
    assert [t["message"] for t in b.json()["turns"]] == ["hola tienda b"]


def test_lists_only_show_the_tokens_shop(client: TestClient, known: Known) -> None:
    b = {"Authorization": f"Bearer {TOKEN_B}"}
    orders = client.get("/admin/orders", headers=b).json()
    assert [o["id"] for o in orders["items"]] == [known.orders["ob"].id]
    clients = client.get("/admin/clients", headers=b).json()
    assert [c["name"] for c in clients["items"]] == ["Beto Ruiz"]
    inventory = client.get("/admin/inventory", headers=b).json()
    assert [p["name"] for p in inventory["items"]] == ["Televisor"]
    csv = client.get("/admin/exports/ventas", headers=b).content.decode("utf-8-sig")
    assert "Televisor" in csv and "Arroz" not in csv


def test_token_helpers() -> None:
    token = generate_token()
    assert len(token) >= 40 and token != generate_token()
    assert hash_token(token) == hash_token(token) and len(hash_token(token)) == 64
    assert verify_token(token, hash_token(token))
    assert not verify_token(token + "x", hash_token(token))
    assert not verify_token("", hash_token(""))
    assert not verify_token(token, None)
