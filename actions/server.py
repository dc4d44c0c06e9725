"""The action server: rasa-sdk's own app behind a shared token, on loopback by default.

`python -m actions.server [--host H] [--port P]` (defaults `ACTIONS_HOST`=127.0.0.1,
`ACTIONS_PORT`=5055). Rasa sends `Authorization: Bearer $ACTION_SERVER_TOKEN` with every
action call (rasa_project/endpoints.yml); anything else gets 401 before rasa-sdk runs an
action, so nobody who reaches the port can run `action_exportar_datos` as a staff number.
`GET /health` stays open (it says only "ok"). Without a configured token every action call
is refused: the server fails closed.
"""

from __future__ import annotations

import argparse
import hmac
import logging

from rasa_sdk.endpoint import create_app as create_sdk_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from actions.settings import get_settings

log = logging.getLogger("actions.server")
OPEN_PATHS = frozenset({"/health"})


def authorized(expected: str, header: str | None) -> bool:
    """True when `header` is `Bearer <expected>` (constant time; an empty token never passes)."""
    if not expected or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), expected.encode())


def create_app(token: str, package: str = "actions") -> Sanic:
    """rasa-sdk's Sanic app for `package`, no CORS, with the token check in front."""
    executor = ActionExecutor()
    executor.register_package(package)
    app = create_sdk_app(executor, cors_origins="")
    if not token:
        log.error("ACTION_SERVER_TOKEN is not set: every action call will be refused")

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or authorized(token, request.headers.get("authorization")):
            return None
        log.warning("action call refused: missing or wrong token (%s)", request.path)
        return response.json({"error": "unauthorized"}, status=401)

    return app


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and serve until stopped."""
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Tendero action server")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = settings.action_server_token.get_secret_value() if settings.action_server_token else ""
    app = create_app(token)
    log.info("action server on http://%s:%d", args.host, args.port)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
