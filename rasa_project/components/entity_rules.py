"""Entity clean-up rules applied after DIET (pure Python: no Rasa import, unit-tested).

DIET tags tokens one by one (IO tags). On unseen product phrases it sometimes
- splits the phrase around "de"/"para" ("compresor de aire", "espejos para moto") or cuts it
  after the preposition: the pieces are joined and a phrase ending in "de" is completed by
  the next word;
- starts the phrase with an article or preposition ("de coches para bebe", "los guantes"):
  a product or category phrase never starts with one, so those words are dropped;
- tags a lone function word ("otros", "eso", "de") as a product: such entities are dropped;
- labels a whole e-mail address as something else: an exact e-mail is always `email`.
"""

# Rasa 3.6 (Python 3.10) loads this module from the project directory; it keeps Rasa's
# annotation style for the dicts it exchanges with Rasa.
# ruff: noqa: UP006, UP035

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

LINKS = {"de", "del", "para", "con", "de la", "de las", "de los"}
ARTICLES = {"el", "la", "los", "las"}
NOT_CONTINUATIONS = {"un", "una", "unos", "unas", "el", "la", "los", "las", "mi", "mis"}
PRODUCT = "producto"


def _join(text: str, first: Dict[Text, Any], second: Dict[Text, Any]) -> Dict[Text, Any]:
    joined = dict(first)
    joined["end"] = second["end"]
    joined["value"] = text[first["start"] : second["end"]]
    scores = [e["confidence_entity"] for e in (first, second) if "confidence_entity" in e]
    if scores:
        joined["confidence_entity"] = min(scores)
    return joined


def _linked(text: str, first: Dict[Text, Any], second: Dict[Text, Any]) -> bool:
    """Whether only a link word ("de", "para"...) separates two pieces of one phrase, as in
    "compresor | de | aire" or "plancha para | el | pelo"."""
    gap = text[first["end"] : second["start"]].strip().lower()
    if gap in LINKS:
        return True
    last = text[first["start"] : first["end"]].lower().rsplit(" ", 1)[-1]
    return last in LINKS and gap in ARTICLES


def join_product_pieces(text: str, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Entities with split ``producto`` phrases joined (other entities untouched)."""
    ordered = sorted(entities, key=lambda e: e.get("start", 0))
    result: List[Dict[Text, Any]] = []
    for entity in ordered:
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.get("entity") == PRODUCT
            and entity.get("entity") == PRODUCT
            and _linked(text, previous, entity)
        ):
            result[-1] = _join(text, previous, entity)
        else:
            result.append(entity)
    starts = [e["start"] for e in result]
    for i, entity in enumerate(result):
        if entity.get("entity") != PRODUCT:
            continue
        value = text[entity["start"] : entity["end"]].lower()
        if value.rsplit(" ", 1)[-1] not in LINKS or " " not in value:
            continue
        following = re.match(r"\s+([^\W\d_]+)", text[entity["end"] :])
        if following is None or following.group(1).lower() in NOT_CONTINUATIONS:
            continue
        end = entity["end"] + following.end()
        if any(entity["end"] < start < end for start in starts[i + 1 :]):
            continue
        result[i] = _join(text, entity, {"end": end})
    return result


PHRASES = {PRODUCT, "categoria"}
# Words a product or category phrase never starts or ends with.
LEADING = {
    "de", "del", "el", "la", "los", "las", "lo", "un", "una", "unos", "unas", "al", "a",
    "mi", "mis", "tu", "tus", "su", "sus", "otro", "otra", "otros", "otras", "esos", "esas",
    "ese", "esa", "este", "esta", "estos", "estas", "y", "o", "en", "para", "con", "por",
}  # fmt: skip
TRAILING = {"de", "del", "para", "con", "y", "el", "la", "los", "las", "al", "en"}
# A phrase made only of these words names no product.
NOT_PRODUCTS = LEADING | {
    "eso", "esto", "mismo", "lo mismo", "todo", "nada", "algo", "cosa", "cosas", "mas",
    "unidad", "unidades", "tambien", "porfa", "xfa", "q", "que",
}  # fmt: skip
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
WORD = re.compile(r"\S+")


def _trim(text: str, entity: Dict[Text, Any]) -> Dict[Text, Any] | None:
    """The phrase without leading/trailing function words, or None if nothing is left."""
    words = [(m.start() + entity["start"], m.end() + entity["start"], m.group().lower())
             for m in WORD.finditer(text[entity["start"] : entity["end"]])]  # fmt: skip
    while words and words[0][2] in LEADING:
        words.pop(0)
    while words and words[-1][2] in TRAILING:
        words.pop()
    if not words or " ".join(w for _, _, w in words) in NOT_PRODUCTS:
        return None
    if all(w in NOT_PRODUCTS for _, _, w in words):
        return None
    trimmed = dict(entity)
    trimmed["start"], trimmed["end"] = words[0][0], words[-1][1]
    trimmed["value"] = text[trimmed["start"] : trimmed["end"]]
    return trimmed


def tidy_entities(text: str, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """All clean-up rules, in order: join pieces, trim phrases, fix e-mails."""
    result: List[Dict[Text, Any]] = []
    for entity in join_product_pieces(text, entities):
        if entity.get("entity") in PHRASES:
            trimmed = _trim(text, entity)
            if trimmed is None:
                continue
            entity = trimmed
        elif EMAIL.fullmatch(text[entity["start"] : entity["end"]].strip()):
            entity = {**entity, "entity": "email"}
        result.append(entity)
    return result
