"""Item 11: no request writes a token into the logs, uvicorn's access log included.

The dashboard used to take its admin token from `/admin/ui?token=...`: the access log then
held a working admin token for anyone who reads logs. The same goes for the signed export
links (`/exports/download?token=...`), which are bearer capabilities until they expire. A
real uvicorn with its access log on serves the real app; everything written to stdout,
stderr or any logger during the requests is searched for the secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from db.exports import sign_download
from orchestrator.app import create_app
from tests.fakes.rasa import FakeRasa
from tests.fakes.twilio import FakeTwilio
from tests.integration.admin.data import TOKEN_A, Known
from tests.integration.orchestrator.conftest import serve, settings_for

STATIC = Path(__file__).resolve().parents[2] / "orchestrator" / "static" / "admin"


class _Everything(logging.Handler):
    """Keeps every formatted record it sees."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def captured() -> Iterator[_Everything]:
    handler = _Everything()
    names = ["", "uvicorn", "uvicorn.access", "uvicorn.error"]
    for name in names:
        logging.getLogger(name).addHandler(handler)
    yield handler
    for name in names:
        logging.getLogger(name).removeHandler(handler)


def test_tokens_in_urls_never_reach_the_logs(
    db_url: str,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilio,
    known: Known,
    captured: _Everything,
    capfd: pytest.CaptureFixture[str],
) -> None:
    link = sign_download(
        "any-signing-key-0123456789",
        known.shop_a.id,
        "ventas",
        "ventas.csv",
        datetime.now(UTC) + timedelta(1),
    )
    app = create_app(settings_for(db_url, fake_rasa.url, fake_twilio.url, log_level="DEBUG"))
    with serve(app, log_level="info", access_log=True) as url, httpx.Client(base_url=url) as http:
        http.get("/admin/ui", params={"token": TOKEN_A})
        http.get("/admin/ui", params={"lang": "es", "TOKEN": TOKEN_A})
        http.get("/admin/dashboard", headers={"Authorization": f"Bearer {TOKEN_A}"})
        http.get("/admin/dashboard", params={"access_token": TOKEN_A})
        http.get("/exports/download", params={"token": link})
    out, err = capfd.readouterr()
    logged = "\n".join([*captured.lines, out, err])
    assert "GET /admin/ui?" in logged  # the access log did run: the search means something
    assert TOKEN_A not in logged
    assert link not in logged and link[:40] not in logged


def test_the_dashboard_never_takes_its_token_from_the_address() -> None:
    # The page's script must not read a token from the URL (it would have to be sent in
    # the URL first): the login form and sessionStorage are the only way in.
    script = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    assert "searchParams" not in script and "location.search" not in script
