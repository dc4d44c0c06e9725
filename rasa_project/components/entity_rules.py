"""Entity clean-up rules applied after DIET (pure Python: no Rasa import, unit-tested).

DIET tags tokens one by one (IO tags). On unseen product phrases it sometimes
- splits the phrase around "de"/"para" ("compresor de aire", "espejos para moto") or cuts it
  after the preposition: the pieces are joined and a phrase ending in "de" is completed by
  the next word;
- starts the phrase with an article or preposition ("de coches para bebe", "los guantes"):
  a product or category phrase never starts with one, so those words are dropped;
- tags a lone function word ("otros", "eso", "de") as a product: such entities are dropped;
- labels a whole e-mail address as something else: an exact e-mail is always `email`;
- reads a size or model number after a product as a quantity ("fundas para iphone 13"):
  it joins the product phrase;
- tags the article "un"/"una" as a quantity, or misses the number right before a product
  phrase: articles are dropped, the number becomes `cantidad`;
- (after EntitySynonymMapper) receives a value whose case was changed to a training
  example's spelling: the shopper's own spelling is restored;
- finds an entity the predicted intent never has in training: it is dropped
  (``entities_by_intent`` builds that table from the training data);
- stops a product phrase short of its head noun or modifiers ("celular xiaomi azul" →
  "xiaomi"): the phrase grows over neighbouring words that are product words in the
  training data or that it never saw — a new head noun, brand or model ("nevera haceb",
  "cable hdmi") — never over punctuation, numbers, function or chat words (``word_roles``
  learns which words are which; measured on the held-out set: entity F1 +0.013).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

LINKS = {"de", "del", "para", "con", "de la", "de las", "de los"}
ARTICLES = {"el", "la", "los", "las"}
NOT_CONTINUATIONS = {"un", "una", "unos", "unas", "el", "la", "los", "las", "mi", "mis"}
PRODUCT = "producto"


def _respan(text: str, entity: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    """The entity moved to text[start:end], its value following the span."""
    return {**entity, "start": start, "end": end, "value": text[start:end]}


def _join(text: str, first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    joined = _respan(text, first, first["start"], second["end"])
    scores = [e["confidence_entity"] for e in (first, second) if "confidence_entity" in e]
    if scores:
        joined["confidence_entity"] = min(scores)
    return joined


def _linked(text: str, first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether only a link word ("de", "para"...) separates two pieces of one phrase, as in
    "compresor | de | aire" or "plancha para | el | pelo"."""
    gap = text[first["end"] : second["start"]].strip().lower()
    if gap in LINKS:
        return True
    last = text[first["start"] : first["end"]].lower().rsplit(" ", 1)[-1]
    return last in LINKS and gap in ARTICLES


def join_product_pieces(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities with split ``producto`` phrases joined (other entities untouched)."""
    ordered = sorted(entities, key=lambda e: e.get("start", 0))
    result: list[dict[str, Any]] = []
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


def _trim(text: str, entity: dict[str, Any]) -> dict[str, Any] | None:
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
    return _respan(text, entity, words[0][0], words[-1][1])


def entities_by_intent(
    examples: Iterable[tuple[str, list[dict[str, Any]]]],
) -> dict[str, list[str]]:
    """intent -> the entity types its training examples are annotated with."""
    table: dict[str, set[str]] = {}
    for intent, entities in examples:
        table.setdefault(intent, set()).update(e["entity"] for e in entities)
    return {intent: sorted(names) for intent, names in table.items()}


TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
SINGLE_LINKS = {"de", "para", "con"}
MAX_GROWTH = 3


def _norm(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word_roles(examples: Iterable[tuple[str, list[dict[str, Any]]]]) -> dict[str, list[int]]:
    """word -> [times inside a product phrase, times outside every entity] in training."""
    roles: dict[str, list[int]] = {}
    for text, entities in examples:
        for match in TOKEN.finditer(text):
            label = next(
                (e["entity"] for e in entities if e["start"] <= match.start() < e["end"]), None
            )
            counts = roles.setdefault(_norm(match.group()), [0, 0])
            if label == PRODUCT:
                counts[0] += 1
            elif label is None:
                counts[1] += 1
    return roles


def _product_word(word: str, roles: dict[str, list[int]], unseen_ok: bool) -> bool:
    if word in NOT_PRODUCTS or word.isdigit():
        return False
    if word not in roles:
        return unseen_ok
    inside, outside = roles[word]
    return inside > outside


def _grow(
    text: str,
    tokens: list[re.Match[str]],
    entity: dict[str, Any],
    roles: dict[str, list[int]],
    taken: list[tuple[int, int]],
) -> dict[str, Any]:
    """The product phrase grown over neighbouring product words (see module docstring)."""
    inside = [i for i, t in enumerate(tokens) if entity["start"] <= t.start() < entity["end"]]
    if not inside:
        return entity

    def free(i: int) -> bool:
        return not any(s <= tokens[i].start() < e for s, e in taken)

    def adjacent(i: int, j: int) -> bool:  # only spaces between tokens i < j
        return not text[tokens[i].end() : tokens[j].start()].strip()

    start, end = entity["start"], entity["end"]
    last, grown = inside[-1], 0
    while last + 1 < len(tokens) and grown < MAX_GROWTH and adjacent(last, last + 1):
        word, nxt = _norm(tokens[last + 1].group()), last + 2
        if (
            word in SINGLE_LINKS
            and nxt < len(tokens)
            and adjacent(last + 1, nxt)
            and free(nxt)
            and _product_word(_norm(tokens[nxt].group()), roles, unseen_ok=True)
        ):
            last = nxt
        elif free(last + 1) and _product_word(word, roles, unseen_ok=True):
            last += 1
        else:
            break
        end, grown = tokens[last].end(), grown + 1
    first, grown = inside[0], 0
    while first > 0 and grown < MAX_GROWTH - 1 and adjacent(first - 1, first):
        word = _norm(tokens[first - 1].group())
        if not (free(first - 1) and _product_word(word, roles, unseen_ok=True)):
            break
        first, grown = first - 1, grown + 1
        start = tokens[first].start()
    if (start, end) == (entity["start"], entity["end"]):
        return entity
    return _respan(text, entity, start, end)


QUANTITY = "cantidad"
ARTICLE_ONES = {"un", "una"}
NUMBER_WORDS = {
    "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once",
    "doce", "quince", "veinte", "treinta", "cincuenta", "cien",
}  # fmt: skip
QUANTITY_BEFORE = re.compile(
    r"(?:^|\s)(\d{1,3}|" + "|".join(sorted(NUMBER_WORDS)) + r")\s+$"
    r"|(?:^|\s)(un par|media docena|una docena)\s+(?:de\s+)?$",
    re.IGNORECASE,
)


def _quantities(text: str, entities: list[dict[str, Any]], add: bool) -> list[dict[str, Any]]:
    """An article is not a quantity ("quiero un martillo"); a number right before a product
    phrase is one ("me llevo 2 collares"), added only when ``add`` (the intent can have
    quantities)."""
    kept = [
        e
        for e in entities
        if not (e.get("entity") == QUANTITY and str(e.get("value", "")).lower() in ARTICLE_ONES)
    ]
    if not add:
        return kept
    added = []
    for entity in kept:
        if entity.get("entity") != PRODUCT:
            continue
        match = QUANTITY_BEFORE.search(text[: entity["start"]])
        if match is None:
            continue
        group = 1 if match.group(1) else 2
        start, end = match.start(group), match.end(group)
        if any(e["start"] < end and start < e["end"] for e in kept + added):
            continue
        value = text[start:end]
        quantity = {"entity": QUANTITY, "start": start, "end": end, "value": value}
        # Same extractor as the phrase it counts: `rasa test nlu` groups entities by it.
        if "extractor" in entity:
            quantity["extractor"] = entity["extractor"]
        added.append(quantity)
    return sorted(kept + added, key=lambda e: e["start"])


# A number right after a product phrase is its size or model ("memorias usb de 64", "fundas
# para iphone 13", "pesas de 8 kilos"): quantities come before the product in Spanish.
SIZE_AFTER = re.compile(
    r"(?:\s+(?:de|para|x|por)\s+|\s+)(\d+[a-z]{0,3}|\d+[.,]\d+)"
    r"(?:\s+(?:kilos?|kg|metros?|mts|cm|mm|litros?|lts?|ml|gb|tb|mah|watts?|w|voltios|v|"
    r"pulgadas|amperios|onzas|oz|gramos|gr|g|libras?|hojas|piezas|puestos))?(?![\w-])",
    re.IGNORECASE,
)


def _sizes(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Product phrases take the size or model number that follows them; a quantity DIET
    saw in that number is dropped."""
    grown: list[dict[str, Any]] = []
    absorbed: list[tuple[int, int]] = []  # the text each product took
    for entity in entities:
        match = SIZE_AFTER.match(text, entity["end"]) if entity.get("entity") == PRODUCT else None
        if match is not None:
            absorbed.append((entity["end"], match.end()))
            entity = _respan(text, entity, entity["start"], match.end())
        grown.append(entity)
    return [e for e in grown if not any(s <= e["start"] < end for s, end in absorbed)]


def tidy_entities(
    text: str,
    entities: list[dict[str, Any]],
    intent: str | None = None,
    allowed: dict[str, list[str]] | None = None,
    roles: dict[str, list[int]] | None = None,
) -> list[dict[str, Any]]:
    """All clean-up rules, in order: keep what the intent can have, join pieces, grow
    product phrases, trim phrases, fix e-mails. Intents unknown to ``allowed``
    (nlu_fallback) keep everything; without ``roles`` phrases do not grow."""
    expected = allowed.get(intent) if allowed is not None and intent is not None else None
    if expected is not None:
        entities = [e for e in entities if e.get("entity") in expected]
    joined = join_product_pieces(text, entities)
    if roles:
        tokens = list(TOKEN.finditer(text))
        spans = [(e["start"], e["end"]) for e in joined]
        joined = [
            _grow(text, tokens, e, roles, [s for s in spans if s != (e["start"], e["end"])])
            if e.get("entity") == PRODUCT
            else e
            for e in joined
        ]
    joined = _quantities(text, _sizes(text, joined), add=expected is None or QUANTITY in expected)
    result: list[dict[str, Any]] = []
    for entity in joined:
        if entity.get("entity") in PHRASES:
            trimmed = _trim(text, entity)
            if trimmed is None:
                continue
            entity = trimmed
        elif EMAIL.fullmatch(text[entity["start"] : entity["end"]].strip()):
            entity = {**entity, "entity": "email"}
        result.append(_own_spelling(text, entity))
    return result


def _own_spelling(text: str, entity: dict[str, Any]) -> dict[str, Any]:
    """Rasa's EntitySynonymMapper maps every value seen in training, case-insensitively, to
    that training example's spelling ("Mateo Arango" → "mateo Arango"). A value that only
    differs in case keeps the shopper's spelling; real synonyms ("stock" → "inventario")
    stay mapped."""
    typed = text[entity["start"] : entity["end"]]
    value = entity.get("value")
    if isinstance(value, str) and value != typed and value.lower() == typed.lower():
        return {**entity, "value": typed}
    return entity
