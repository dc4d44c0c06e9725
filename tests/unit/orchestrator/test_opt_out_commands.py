"""Which whole messages are BAJA / ALTA commands (before Rasa) and which are conversation."""

from __future__ import annotations

import pytest

from orchestrator.opt_out import command, reply


@pytest.mark.parametrize(
    "text",
    [
        "BAJA",
        "baja",
        "Stop",
        "STOP!!",
        "No me escriban más",
        "no me escriban mas 🙏",
        "NO ME ESCRIBAS MÁS.",
        "Dame de baja por favor",
        "por favor no me escriban más",
        "ya no me escriban",
        "no quiero recibir más mensajes",
    ],
)
def test_opt_out_variants(text: str) -> None:
    assert command(text) == "out"


@pytest.mark.parametrize("text", ["ALTA", "alta", "Start", "dame de alta porfa", "¡Alta!"])
def test_opt_in_variants(text: str) -> None:
    assert command(text) == "in"


@pytest.mark.parametrize(
    "text",
    [
        "¿la baja de precio sigue vigente?",
        "quiero 2 stop de moto",
        "hola",
        "",
        "por favor",
        "alta calidad",
        "baja " * 30,
    ],
)
def test_conversation_is_not_a_command(text: str) -> None:
    assert command(text) is None


def test_confirmations_name_the_way_back() -> None:
    assert "ALTA" in reply("out", "Tienda") and "Tienda" in reply("out", "Tienda")
    assert "BAJA" in reply("in", "Tienda")
