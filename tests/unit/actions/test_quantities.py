"""Quantities as shoppers write them."""

from __future__ import annotations

import pytest

from actions.services.quantities import QuantityError, find_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("dos", 2),
        ("Dos, por favor", 2),
        ("un par", 2),
        ("un par de medias", 2),
        ("media docena", 6),
        ("una docena", 12),
        ("tres docenas", 36),
        ("docena y media", 18),
        ("tres", 3),
        ("quince", 15),
        ("dieciséis", 16),
        ("veinte", 20),
        ("veinte y cinco", 25),
        ("deja solo 1 termo", 1),
        ("quiero 3 termos de 1.5 L", 3),
        ("una licuadora", 1),
        ("5.000", 5000),
    ],
)
def test_find_quantity(text: str, expected: int) -> None:
    assert find_quantity(text) == expected


def test_no_quantity_defaults_to_one() -> None:
    assert find_quantity("quiero el termo") is None
    assert parse_quantity("quiero el termo") == 1
    assert parse_quantity(None) == 1
    assert parse_quantity("", default=2) == 2


@pytest.mark.parametrize("text", ["0", "cero", "-3", "1000", "5.000", "ninguno"])
def test_unsellable_quantities_raise(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)
