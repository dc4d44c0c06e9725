"""Shop info answers from `Shop.info`."""

from __future__ import annotations

from actions.services.shop_info import answer_info, detect_aspects

INFO = {
    "horario": "L-S 8 a 7",
    "direccion": "Cra 43A # 34-95",
    "domicilios": "Solo en Medellín.",
    "medios_de_pago": ["Nequi", "Efectivo"],
}


def test_detect_aspects() -> None:
    assert detect_aspects("¿a qué hora abren el domingo?") == ["horario"]
    assert detect_aspects("¿dónde quedan y hacen envíos?") == ["direccion", "domicilios"]
    assert detect_aspects("hola") == []


def test_answer_only_what_the_shop_has() -> None:
    aspects, lines, facts = answer_info(INFO, "¿aceptan tarjeta?")
    assert aspects == ["medios_de_pago"] and lines == ["💳 Medios de pago: Nequi, Efectivo."]
    assert facts == {"medios_de_pago": ["Nequi", "Efectivo"]}
    aspects, lines, _ = answer_info(INFO, "¿tienen garantía?")  # not provided → everything
    assert aspects == ["horario", "direccion", "domicilios", "medios_de_pago"]
    assert "🛵 Solo en Medellín." in lines
    assert answer_info({}, "horario") == ([], [], {})
