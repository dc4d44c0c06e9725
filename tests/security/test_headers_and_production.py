"""Item 12: browser-facing hardening headers, and what a production deployment exposes.

Every HTML page (the dashboard shell, the web chat) carries a Content-Security-Policy that
allows no inline code but the web chat's own blocks (by hash), refuses framing, and keeps
URLs out of referrers. In production (`APP_ENV` other than `development`) the API docs are
gone, `/metrics` needs `METRICS_TOKEN` (404 when none is configured), and the public
`/health` says ok / not ok per dependency and nothing about internal URLs or versions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from fastapi.testclient import TestClient

from tests.integration.admin.data import TOKEN_A, Known
from tests.integration.orchestrator.conftest import AppFactory

HTML_PAGES = ["/", "/admin/ui"]
PRODUCTION = {"app_env": "production", "secret_key": "s" * 40, "rasa_token": "r" * 40}
METRICS_TOKEN = "metrics-0123456789abcdef0123456789abcdef"


def _csp(response: object) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def _inline_hashes(html: str, tag: str) -> set[str]:
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    }


def test_html_pages_carry_the_hardening_headers(app_client: AppFactory) -> None:
    with app_client() as client:
        for path in HTML_PAGES:
            res = client.get(path)
            assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
            assert res.headers["x-frame-options"] == "DENY", path
            assert res.headers["x-content-type-options"] == "nosniff", path
            assert res.headers["referrer-policy"] == "no-referrer", path
            csp = _csp(res)
            assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
            assert csp["default-src"] == ["'self'"] and csp["base-uri"] == ["'none'"]
            for directive in ("script-src", "style-src"):
                assert "'unsafe-inline'" not in csp[directive] and "*" not in csp[directive]
            # Whatever inline code the page has is allowed by its exact hash, nothing more.
            assert _inline_hashes(res.text, "script") <= set(csp["script-src"]), path
            assert _inline_hashes(res.text, "style") <= set(csp["style-src"]), path
        api = client.get("/health")
        assert api.headers["x-content-type-options"] == "nosniff"
        assert _csp(api)["frame-ancestors"] == ["'none'"]


def test_production_hides_the_api_docs(app_client: AppFactory) -> None:
    with app_client() as client:  # development keeps them
        assert client.get("/openapi.json").status_code == 200
    with app_client(**PRODUCTION) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert client.get(path).status_code == 404, path


def test_production_metrics_need_the_metrics_token(app_client: AppFactory, known: Known) -> None:
    for unset in (None, "", "  "):  # `METRICS_TOKEN=` is no token, not the empty one
        with app_client(**PRODUCTION, metrics_token=unset) as client:
            assert client.get("/metrics").status_code == 404  # not served
            assert set(client.get("/health").json()["checks"]["rasa"]) == {"ok"}
    with app_client(**PRODUCTION, metrics_token=METRICS_TOKEN) as client:
        assert client.get("/metrics").status_code == 401
        for wrong in ("nope", TOKEN_A, METRICS_TOKEN + "x"):
            res = client.get("/metrics", headers={"Authorization": f"Bearer {wrong}"})
            assert res.status_code == 401, wrong
        ok = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert ok.status_code == 200 and "tendero_worker_in_flight" in ok.text


def _public_health(client: TestClient, **headers: str) -> dict:
    res = client.get("/health", headers=headers)
    assert res.status_code == 200
    return res.json()


def test_public_health_says_only_ok_or_not(app_client: AppFactory) -> None:
    with app_client(**PRODUCTION, metrics_token=METRICS_TOKEN) as client:
        public = _public_health(client)
        wrong = _public_health(client, Authorization=f"Bearer {TOKEN_A}")
        detailed = _public_health(client, Authorization=f"Bearer {METRICS_TOKEN}")
    assert public == wrong
    assert public["status"] == "ok"
    assert all(set(check) == {"ok"} for check in public["checks"].values())
    text = json.dumps(public)
    for leak in ("http", "127.0.0.1", "url", "version", "model", "provider", "queue"):
        assert leak not in text, leak
    # Ops still get the details, behind the metrics token.
    assert detailed["checks"]["rasa"]["url"].startswith("http://127.0.0.1")
    assert detailed["checks"]["llm"]["provider"] == "none"
