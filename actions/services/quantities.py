"""Quantities as shoppers write them: "2", "dos", "un par", "media docena", "una docena".

`parse_quantity` turns the `cantidad` entity (or a whole message) into a whole number of
units. Zero, negative and absurd amounts raise `QuantityError` so actions can answer politely.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUANTITY = 999

NUMBER_WORDS: dict[str, int] = {
    "un": 1,
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "cien": 100,
    "ciento": 100,
    "cero": 0,
    "ningun": 0,
    "ninguno": 0,
    "ninguna": 0,
}
# Multi-word amounts, matched before single words (accent-folded, lowercase).
PHRASES: tuple[tuple[str, int], ...] = (
    ("media docena", 6),
    ("un par", 2),
    ("par de", 2),
    ("un parcito", 2),
    ("docena y media", 18),
)
_NUMBER = re.compile(r"(?<![\d.,])-?\d+(?![\d.,]*\d)")
_THOUSANDS = re.compile(r"(\d)[.](\d{3})(?!\d)")
_DOCENAS = re.compile(r"\b(\w+)\s+docenas?\b")


class QuantityError(ValueError):
    """A quantity that cannot be sold: zero, negative or absurdly large.

    Attributes:
        value: the number read, when there was one.
    """

    def __init__(self, message: str, value: int | None = None) -> None:
        super().__init__(message)
        self.value = value


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find_quantity(text: str | None) -> int | None:
    """The number of units written in `text`, or None when it names none.

    Digits win over words ("2 termos" → 2); "una docena" → 12; "tres docenas" → 36.
    The value is not range-checked here (see `parse_quantity`).
    """
    if not text:
        return None
    folded = _THOUSANDS.sub(r"\1\2", _fold(text))
    folded = " " + re.sub(r"[^\w\s.,-]", " ", folded) + " "
    match = _NUMBER.search(folded)
    if match:
        return int(match.group())
    for phrase, value in PHRASES:
        if f" {phrase} " in folded:
            return value
    dozens = _DOCENAS.search(folded)
    if dozens:
        return 12 * NUMBER_WORDS.get(dozens.group(1), 1)
    if re.search(r"\bdocena\b", folded):
        return 12
    tokens = re.findall(r"[a-zñ]+", folded)
    for i, token in enumerate(tokens):
        if token in NUMBER_WORDS:
            value = NUMBER_WORDS[token]
            # "veinte y cinco" / "veinticinco" style composites stay simple: tens + unit.
            if value in (20, 30, 40, 50) and i + 2 < len(tokens) and tokens[i + 1] == "y":
                value += NUMBER_WORDS.get(tokens[i + 2], 0)
            return value
    return None


def parse_quantity(text: str | None, default: int = 1) -> int:
    """A sellable quantity from `text`; `default` when it names none.

    Raises:
        QuantityError: zero, negative, or more than `MAX_QUANTITY` units.
    """
    value = find_quantity(text)
    if value is None:
        return default
    check_quantity(value)
    return value


def check_quantity(value: int) -> int:
    """Return `value` when it is a sellable amount, else raise `QuantityError`."""
    if value <= 0:
        raise QuantityError("quantity must be at least 1", value)
    if value > MAX_QUANTITY:
        raise QuantityError(f"quantity above {MAX_QUANTITY}", value)
    return value
