"""The guard on Spanish replies: prices, quantities and product names must be in the facts."""

from __future__ import annotations

import pytest

from db.models import GuardVerdict
from orchestrator.phrasing.guard import check_reply, find_numbers, normalize

FACTS = {
    "products": [
        {"id": 12, "sku": "ALI-004", "name": "Arroz Diana 500 g", "price": 3500, "stock": 20},
        {"id": 31, "sku": "ASE-010", "name": "Jabón Rey barra x 3", "price": 5900, "stock": 8},
    ],
    "order": {
        "id": 5,
        "state": "iniciada",
        "total": 12900,
        "items": [
            {
                "product_id": 12,
                "name": "Arroz Diana 500 g",
                "quantity": 2,
                "unit_price": 3500,
                "subtotal": 7000,
            },
            {
                "product_id": 31,
                "name": "Jabón Rey barra x 3",
                "quantity": 1,
                "unit_price": 5900,
                "subtotal": 5900,
            },
        ],
    },
}
TEMPLATE = "Agregué 2 Arroz Diana 500 g. Tu pedido va en $12.900."
CATALOG = [
    "Arroz Diana 500 g",
    "Jabón Rey barra x 3",
    "Aceite Premier girasol 1000 ml",
    "Cobija térmica sencilla ovejera azul",
    "Cobija térmica doble ovejera gris",
]


@pytest.mark.parametrize(
    "text, values",
    [
        ("$12.900", [12900]),
        ("12.900 pesos", [12900]),
        ("12900 COP", [12900]),
        ("12 mil", [12000]),
        ("$ 3.500", [3500]),
        ("1,5 kg", [1.5]),
        ("12,900", [12900]),
        ("1.234.567", [1234567]),
        ("50x70", [50, 70]),
        ("total: $25.800.", [25800]),
    ],
)
def test_numbers_are_read_the_colombian_way(text: str, values: list[float]) -> None:
    assert [n.value for n in find_numbers(text)] == values


def test_prices_are_marked() -> None:
    found = find_numbers("Son 2 por $7.000, o sea 7 mil pesos; quedan 20")
    assert [(n.value, n.is_price) for n in found] == [
        (2, False),
        (7000, True),
        (7000, True),
        (20, False),
    ]


@pytest.mark.parametrize(
    "reply",
    [
        "¡Listo! Agregué 2 Arroz Diana 500 g a tu pedido. Vas en $12.900 en total.",
        "Perfecto 😊 Llevas 2 arroces de $3.500 (subtotal $7.000) y 1 Jabón Rey barra x 3 "
        "de $5.900. Total: $12.900.",
        "Tu pedido suma 12.900 pesos. ¿Algo más?",
        "Tenemos 20 unidades del Arroz Diana 500 g.",
        "¡Hola! ¿Qué más te gustaría llevar?",
        "Opciones:\n1. Arroz Diana 500 g\n2. Jabón Rey barra x 3\n3. ¿Algo más?",
    ],
)
def test_faithful_rewrites_pass(reply: str) -> None:
    result = check_reply(reply, FACTS, TEMPLATE, CATALOG)
    assert result.ok, result.reason
    assert result.verdict == GuardVerdict.PASSED


@pytest.mark.parametrize(
    "reply, why",
    [
        ("Agregué 2 Arroz Diana 500 g. Tu pedido va en $13.900.", "precio"),
        ("El arroz está en oferta a 3 mil pesos.", "precio"),
        ("Agregué 3 Arroz Diana 500 g.", "número"),
        ("El jabón cuesta $20, quedan 20.", "precio"),  # a stock figure presented as a price
        ("Te recomiendo también el Aceite Premier girasol 1000 ml.", "producto"),
        ("¿Y una Cobija térmica doble para el frío?", "producto"),
        ("Quedan 99 unidades.", "número"),
        ("   ", "vacía"),
    ],
)
def test_inventions_are_rejected(reply: str, why: str) -> None:
    result = check_reply(reply, FACTS, TEMPLATE, CATALOG)
    assert not result.ok and result.verdict == GuardVerdict.REJECTED
    assert why in (result.reason or "")


def test_products_and_numbers_in_the_template_are_allowed() -> None:
    template = "El domicilio en Medellín cuesta $6.000 y es gratis desde $150.000."
    assert check_reply("Envío gratis desde $150.000; si no, $6.000.", {}, template).ok
    assert not check_reply("Envío gratis desde $100.000.", {}, template).ok


def test_shortened_name_of_a_product_in_the_facts_is_fine() -> None:
    facts = {"products": [{"name": "Cobija térmica sencilla ovejera azul", "price": 59900}]}
    reply = "La cobija térmica sencilla cuesta $59.900."
    assert check_reply(reply, facts, "", CATALOG).ok


def test_normalize_ignores_case_and_accents() -> None:
    assert normalize("JABÓN  Rey,  ¡barra!") == "jabon rey, barra"
