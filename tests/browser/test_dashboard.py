"""Headless Chromium logs in to `/admin/ui` with a shop token and the charts really draw.

A real uvicorn server (in a thread, on a free port) serves the admin router on a seeded
SQLite database; Playwright drives Debian's `chromium` package (no downloaded browser).
The screenshot goes to `reports/dashboard.png`.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from db.session import make_engine, make_session_factory
from tests.factories import make_product
from tests.integration.admin.app import admin_app
from tests.integration.admin.data import TOKEN_A, Known, at, log_turn, make_order, seed_known

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPORT = Path(__file__).resolve().parents[2] / "reports" / "dashboard.png"
# Dataset colours of dashboard.js, one per chart: bars or line drawn in them prove drawing.
CHART_COLOURS = {
    "chart-turns": (0x1A, 0x73, 0xE8),
    "chart-success": (0x0F, 0x9D, 0x58),
    "chart-intents": (0x8E, 0x24, 0xAA),
    "chart-revenue": (0x0F, 0x9D, 0x58),
    "chart-products": (0xF2, 0x99, 0x00),
}
INTENTS = ["saludar", "consultar_inventario", "comprar", "ver_pedido", "confirmar_pedido",
           "informar_datos", "consultar_empresa", "nlu_fallback", "despedir"]  # fmt: skip


def seed_week(session: Session, known: Known) -> None:
    """A week of plausible traffic and sales for shop A on top of the known data."""
    rng = random.Random(7)
    shop = known.shop_a
    extra = [make_product(session, shop, name=n, price=p, stock=s) for n, p, s in [
        ("Aceite Premier 1 L", 12900, 25), ("Panela 500 g", 3200, 4), ("Huevos x30", 18500, 12),
        ("Leche Alquería 1 L", 4300, 1)]]  # fmt: skip
    products = list(known.products.values())[:3] + extra
    for day in range(14, 20):
        for n in range(rng.randint(6, 14)):
            user = f"+5730012345{rng.randint(10, 30)}"
            intent = rng.choice(INTENTS)
            ok = rng.random() > 0.15
            log_turn(session, shop, user, at(day, 9 + n % 10, n), intent=intent,
                     confidence=round(rng.uniform(0.4, 0.99), 2), success=ok,
                     error_type=None if ok else "RasaTimeout", total_ms=rng.uniform(80, 900),
                     message=f"mensaje {n} del día {day}")  # fmt: skip
        for _ in range(rng.randint(1, 3)):
            lines = [(p, rng.randint(1, 3)) for p in rng.sample(products, 2)]
            make_order(session, shop, f"+5730012345{rng.randint(10, 30)}", "cerrada", lines,
                       at(day, 15), closed_at=at(day, 16))  # fmt: skip
    session.commit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """Base URL of a live server with the admin router on a seeded SQLite database."""
    db = tmp_path / "dashboard.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    factory = make_session_factory(engine)
    with factory() as session:
        seed_week(session, seed_known(session))
    port = _free_port()
    config = uvicorn.Config(
        admin_app(factory), host="127.0.0.1", port=port, log_level="warning",
        lifespan="off", ws="none",
    )  # fmt: skip
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: run `make browser-deps`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


COLOURED_PIXELS = """([id, rgb]) => {
  const c = document.getElementById(id);
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 200 && Math.abs(data[i] - rgb[0]) < 8 && Math.abs(data[i + 1] - rgb[1]) < 8
        && Math.abs(data[i + 2] - rgb[2]) < 8) n++;
  }
  return n;
}"""


def test_dashboard_renders_charts_and_transcripts(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    external: list[str] = []

    def note_external(request: Any) -> None:
        if not request.url.startswith(server):
            external.append(request.url)

    page.on("request", note_external)  # everything must come from the project, offline

    page.goto(f"{server}/admin/ui")  # the token goes in the login form, never in the URL
    page.wait_for_selector("body[data-state=login]")
    page.fill("#token-input", TOKEN_A)
    page.click("#login-form button")
    page.wait_for_selector("body[data-state=ready]", timeout=20000)
    assert page.text_content("#shop-name") == "· Tienda A"
    assert page.text_content("#kpi-orders") != "–"

    for chart_id, rgb in CHART_COLOURS.items():
        drawn = page.evaluate(COLOURED_PIXELS, [chart_id, list(rgb)])
        assert drawn > 200, f"{chart_id}: only {drawn} pixels in the dataset colour"

    # Conversation viewer: the newest conversation is open; pick u1's and read it.
    assert page.locator("#conversations li").count() >= 3
    page.click("#conversations li[data-user=u1]")
    page.wait_for_selector("#transcript[data-user=u1]")
    assert page.locator("#transcript .bubble.user").count() == 6
    assert "¿tienen arroz?" in page.text_content("#transcript")
    assert "Sí, tenemos Arroz Diana a $4.500." in page.text_content("#transcript")
    assert page.locator("#low-stock tr").count() >= 2

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPORT), full_page=True)
    assert REPORT.stat().st_size > 20000
    assert errors == [] and external == []


def test_login_form_rejects_a_wrong_token_then_accepts_the_right_one(
    server: str, browser: Any
) -> None:
    page = browser.new_page()
    page.goto(f"{server}/admin/ui")
    page.wait_for_selector("body[data-state=login]")
    page.fill("#token-input", "no-es-el-token")
    page.click("#login-form button")
    # A selector wait, not wait_for_function: the page's CSP (no 'unsafe-eval') forbids the
    # string evaluation that function waits need, and that CSP is what we ship.
    page.locator("#login-error").filter(has_text="inválido").wait_for()
    assert "inválido" in page.text_content("#login-error")
    page.fill("#token-input", TOKEN_A)
    page.click("#login-form button")
    page.wait_for_selector("body[data-state=ready]", timeout=20000)
    assert page.is_visible("#chart-turns")


ORDERS_REPORT = REPORT.with_name("dashboard-orders.png")


def test_order_actions_and_catalog_edits_from_the_dashboard(server: str, browser: Any) -> None:
    """Ship a closed order, see it move; lower a stock under the threshold, see the alert
    that needs a template listed with the notifications not sent."""
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/admin/ui")
    page.wait_for_selector("body[data-state=login]")
    page.fill("#token-input", TOKEN_A)
    page.click("#login-form button")
    page.wait_for_selector("body[data-operations=ready]", timeout=20000)
    page.fill("#actor", "Ana")

    row = page.locator("#orders tr[data-order]").first
    order_id = row.get_attribute("data-order")
    row.locator("button[data-state=enviada]").click()
    page.locator("#order-result").filter(has_text=f"Pedido #{order_id}: enviado").wait_for()
    shipped = page.locator(f"#orders tr[data-order='{order_id}']")
    shipped.locator(".state").filter(has_text="enviado").wait_for()
    assert shipped.locator("button[data-state=pagada]").count() == 0
    assert shipped.locator("button[data-state=entregada]").count() == 1

    product = page.locator("#catalog tr[data-product]").filter(has_text="Arroz Diana 5 kg")
    product.locator("input[name=stock]").fill("3")
    product.locator("button").click()
    page.locator("#catalog-result").filter(has_text="stock 40 → 3").wait_for()
    assert "alerta de stock bajo" in page.text_content("#catalog-result")
    page.locator("#notifications tr[data-status=needs_template]").first.wait_for()
    assert "Arroz Diana 5 kg" in page.text_content("#notifications")

    page.screenshot(path=str(ORDERS_REPORT), full_page=True)
    assert errors == []
