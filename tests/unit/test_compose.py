"""docker-compose.yml parses (`docker-compose config`, no daemon needed) and agrees with the
settings modules: every variable a service gets is one its settings read, every internal
URL points at a service and port that exist, secrets are required, only the proxy
publishes ports, long-running services restart and have health checks, migrations run
once before the app starts.

`docker-compose` is Debian's package (`make compose-deps`, scripts/ensure_compose.sh); the
compose plugin (`docker compose`) is used when that is what the machine has.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from actions.search.settings import SearchSettings
from actions.settings import ActionsSettings
from db.settings import DBSettings
from orchestrator.settings import Settings as OrchestratorSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENDPOINTS = ROOT / "deploy" / "endpoints.fleet.yml"
REQUIRED = {
    "POSTGRES_PASSWORD": "pg-secret-9f2c1e7a4b",
    "SECRET_KEY": "signing-secret-3d8e0b6a1c5f",
    "RASA_TOKEN": "rasa-secret-7b1d9e2f4a6c",
    "ACTION_SERVER_TOKEN": "actions-secret-5e3a8c0d2b7f",
    "REDIS_PASSWORD": "redis-secret-1a4f6b8d0e2c",
    "PUBLIC_BASE_URL": "https://tendero.example.com",
    "SITE_ADDRESS": "tendero.example.com",
}
# What each kind of service is configured by (its settings classes).
APP_SETTINGS: dict[str, tuple[type[BaseSettings], ...]] = {
    "orchestrator": (OrchestratorSettings, DBSettings),
    "actions": (ActionsSettings, SearchSettings, DBSettings),
    "migrate": (DBSettings, OrchestratorSettings),
}


def _compose_cmd() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    reason = "neither docker-compose nor the compose plugin is installed (make compose-deps)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [*_compose_cmd(), "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = _config(tmp_path_factory.mktemp("compose"), REQUIRED)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


def _env_names(*classes: type[BaseSettings]) -> set[str]:
    names: set[str] = set()
    for cls in classes:
        prefix = str(cls.model_config.get("env_prefix") or "")
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(str(choice).upper() for choice in alias.choices)
            elif isinstance(alias, str):
                names.add(alias.upper())
            else:
                names.add(f"{prefix}{name}".upper())
    return names


def _kind(name: str, service: dict[str, Any]) -> str:
    """orchestrator | actions | rasa | migrate | proxy | postgres | redis | balancer."""
    command = " ".join(service.get("command") or [])
    if "rr_proxy.py" in command:
        return "balancer"
    return re.sub(r"-\d+$", "", name)


def _services(config: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in config["services"].items() if _kind(n, s) == kind}


def _listen_port(service: dict[str, Any], default: int) -> int:
    command = service.get("command") or []
    if "--port" in command:
        return int(command[command.index("--port") + 1])
    if "--listen" in command:
        return int(command[command.index("--listen") + 1].rsplit(":", 1)[1])
    return default


def _target(config: dict[str, Any], url: str) -> tuple[dict[str, Any], int]:
    parts = urlsplit(url)
    assert parts.hostname in config["services"], f"{url}: no service {parts.hostname}"
    return config["services"][parts.hostname], int(parts.port or 80)


def test_two_replicas_of_every_process_and_the_infrastructure(config: dict[str, Any]) -> None:
    kinds = [_kind(n, s) for n, s in config["services"].items()]
    for kind in ("orchestrator", "actions", "rasa"):
        assert kinds.count(kind) == 2, (kind, kinds)
    assert kinds.count("balancer") == 2  # one round robin per internal tier
    for kind in ("postgres", "redis", "migrate", "proxy"):
        assert kinds.count(kind) == 1, (kind, kinds)


def test_only_the_proxy_publishes_ports(config: dict[str, Any]) -> None:
    published = {n for n, s in config["services"].items() if s.get("ports")}
    assert published == {"proxy"}
    ports = {
        str(p.get("published", p) if isinstance(p, dict) else p).split(":")[0]
        for p in config["services"]["proxy"]["ports"]
    }
    assert ports == {"80", "443"}
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = set(re.findall(r"\b([a-z0-9-]+):8000\b", caddyfile))
    assert upstreams == set(_services(config, "orchestrator"))


def test_every_variable_is_read_by_the_services_settings(config: dict[str, Any]) -> None:
    for kind, classes in APP_SETTINGS.items():
        known = _env_names(*classes)
        for name, service in _services(config, kind).items():
            unknown = set(service.get("environment") or {}) - known
            assert not unknown, f"{name} sets variables no settings module reads: {unknown}"
    # Rasa reads its variables through deploy/endpoints.fleet.yml (and rasa.sh / the image).
    values = yaml.dump(yaml.safe_load(ENDPOINTS.read_text()))  # without the comments
    wanted = set(re.findall(r"\$\{([A-Z_]+)\}", values)) | {"RASA_TOKEN"}
    for name, service in _services(config, "rasa").items():
        env = set(service["environment"])
        assert wanted <= env, f"{name} misses {wanted - env}"
        assert env - wanted <= {"TICKET_LOCK_LIFETIME", "SQL_POOL_SIZE", "SQL_MAX_OVERFLOW"}


def test_settings_validate_with_the_compose_environment(config: dict[str, Any]) -> None:
    """The app services' settings accept what compose gives them (production checks on)."""
    for kind, cls in (("orchestrator", OrchestratorSettings), ("actions", ActionsSettings)):
        for service in _services(config, kind).values():
            env = {k: str(v) for k, v in service["environment"].items() if v is not None}
            settings = cls(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[call-arg]
            assert settings.app_env == "production"


def test_internal_urls_point_at_services_and_ports_that_exist(config: dict[str, Any]) -> None:
    for service in _services(config, "orchestrator").values():
        env = service["environment"]
        rasa, port = _target(config, env["RASA_URL"])
        assert _listen_port(rasa, 0) == port
        actions, port = _target(config, env["ACTION_SERVER_URL"])
        assert _listen_port(actions, 0) == port
        db = urlsplit(env["DATABASE_URL"])
        assert db.hostname == "postgres" and db.password == REQUIRED["POSTGRES_PASSWORD"]
    for service in _services(config, "rasa").values():
        env = service["environment"]
        actions, port = _target(config, env["ACTION_ENDPOINT_URL"])
        assert _listen_port(actions, 0) == port
        assert env["REDIS_HOST"] == "redis" and env["REDIS_PASSWORD"] == REQUIRED["REDIS_PASSWORD"]
        assert urlsplit(env["TRACKER_STORE_URL"]).hostname == "postgres"
    for name, service in _services(config, "balancer").items():
        command = service["command"]
        backends = command[command.index("--backends") + 1].split(",")
        for backend in backends:
            host, port = backend.rsplit(":", 1)
            default = 5005 if host.startswith("rasa") else 5055
            assert _listen_port(config["services"][host], default) == int(port), (name, backend)
        assert set(service.get("depends_on") or {}) == {b.rsplit(":", 1)[0] for b in backends}


def test_restart_policies_health_checks_and_a_one_shot_migration(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        if name == "migrate":
            assert service.get("restart") == "no"
            continue
        assert service.get("restart") == "unless-stopped", name
        assert service.get("healthcheck", {}).get("test"), name
    for kind in ("orchestrator", "actions", "rasa"):
        for name, service in _services(config, kind).items():
            condition = service["depends_on"]["migrate"]["condition"]
            assert condition == "service_completed_successfully", name


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_every_secret_and_the_public_address_is_required(tmp_path: Path, missing: str) -> None:
    result = _config(tmp_path, {k: v for k, v in REQUIRED.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr
