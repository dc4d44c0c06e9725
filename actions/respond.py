"""Answering with a Spanish template plus the facts payload of the contract."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher


def pesos(amount: int) -> str:
    """Format integer pesos the Colombian way: 12900 → "$12.900"."""
    return "$" + f"{int(amount):,}".replace(",", ".")


def say(dispatcher: CollectingDispatcher, action: str, text: str, facts: dict[str, Any]) -> None:
    """Dispatch `text` and `{"facts": facts, "action": action}` as one message.

    `facts` must list everything the text mentions: the orchestrator's LLM guard allows
    nothing else.
    """
    dispatcher.utter_message(text=text, json_message={"facts": facts, "action": action})
