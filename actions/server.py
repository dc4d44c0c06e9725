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
from typing import Any

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


# Tracker entity keys the turn log keeps (as `orchestrator.rasa_client.parse_tracker`).
_ENTITY_KEYS = ("entity", "value", "start", "end", "extractor")


def turn_detail(action_call: dict[str, Any]) -> dict[str, Any]:
    """What the turn log needs of this turn, read from the tracker Rasa sent with the call:
    the intent and entities of the latest user message, its idempotency key, and the
    actions run since it (this one included)."""
    tracker = action_call.get("tracker") or {}
    latest = tracker.get("latest_message") or {}
    intent = latest.get("intent") or {}
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    actions = [
        str(e["name"])
        for e in events[last_user + 1 :]
        if e.get("event") == "action" and e.get("name") and e["name"] != "action_listen"
    ]
    if action_call.get("next_action"):
        actions.append(str(action_call["next_action"]))
    metadata = latest.get("metadata") or {}
    return {
        "key": metadata.get("idempotency_key") if isinstance(metadata, dict) else None,
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
        "entities": [
            {k: e[k] for k in _ENTITY_KEYS if k in e}
            for e in latest.get("entities") or []
            if isinstance(e, dict)
        ],
        "actions": actions,
    }


class DetailExecutor(ActionExecutor):
    """rasa-sdk's executor that adds the turn's detail (`turn_detail`) to the last facts
    payload an action answers, so the orchestrator's turn log needs no second request to
    Rasa (docs/CONTRACTS.md, "turn" in the custom payload)."""

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """Run the action as rasa-sdk does, then attach the detail."""
        result = await super().run(action_call, *args, **kwargs)
        responses = getattr(result, "responses", None) or []
        for message in reversed(responses):
            custom = message.get("custom") if isinstance(message, dict) else None
            if isinstance(custom, dict) and "facts" in custom:
                custom["turn"] = turn_detail(action_call)
                break
        return result


def create_app(token: str, package: str = "actions") -> Sanic:
    """rasa-sdk's Sanic app for `package`, no CORS, with the token check in front."""
    executor = DetailExecutor()
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
