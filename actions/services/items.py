"""Several items in one message: "mándame una escoba, dos traperos y un balde".

`split_items` cuts a request into (quantity, product words) pieces at commas, "y", "más",
"+" and new lines, dropping the lead-in ("hola, quiero…", "mándame", "también"). Only
pieces that still name something count; one piece means a plain single-item request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.services.catalog import fold, terms
from actions.services.quantities import find_quantity

_SPLIT = re.compile(r"\s*(?:[,;+\n]|\s+y\s+|\s+e\s+|\s+m[aá]s\s+|\s+tambi[eé]n\s+)\s*", re.I)
_LEAD = re.compile(
    r"^(?:hola|buenas|buenos d[ií]as|buenas tardes|buenas noches|buen d[ií]a|porfa|"
    r"por favor|me (?:mandas|manda|env[ií]as|regalas|das|pones|agregas|vendes|separas)|"
    r"m[aá]ndame|m[aá]ndeme|quiero|quisiera|queria|quer[ií]a|dame|deme|d[eé]me|"
    r"agr[eé]game|agrega|agregue|ponme|p[oó]ngame|ponle|[eé]chame|necesito|necesitamos|"
    r"requiero|regalame|reg[aá]lame|me gustar[ií]a|llevo|me llevo|voy a llevar|tambi[eé]n|"
    r"y|adem[aá]s|ok|listo|dale|bueno|entonces|pues|para|de una|me cotiza|me cotizas|"
    r"cot[ií]ceme|cotizar|me podr[ií]a cotizar|necesito cotizar|precio de)\b[\s,:!.]*",
    re.IGNORECASE,
)
# A leading quantity ("4 bombillos", "dos traperos", "media docena de", "un par de"); a
# number inside the words is a size ("olla de 6 litros", "tornillo 6 x 1") and stays.
_LEADING_QUANTITY = re.compile(
    r"^(?:(?:media|una|1)\s+docenas?|un\s+par|\d+(?!\s*(?:[.,/x]\d|l\b|lt|kg|ml|cm|mm|m\b|"
    r"mts|metros|litros|kilos|gramos|gr\b|g\b|w\b|v\b|gb|pulgadas|\"))|un|una|uno|dos|tres|"
    r"cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta|cuarenta|"
    r"cincuenta|cien)\b(?:\s+(?:unidades|unidad|und|uds))?(?:\s+de)?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Item:
    """One requested line: how many (None when not said) of which product words."""

    quantity: int | None
    words: str


def _strip_lead(part: str) -> str:
    previous = None
    while previous != part:
        previous = part
        part = _LEAD.sub("", part.strip())
    return part.strip(" .!¡¿?")


def split_items(text: str) -> list[Item]:
    """The items of a request, in the order written (see the module docstring)."""
    items = []
    for raw in _SPLIT.split(text or ""):
        part = _strip_lead(raw)
        if not part:
            continue
        lead = _LEADING_QUANTITY.match(part)
        quantity = find_quantity(lead.group()) if lead else None
        words = part[lead.end() :] if lead else part
        if [w for w in terms(words) if not w.isdigit()]:
            items.append(Item(quantity, words))
    return items


def is_multi_item(text: str) -> bool:
    """True when `text` asks for two or more different things."""
    items = split_items(text)
    return len(items) >= 2 and len({fold(i.words) for i in items}) >= 2
