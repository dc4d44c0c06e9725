"""The orchestrator's real `create_app()` serves the admin router on its own services."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.app import create_app
from orchestrator.settings import Settings
from tests.integration.admin.data import TOKEN_A, Known


def test_create_app_serves_admin_with_the_services_session_factory(
    db_url: str, session_factory: sessionmaker[Session], known: Known
) -> None:
    app = create_app(Settings(database_url=db_url))
    # What the lifespan would set; the lifespan itself (worker, Rasa client) is not needed.
    app.state.services = SimpleNamespace(session_factory=session_factory)
    client = TestClient(app)
    assert client.get("/admin/dashboard").status_code == 401
    res = client.get("/admin/dashboard", headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert res.status_code == 200 and res.json()["revenue"] == 49000
    page = client.get("/admin/ui")
    assert page.status_code == 200 and "/admin/static/vendor/chart.umd.js" in page.text
    script = client.get("/admin/static/vendor/chart.umd.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert client.get("/admin/static/../admin/__init__.py").status_code == 404
    assert client.get("/admin/static/%2e%2e/%2e%2e/settings.py").status_code == 404
