"""scripts/fleet.py (`make fleet`): the topology it starts and the Rasa environment it
builds agree with deploy/endpoints.fleet.yml; bad Redis settings are refused up front."""

from __future__ import annotations

import re

import pytest
import yaml

from scripts.fleet import ENDPOINTS, Ports, build_services, redis_env

DB = "postgresql+psycopg://postgres@127.0.0.1:5432/tendero_fleet"


def _backends(cmd: list[str]) -> list[int]:
    return [int(b.rsplit(":", 1)[1]) for b in cmd[cmd.index("--backends") + 1].split(",")]


def _port(cmd: list[str], env: dict[str, str]) -> int:
    if "--port" in cmd:
        return int(cmd[cmd.index("--port") + 1])
    return int(env["RASA_PORT"])


def test_two_of_every_process_behind_one_proxy_per_tier() -> None:
    ports = Ports(n=2, base=5100, app=8000, rasa=5005, actions=5055)
    services = {s.name: s for s in build_services(ports, DB, "redis://127.0.0.1:6379/6", "x1")}
    for tier, public in (("actions", 5055), ("rasa", 5005), ("orchestrator", 8000)):
        replicas = [s for n, s in services.items() if re.fullmatch(f"fleet-{tier}-\\d", n)]
        assert len(replicas) == 2
        proxy = services["fleet-proxy" if tier == "orchestrator" else f"fleet-{tier}-proxy"]
        assert f"127.0.0.1:{public}" in proxy.cmd
        assert _backends(proxy.cmd) == [_port(r.cmd, r.env) for r in replicas]
    every_port = [_port(s.cmd, s.env) for n, s in services.items() if "proxy" not in n]
    assert len(set(every_port)) == len(every_port) == 6
    for name, service in services.items():
        if "orchestrator" in name:
            assert service.env["RASA_URL"] == "http://127.0.0.1:5005"
            assert service.env["DATABASE_URL"] == DB


def test_rasa_replicas_get_every_variable_of_the_fleet_endpoints() -> None:
    ports = Ports(n=2, base=5100, app=8000, rasa=5005, actions=5055)
    rasa = [
        s
        for s in build_services(ports, DB, "redis://:pw@h:6380/6", "x1")
        if re.fullmatch(r"fleet-rasa-\d", s.name)
    ]
    wanted = set(re.findall(r"\$\{([A-Z_]+)\}", yaml.dump(yaml.safe_load(ENDPOINTS.read_text()))))
    for service in rasa:
        assert str(ENDPOINTS) in service.cmd
        # The tokens come from var/secrets.env (scripts/run_stack.ensure_local_secrets).
        assert wanted - set(service.env) == {"ACTION_SERVER_TOKEN"}
        assert service.env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"
        assert (service.env["REDIS_HOST"], service.env["REDIS_PORT"]) == ("h", "6380")
        assert (service.env["REDIS_DB"], service.env["REDIS_PASSWORD"]) == ("6", "pw")


@pytest.mark.parametrize(
    ("url", "prefix"),
    [("http://127.0.0.1:6379/6", "ok"), ("redis://127.0.0.1:6379/x", "ok"), ("redis://h/1", "a-b")],
)
def test_bad_redis_settings_are_refused(url: str, prefix: str) -> None:
    with pytest.raises(ValueError):
        redis_env(url, prefix)
