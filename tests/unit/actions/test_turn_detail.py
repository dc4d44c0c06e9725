"""The action server adds the turn's detail to the facts payload it answers, so the
orchestrator's turn log needs no second request to Rasa (docs/CONTRACTS.md)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.respond import say
from actions.server import DetailExecutor
from orchestrator.rasa_client import payload_detail

KEY = "twilio:SM0123"


class _Quote(Action):
    def name(self) -> str:
        return "action_test_quote"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list:
        dispatcher.utter_message(text="Primero esto.")
        say(dispatcher, "action_test_quote", "Arroz a $3.500.", {"products": []})
        return []


class _Template(Action):
    def name(self) -> str:
        return "action_test_template"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> list:
        dispatcher.utter_message(response="utter_que_mas")
        return []


def _call(action: str) -> dict[str, Any]:
    entity = {"entity": "producto", "value": "arroz", "start": 11, "end": 16, "extractor": "DIET"}
    latest = {
        "text": "¿tienen arroz?",
        "intent": {"name": "consultar_inventario", "confidence": 0.93},
        "entities": [{**entity, "confidence_entity": 0.99}],
        "metadata": {"idempotency_key": KEY},
    }
    events = [
        {"event": "user", "text": "hola"},
        {"event": "action", "name": "utter_saludar"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": latest["text"], "metadata": latest["metadata"]},
        {"event": "action", "name": "action_interpretar"},
    ]
    tracker = {"sender_id": "demo:+573001112233", "slots": {}, "latest_message": latest}
    return {
        "next_action": action,
        "tracker": {**tracker, "events": events},
        "domain": {},
        "version": "3.6.0",
    }


def _run(action: str) -> list[dict[str, Any]]:
    executor = DetailExecutor()
    executor.register_action(_Quote())
    executor.register_action(_Template())
    result = asyncio.run(executor.run(_call(action)))
    assert result is not None
    return list(result.responses)


def test_the_last_facts_payload_carries_the_turns_detail() -> None:
    first, second = _run("action_test_quote")
    assert not first.get("custom")  # only the payload with facts is extended
    detail = second["custom"]["turn"]
    assert detail == {
        "key": KEY,
        "intent": "consultar_inventario",
        "confidence": 0.93,
        "entities": [
            {"entity": "producto", "value": "arroz", "start": 11, "end": 16, "extractor": "DIET"}
        ],
        "actions": ["action_interpretar", "action_test_quote"],
    }
    raw = [{"text": "Arroz a $3.500.", "custom": second["custom"]}]
    assert payload_detail(raw, KEY) == (
        "consultar_inventario",
        0.93,
        detail["entities"],
        ["action_interpretar", "action_test_quote"],
    )


def test_a_template_answer_carries_no_detail_and_another_turns_detail_is_not_used() -> None:
    [message] = _run("action_test_template")
    assert not message.get("custom")
    assert payload_detail([{"text": "¿Algo más?"}], KEY) is None
    _, quoted = _run("action_test_quote")
    assert payload_detail([{"custom": quoted["custom"]}], "twilio:SMother") is None
