"""Item 7: no repository default signs anything; links have a server-bounded lifetime."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from actions.settings import ActionsSettings
from db.exports import sign_download
from orchestrator.api.deps import get_settings_dep
from orchestrator.routers.downloads import router
from orchestrator.settings import Settings
from scripts.run_stack import SECRET_NAMES, ensure_local_secrets

OLD_DEFAULT = "dev-insecure-secret-change-me"  # the key round 1 shipped in the repository


def _download_app(tmp_path: Path, **kw: object) -> TestClient:
    (tmp_path / "1").mkdir(exist_ok=True)
    (tmp_path / "1" / "clientes-x.csv").write_text("cedula,nombre\r\n1036654321,Valentina\r\n")
    settings = Settings(_env_file=None, export_dir=tmp_path, **kw)  # type: ignore[call-arg]
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_settings_dep] = lambda: settings
    return TestClient(app)


def test_a_link_forged_with_the_old_default_key_is_refused(tmp_path: Path) -> None:
    # Even an operator who copied the old default into SECRET_KEY does not get it used.
    for configured in (None, OLD_DEFAULT):
        client = _download_app(tmp_path, secret_key=configured)
        forged = sign_download(
            OLD_DEFAULT, 1, "clientes", "clientes-x.csv", datetime.now(UTC) + timedelta(days=3650)
        )
        resp = client.get("/exports/download", params={"token": forged})
        assert resp.status_code == 403 and "Valentina" not in resp.text


def test_a_genuine_key_cannot_grant_a_ten_year_link(tmp_path: Path) -> None:
    key = "a-real-secret-for-this-test-0123"
    client = _download_app(tmp_path, secret_key=key, export_link_ttl_s=3600)
    far = sign_download(
        key, 1, "clientes", "clientes-x.csv", datetime.now(UTC) + timedelta(days=3650)
    )
    assert client.get("/exports/download", params={"token": far}).status_code == 403
    ok = sign_download(
        key, 1, "clientes", "clientes-x.csv", datetime.now(UTC) + timedelta(minutes=30)
    )
    assert client.get("/exports/download", params={"token": ok}).status_code == 200


@pytest.mark.parametrize("value", [None, OLD_DEFAULT, "change-me", "short"])
def test_outside_development_no_service_starts_with_a_default_or_weak_key(
    value: str | None,
) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, app_env="production", secret_key=value)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        ActionsSettings(_env_file=None, app_env="production", secret_key=value)  # type: ignore[call-arg]


def test_make_run_generates_private_random_secrets_once(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secrets.env"
    first = ensure_local_secrets(path)
    assert set(first) == set(SECRET_NAMES)
    assert all(len(v) >= 32 and v != OLD_DEFAULT for v in first.values())
    assert len(set(first.values())) == len(SECRET_NAMES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_local_secrets(path) == first  # kept: links survive a restart
    assert ensure_local_secrets(tmp_path / "other.env") != first
