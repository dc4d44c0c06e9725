"""The guard: an LLM reply may only mention products, prices and quantities in the facts.

Numbers are read the Colombian way ("$12.900" and "12.900 pesos" are 12900, "12 mil" is
12000, "1,5" is 1.5). Every number in the reply must appear in the facts (ids excepted) or
in the template the actions wrote; numbers inside product names count only as part of the
name ("Jabón Rey barra x 3" does not allow "3 unidades"); a price (a number with `$`,
"pesos", "COP" or "mil") must be a price, total, subtotal or cost in the facts or a price in
the template. A product of the shop that
the reply names (its full name, or its first three words) must be in the facts or template.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from db.models import GuardVerdict

_NUM = re.compile(
    r"(?<![\d.,])(\$\s?)?"
    r"(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"(\s*mil\b)?(\s*(?:pesos|cop)\b)?",
    re.IGNORECASE,
)
_LIST_INDEX = re.compile(r"^\s*\d{1,2}[.)]\s", re.MULTILINE)
_NAME_KEYS = ("name", "nombre", "sku", "producto")
_PRICE_KEYS = ("price", "precio", "total", "subtotal", "costo", "cost", "valor", "amount")


@dataclass(frozen=True)
class Number:
    """A number found in a text; `is_price` when written as money."""

    value: float
    is_price: bool
    text: str


@dataclass(frozen=True)
class GuardResult:
    """The verdict on one LLM reply: `ok`, else the first `reason` it failed."""

    ok: bool
    reason: str | None = None

    @property
    def verdict(self) -> GuardVerdict:
        """`passed` or `rejected`, as stored in the turn log."""
        return GuardVerdict.PASSED if self.ok else GuardVerdict.REJECTED


def _to_value(token: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        return float(token.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
        return float(token.replace(",", ""))
    return float(token.replace(",", "."))


def find_numbers(text: str) -> list[Number]:
    """Every number in `text`, with price-like ones marked."""
    found: list[Number] = []
    for m in _NUM.finditer(text):
        value = _to_value(m.group(2))
        if m.group(3):
            value *= 1000
        is_price = bool(m.group(1) or m.group(3) or m.group(4))
        found.append(Number(value, is_price, m.group(0).strip()))
    return found


@lru_cache(maxsize=8192)  # the shop's catalog names are normalized on every turn
def normalize(text: str) -> str:
    """Lowercase, without accents, single spaces: for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w$.,]+", " ", plain).split())


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k).lower())
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def allowed_numbers(facts: dict[str, Any], template: str) -> tuple[set[float], set[float]]:
    """(all numbers, price numbers) the reply may mention.

    Ids are not figures the reply may quote, and numbers inside product names or SKUs
    ("x 3", "500 g") do not license free-standing quantities: names are masked instead.
    """
    numbers: set[float] = set()
    prices: set[float] = set()
    for key, value in _walk(facts):
        if isinstance(value, bool) or _is_id(key) or key in _NAME_KEYS:
            continue
        values = (
            [float(value)]
            if isinstance(value, int | float)
            else [n.value for n in find_numbers(str(value))]
        )
        numbers.update(values)
        if any(k in key for k in _PRICE_KEYS):
            prices.update(values)
    for n in find_numbers(template):
        numbers.add(n.value)
        if n.is_price:
            prices.add(n.value)
    return numbers, prices


def fact_names(facts: dict[str, Any]) -> list[str]:
    """Normalized product names and SKUs in the facts, longest first."""
    names = {normalize(str(v)) for k, v in _walk(facts) if k in _NAME_KEYS and v}
    return sorted((n for n in names if n), key=len, reverse=True)


def _contains(haystack: str, needle: str) -> bool:
    # The substring test first: most of the catalog is not in the text at all, and one
    # pattern per product name would overflow `re`'s cache and compile on every turn.
    if not needle or needle not in haystack:
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def _prefix(name: str) -> str | None:
    words = name.split()
    return " ".join(words[:3]) if len(words) > 3 else None


def check_reply(
    reply: str, facts: dict[str, Any], template: str, catalog_names: Iterable[str] = ()
) -> GuardResult:
    """Check an LLM `reply` against the `facts` and the actions' `template`.

    Args:
        reply: the text the LLM produced.
        facts: the facts payload(s) of the turn.
        template: the template text the actions wrote (trusted).
        catalog_names: names of the shop's products; naming one absent from the facts and
            template is a rejection.
    """
    if not reply.strip():
        return GuardResult(False, "respuesta vacía")
    known = normalize(template + " " + " ".join(str(v) for _, v in _walk(facts)))
    text = normalize(reply)
    for name in catalog_names:
        full = normalize(name)
        if not full or _contains(known, full):
            continue
        prefix = _prefix(full)
        if _contains(text, full) or (
            prefix and _contains(text, prefix) and not _contains(known, prefix)
        ):
            return GuardResult(False, f"producto no está en los hechos: {name}")
    numbers, prices = allowed_numbers(facts, template)
    masked = normalize(_LIST_INDEX.sub(" ", reply))
    for name in fact_names(facts):
        masked = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", masked)
    for n in find_numbers(masked):
        if n.is_price and n.value not in prices:
            return GuardResult(False, f"precio no está en los hechos: {n.text}")
        if n.value not in numbers:
            return GuardResult(False, f"número no está en los hechos: {n.text}")
    return GuardResult(True)
