"""Item 9: odd but well-formed admin requests get a 4xx, never a 500 (nor a 200 that dies
half-way through its body).

Each case is a request an attacker (or a fuzzer) can type: a NUL in a static path, page
numbers and thresholds past 64-bit integers, dates at the end of the calendar, NULs in
search texts (PostgreSQL refuses NUL in text), ids past the database's integer range.
Every 422 must carry FastAPI's documented validation body, which clients can rely on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.admin.data import Known
from tests.integration.orchestrator.conftest import AppFactory

LISTINGS = [
    "/admin/orders",
    "/admin/clients",
    "/admin/conversations",
    "/admin/inventory",
    "/admin/stats/users",
]
HUGE = str(2**63)
DATED = [
    "/admin/dashboard",
    "/admin/orders",
    "/admin/clients",
    "/admin/conversations",
    "/admin/conversations/u1",
    "/admin/stats/conversations",
    *(f"/admin/exports/{kind}" for kind in ("inventario", "clientes", "ventas", "conversaciones")),
]
Case = tuple[str, dict[str, str]]


@pytest.fixture
def admin(app_client: AppFactory, known: Known, auth: dict[str, str]) -> Iterator[TestClient]:
    """The real app on the known data set, sending shop A's token."""
    with app_client() as client:
        client.headers.update(auth)
        yield client


def _is_validation_error(body: Any) -> bool:
    """FastAPI's documented 422 body: `{"detail": [{"loc", "msg", "type"}, ...]}`."""
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return False
    return all({"loc", "msg", "type"} <= set(error) for error in body["detail"])


def _not_422(client: TestClient, cases: list[Case]) -> list[tuple[str, dict[str, str], int]]:
    """The cases that did not answer a well-formed 422."""
    bad = []
    for path, query in cases:
        res = client.get(path, params=query)
        if res.status_code != 422 or not _is_validation_error(res.json()):
            bad.append((path, query, res.status_code))
    return bad


def test_a_nul_in_a_static_path_is_404(admin: TestClient) -> None:
    for path in ("/admin/static/dashboard.js%00.css", "/admin/static/%00", "/admin/static/a%00/b"):
        assert admin.get(path).status_code == 404, path


def test_page_numbers_are_bounded(admin: TestClient) -> None:
    queries = [{"page": HUGE}, {"page": str(10**30)}, {"page": "0"}, {"page_size": HUGE}]
    assert _not_422(admin, [(path, q) for path in LISTINGS for q in queries]) == []
    for path in LISTINGS:  # the last allowed page is just empty
        res = admin.get(path, params={"page": "1000000", "page_size": "200"})
        assert res.status_code == 200 and res.json()["items"] == [], path


def test_the_low_stock_threshold_is_bounded(admin: TestClient) -> None:
    thresholds = ["1e20", str(10**20), HUGE, "2147483648", "-1"]
    assert _not_422(admin, [("/admin/inventory", {"threshold": t}) for t in thresholds]) == []
    assert admin.get("/admin/inventory", params={"threshold": "2147483647"}).status_code == 200


def test_ids_outside_the_database_range_are_422(admin: TestClient) -> None:
    cases = [
        (f"/admin/{kind}/{value}", {})
        for kind in ("orders", "clients")
        for value in (HUGE, str(2**31), "0", "-5")
    ]
    assert _not_422(admin, cases) == []


def test_dates_and_ranges_are_checked_before_anything_is_sent(admin: TestClient) -> None:
    queries = [
        {"date_to": "9999-12-31"},
        {"date_from": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"date_from": "2026-11-21", "date_to": "2026-11-20"},
    ]
    assert _not_422(admin, [(path, q) for path in DATED for q in queries]) == []
    # At the edges of the allowed range an export streams completely.
    res = admin.get(
        "/admin/exports/clientes", params={"date_from": "2000-01-01", "date_to": "2999-12-31"}
    )
    assert res.status_code == 200 and res.text.startswith("\ufeffcedula,")


def test_nul_and_unknown_values_in_text_parameters_are_422(admin: TestClient) -> None:
    cases: list[Case] = [
        ("/admin/clients", {"q": "a\x00b"}),
        ("/admin/inventory", {"q": "\x00"}),
        ("/admin/inventory", {"category": "\x00"}),
        ("/admin/orders", {"state": "\x00"}),
        ("/admin/orders", {"state": "despachada"}),  # not a state (entregada is, now)
        ("/admin/conversations/u1%00", {}),
    ]
    assert _not_422(admin, cases) == []
