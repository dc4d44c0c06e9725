"""Catalog columns and cell parsers: header names, text, whole numbers, active flags.

Each parser returns the clean value or raises `FieldError` with a reason written for the
shop owner who will fix the spreadsheet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

COLUMNS = ("sku", "nombre", "descripcion", "categoria", "precio", "stock", "activo", "imagen")
REQUIRED = frozenset({"sku", "nombre", "precio", "stock"})
ALIASES = {
    "name": "nombre",
    "producto": "nombre",
    "description": "descripcion",
    "category": "categoria",
    "price": "precio",
    "active": "activo",
    "codigo": "sku",
    "referencia": "sku",
    "image": "imagen",
    "imageurl": "imagen",
    "imagenurl": "imagen",
    "urlimagen": "imagen",
    "foto": "imagen",
}
MAX_URL = 1000
MAX_INT = 2_147_483_647  # INTEGER columns on both backends

# Thousands grouped with one separator ("12.900", "1,234,567") or plain digits ("12900"),
# then an optional decimal part ("12.900,00", "12900.00") that must be zero.
_NUMBER = re.compile(r"(\d{1,3}(?:([.,])\d{3})(?:\2\d{3})*|\d+)(?:[.,](\d{1,2}))?")
_CURRENCY = re.compile(r"^(?:cop|\$)+|(?:cop|\$)+$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-]+")
_SPACES = re.compile(r"\s+")  # includes the no-break space in str patterns
_TRUE = {"si", "s", "yes", "y", "true", "verdadero", "1", "x", "activo"}
_FALSE = {"no", "n", "false", "falso", "0", "inactivo"}


class FieldError(ValueError):
    """A cell's value is not acceptable; the message is the reason shown to the user."""


def fold(text: str) -> str:
    """Lower-case `text` without accents: "Descripción" -> "descripcion"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1024)
def normalize_header(name: str) -> str:
    """The canonical column for a header as written ("Categoría " -> "categoria").

    Unknown headers come back folded and are ignored by validation.
    """
    folded = _SEPARATORS.sub("", fold(name.lstrip("\ufeff")))
    return ALIASES.get(folded, folded)


def parse_text(value: Any, column: str, max_len: int | None, required: bool) -> str:
    """A stripped string; numbers become text (a JSON sku may be 1234)."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
    else:
        raise FieldError(f"expected text, got {type(value).__name__}")
    if required and not text:
        raise FieldError("is empty" if value is not None else "is missing")
    if max_len is not None and len(text) > max_len:
        raise FieldError(f"longer than {max_len} characters ({len(text)})")
    return text


def _whole_reason(column: str) -> str:
    if column == "precio":
        return "prices are whole pesos (no cents): write 12900 or 12.900"
    return "must be a whole number"


def parse_whole(value: Any, column: str) -> int:
    """A whole number >= 0 from an int, an integral float or text like "$12.900"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError("is missing" if value is None else "is empty")
    if isinstance(value, bool):
        raise FieldError(_whole_reason(column))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise FieldError(f"{value!r}: {_whole_reason(column)}")
        number = int(value)
    elif isinstance(value, str):
        number = _parse_whole_text(value, column)
    else:
        raise FieldError(f"expected a number, got {type(value).__name__}")
    if number < 0:
        raise FieldError(f"{value!r} is negative; must be 0 or more")
    if number > MAX_INT:
        raise FieldError(f"{value!r} is too large")
    return number


def _parse_whole_text(value: str, column: str) -> int:
    text = _SPACES.sub("", value)
    negative = text.startswith("-")
    text = text.lstrip("-")
    if column == "precio":
        text = _CURRENCY.sub("", text)
        if text.startswith("-"):  # "$-500"
            negative, text = True, text[1:]
    match = _NUMBER.fullmatch(text)
    if not match:
        hint = " (write 12900 or 12.900)" if column == "precio" else ""
        raise FieldError(f"{value!r} is not a number{hint}")
    whole, _, decimals = match.groups()
    if decimals and int(decimals):
        raise FieldError(f"{value!r}: {_whole_reason(column)}")
    number = int(whole.replace(".", "").replace(",", ""))
    return -number if negative else number


def parse_image_url(value: Any) -> str | None:
    """The optional `imagen`: a public http(s) URL WhatsApp can fetch; empty means none."""
    text = parse_text(value, "imagen", None, False)
    if not text:
        return None
    if len(text) > MAX_URL:
        raise FieldError(f"longer than {MAX_URL} characters ({len(text)})")
    if not _URL.fullmatch(text):
        raise FieldError(f"{text[:80]!r} is not a web address (write https://…/foto.jpg)")
    return text


_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)


def parse_active(value: Any) -> bool:
    """The `activo` flag: empty means active; si/no, true/false, 1/0 and the like."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    folded = fold(str(value))
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise FieldError(f"{value!r}: use si or no")
