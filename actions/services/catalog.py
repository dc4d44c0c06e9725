"""Catalog reads for answers: products by id, search with a SQL fallback, categories.

Whatever the search ranks, names, prices and stock are read from the database here, at
answer time, so a reply never mentions a product or a figure the shop does not have.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from actions.search import synonyms
from db.models import Product

log = logging.getLogger(__name__)

_STOP_WORDS = """a al con de del el en la las lo los mi para por sin su un una uno y o me te se
    hola buenas tienen tienes tiene hay quiero quisiera necesito busco vale cuesta cuanto
    precio que cual cuales venden vendes manejan disponible favor porfa dame ver algo
    comprar compro agrega agregar agregame anade anadir llevo llevar pon ponme quita quitar
    saca sacar deja dejar solo mas otro otra unidad unidades carrito pedido dos tres cuatro
    cinco seis siete ocho nueve diez docena docenas par ese esa eso este esta esto
    si no claro dale listo ok bueno va perfecto gracias agregalo agregala agregalos agregalas
    llevalo llevala mandame enviame anotame apuntame echame mandeme deme regalame separame
    esos esas estos estas aquel aquella ponle mejor entonces pues tambien porfavor plis
    ya nomas noma gusta gustan encanta mandas manda envias apartas aparta separas separa
    llevas lleva quieres quiere please pls xfa todo toda todos nada seria sería
    ah ahh uy ay eh oh es son vea mire oiga ahora ahorita
    tenes tene queres podes poneme ponele pasame sumame traeme sacame llevame lleveme
    pongame regaleme agregamelo agregamela agregueme anoteme salen sale cuestan valen
    che eche aja parce mija mijo sumerce ve cotizar cotizacion cotizame cotiza coticeme
    necesitaria necesitariamos requiero requerimos solicito asi bien queria queriamos
    saber deseo deseaba desearia preguntar pregunto consultar averiguar serian sera"""
_STOP = frozenset(_STOP_WORDS.split())


class Searcher(Protocol):
    """The catalog search service of `actions.search` (only `.search` is used here)."""

    def search(self, shop_id: int, query: str, k: int = 5) -> Sequence[Any]: ...


def fold(text: str) -> str:
    """Lowercase without accents (ñ kept)."""
    text = text.lower().replace("ñ", "\0")
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return stripped.replace("\0", "ñ")


# "media docena", "medio kilo": a count, not the socks ("medias") of a sports shop.
_HALF = re.compile(r"\bmedi[oa] (?=docena|kilo|libra|litro|galon|metro|hora)")
# Vocatives: "listo eso es todo mi llave", "gracias mi reina" (a "llave" is a product too).
_VOCATIVE = re.compile(
    r"\bmi (?:llave|llavecita|pana|hermano|hermana|amigo|amiga|vecino|"
    r"vecina|reina|rey|amor|socio|parcero|parce|mijo|mija)\b"
)


# "tipo c", "USB-C", "type c": one connector word (a lone "c" is too short to be a term).
# "¿de qué color?", "¿en qué presentaciones?", "¿qué tallas tienen?": a question about the
# variants of the product named, not words of a product ("lápices de colores" still are).
_WHICH_VARIANTS = re.compile(
    r"\b(?:(?:de|en|y) )?(?:que|cuales|cual) (?:colou?res|color|presentaciones|presentacion|"
    r"tallas?|talles?|tamanos?|sabores?|modelos?|referencias?|marcas?|medidas?|opciones|"
    r"numeros?|tipos?)\b(?: (?:tienen|tiene|tenes|hay|manejan|maneja|vienen|viene|salen))?"
)
_USB_C = re.compile(r"\b(?:usb|tipo|type)[\s-]?c\b")
_SIX_PACK = re.compile(r"\bsix[\s-]?pack\b")


def _tokens(text: str) -> str:
    """`text` folded, with the connector and vocative rewrites every matcher shares."""
    folded = _USB_C.sub(" usbc ", _VOCATIVE.sub(" ", _HALF.sub(" ", fold(text))))
    folded = _WHICH_VARIANTS.sub(" ", folded)
    return _SIX_PACK.sub(" sixpack ", folded)


def terms(text: str) -> list[str]:
    """Content words of `text`, folded, without filler and plural endings."""
    out = []
    for word in re.findall(r"[a-zñ0-9]+", _tokens(text)):
        if word in _STOP or len(word) < 2:
            continue
        single = _singular(word)
        if single in _STOP:  # "unas", "unos"
            continue
        out.append(single)
    return out


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ces") and word[-4] in "aeiou":
        # "arroces" → "arroz", "lápices" → "lapiz", "luces" → "luz" ("dulces" → "dulce"
        # below: a consonant before the c).
        return word[:-3] + "z"
    if len(word) > 4 and word.endswith("es") and word[-3] not in "aeiou":
        # "papeles" → "papel", but "chicles" → "chicle", "cables" → "cable" (no Spanish
        # word ends in two consonants).
        if word[-4] not in "aeiou":
            return word[:-1]
        return word[:-2]
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word


def product_fact(product: Product) -> dict[str, Any]:
    """The `products` entry of the payload contract."""
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "price": product.price,
        "stock": product.stock,
    }


def load_products(*, session: Session, shop_id: int, ids: Sequence[int]) -> list[Product]:
    """Active products of `shop_id` with these ids, in the order given (unknown ids dropped)."""
    wanted = [int(i) for i in ids if str(i).lstrip("-").isdigit()]
    if not wanted:
        return []
    rows = session.scalars(
        select(Product).where(
            Product.id.in_(wanted), Product.shop_id == shop_id, Product.active.is_(True)
        )
    )
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in dict.fromkeys(wanted) if i in by_id]


def fallback_search(*, session: Session, shop_id: int, query: str, k: int = 5) -> list[Product]:
    """SQL ILIKE lookup: products with any query word in name/category, most matches first."""
    words = terms(synonyms.expand(query))
    if not words:
        return []
    haystack = func.lower(Product.name + " " + Product.category + " " + Product.description)
    clauses = [haystack.ilike(f"%{w}%") for w in words]
    candidates = session.scalars(
        select(Product).where(Product.shop_id == shop_id, Product.active.is_(True), or_(*clauses))
    ).all()
    if not candidates:
        # ILIKE does not fold accents: retry in Python over the shop's catalog.
        candidates = session.scalars(
            select(Product).where(Product.shop_id == shop_id, Product.active.is_(True))
        ).all()

    def score(p: Product) -> tuple[int, int, int]:
        name = fold(p.name)
        text = f"{name} {fold(p.category)} {fold(p.description)}"
        return (sum(w in name for w in words), sum(w in text for w in words), -p.id)

    scored = [(score(p), p) for p in candidates]
    ranked = sorted((s for s in scored if s[0][1] > 0), key=lambda s: s[0], reverse=True)
    return [p for _, p in ranked[:k]]


# Semantic scores are always positive: a top hit below MIN_TOP_SCORE means "nothing
# similar" (measured on the demo catalog: unrelated queries top out near 0.18, real ones
# start near 0.3); hits far below the best one are noise.
MIN_TOP_SCORE = 0.25
MIN_RELATIVE_SCORE = 0.6


def relevant_ids(hits: Sequence[Any]) -> list[int]:
    """Product ids of the hits worth showing (SQL-fallback hits are all kept)."""
    if not hits:
        return []
    if all(getattr(h, "source", "index") == "sql" for h in hits):
        return [int(h.product_id) for h in hits]
    top = max(float(h.score) for h in hits)
    if top < MIN_TOP_SCORE:
        return []
    return [int(h.product_id) for h in hits if float(h.score) >= top * MIN_RELATIVE_SCORE]


def search_products(
    *, session: Session, shop_id: int, query: str, searcher: Searcher | None, k: int = 5
) -> list[Product]:
    """Rank with the search service when it works, else `fallback_search`; load from the DB."""
    if searcher is not None:
        try:
            ids = relevant_ids(searcher.search(shop_id, query, k=k))
            return load_products(session=session, shop_id=shop_id, ids=ids)[:k]
        except Exception:  # the search index is optional; the database is the truth
            log.exception("catalog search failed, using the SQL fallback")
    return fallback_search(session=session, shop_id=shop_id, query=query, k=k)


def shop_categories(*, session: Session, shop_id: int) -> list[tuple[str, int]]:
    """(category, active product count) of the shop, biggest first."""
    rows = session.execute(
        select(Product.category, func.count())
        .where(Product.shop_id == shop_id, Product.active.is_(True), Product.category != "")
        .group_by(Product.category)
        .order_by(func.count().desc(), Product.category)
    )
    return [(name, count) for name, count in rows]


def closest_categories(*, session: Session, shop_id: int, query: str, n: int = 3) -> list[str]:
    """The `n` shop categories most similar to `query` (the biggest ones when none is)."""
    categories = [name for name, _ in shop_categories(session=session, shop_id=shop_id)]
    words = terms(query) or [fold(query)]

    def similarity(category: str) -> float:
        folded = fold(category)
        return max(difflib.SequenceMatcher(None, w, folded).ratio() for w in words)

    ranked = sorted(categories, key=lambda c: similarity(c), reverse=True)
    close = [c for c in ranked if similarity(c) >= 0.6]
    rest = [c for c in categories if c not in close]
    return (close + rest)[:n]


def match_category(*, session: Session, shop_id: int, text: str) -> str | None:
    """The shop category named in `text` ("zapatos de Calzado" → "Calzado"), if any."""
    folded = terms(text)
    for name, _ in shop_categories(session=session, shop_id=shop_id):
        if _singular(fold(name)) in folded or fold(name) in fold(text):
            return name
    return None


def products_in_category(
    *, session: Session, shop_id: int, category: str, k: int = 5
) -> list[Product]:
    """Up to `k` active products of `category`, in stock first, then cheapest."""
    return list(
        session.scalars(
            select(Product)
            .where(
                Product.shop_id == shop_id,
                Product.active.is_(True),
                func.lower(Product.category) == category.lower(),
            )
            .order_by((Product.stock > 0).desc(), Product.price, Product.id)
            .limit(k)
        )
    )


_ORDINALS = {
    "primer": 0,
    "primero": 0,
    "primera": 0,
    "1ro": 0,
    "1ero": 0,
    "segundo": 1,
    "segunda": 1,
    "2do": 1,
    "tercer": 2,
    "tercero": 2,
    "tercera": 2,
    "3ro": 2,
    "cuarto": 3,
    "cuarta": 3,
    "quinto": 4,
    "quinta": 4,
}
_LAST = ("ultimo", "ultima")
_CHEAPEST = ("mas barato", "mas barata", "mas economico", "mas economica", "menor precio")
_PRICIEST = ("mas caro", "mas cara", "mayor precio", "mas costoso", "mas costosa")
_DEMONSTRATIVES = frozenset({"ese", "esa", "eso", "este", "esta", "esto", "aquel", "aquella"})


def resolve_reference(text: str, shown: Sequence[Product]) -> Product | None:
    """The product among `shown` (in the order shown) that `text` points at, or None.

    Understands "el más barato/caro", "el primero/segundo/tercero/último", "ese/esa/eso"
    (only when one product was shown) and a distinguishing word such as "la roja" or
    "el de acero" that matches exactly one shown name.
    """
    if not shown or not text:
        return None
    folded = " " + " ".join(re.findall(r"[a-zñ0-9]+", fold(text))) + " "
    if any(f" {p} " in folded for p in _CHEAPEST):
        return min(shown, key=lambda p: (p.price, shown.index(p)))
    if any(f" {p} " in folded for p in _PRICIEST):
        return max(shown, key=lambda p: (p.price, -shown.index(p)))
    tokens = folded.split()
    if any(t in _LAST for t in tokens):
        return shown[-1]
    for token in tokens:
        if token in _ORDINALS and _ORDINALS[token] < len(shown):
            return shown[_ORDINALS[token]]
    best = best_name_match(text, shown)
    if best is not None and not _other_size(text, best):
        return best
    sized = _by_size_word(folded, shown)  # "dame el grande", "el chico"
    if sized is not None:
        return sized
    by_size = _by_size(text, shown)
    if by_size is not None:
        return by_size
    # "esa", "dame 2": the one shown — but "los de 1 5/8" after the 6 x 1 screw asks for a
    # size that product does not have.
    if (
        len(shown) == 1
        and (set(tokens) & _DEMONSTRATIVES or not _content(text))
        and not _other_size(text, shown[0])
    ):
        return shown[0]
    return None


_BIG = re.compile(r" (?:mas )?(?:grande|grandes|grandote|grandota|mayor|familiar) ")
_SMALL = re.compile(
    r" (?:mas )?(?:chico|chica|chicos|chicas|pequeno|pequena|pequeño|pequeña|chiquito|chiquita|"
    r"mini|menor|personal) "
)
_MEASURE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(ml|cc|l|lt|lts|litros?|g|gr|gramos?|kg|kilos?|oz|cm|mm|m|mts|metros?|"
    r"piezas?|tabletas?|capsulas?|unidades|und|hojas|sobres?)\b"
)
_SCALE = {"ml": 0.001, "cc": 0.001, "g": 0.001, "gr": 0.001, "gramo": 0.001, "gramos": 0.001,
          "cm": 0.01, "mm": 0.001}  # fmt: skip


def _measure(product: Product) -> float | None:
    """The product's size in a common unit ("600 ml" → 0.6, "2.5 litros" → 2.5)."""
    match = _MEASURE.search(fold(product.name))
    if match is None:
        return None
    return float(match.group(1).replace(",", ".")) * _SCALE.get(match.group(2), 1.0)


def by_size_word(text: str, products: Sequence[Product]) -> Product | None:
    """ "el grande", "un cloralex chico": the biggest / smallest of `products` by size."""
    return _by_size_word(" " + " ".join(re.findall(r"[a-zñ0-9]+", fold(text))) + " ", products)


def _by_size_word(folded: str, shown: Sequence[Product]) -> Product | None:
    """ "el grande" / "el chico": the biggest / smallest of the shown sizes, when every
    shown product has a size and they differ."""
    big, small = bool(_BIG.search(folded)), bool(_SMALL.search(folded))
    if big == small or len(shown) < 2:
        return None
    measured = [(m, p) for p in shown if (m := _measure(p)) is not None]
    if len(measured) < len(shown) or len({m for m, _ in measured}) < 2:
        return None
    pick = max if big else min
    return pick(measured, key=lambda mp: mp[0])[1]


# "los de 1 5/8", "número 5", "talla 40", "N° 4": the size asked, not a count.
_SIZE_ASKED = re.compile(
    r"(?:\bde|\bnumero|\bnro|\bn°|\bnº|\btalla|\btalle|\bsize)\.?\s*(\d+(?:\s+\d+/\d+|[/.,]\d+)?)"
)


_SPOKEN_SIZES = (
    # "litro y medio" → "1.5 litros", "de litro" → "de 1 litro" (the sizes people say)
    (re.compile(r"\b(?:un |una )?(litro|kilo|galon|metro|libra)s? y medio\b"), r"1.5 \1s"),
    (re.compile(r"\bde (?:un |una |1 )?(litro|kilo|galon|metro|libra)\b"), r"de 1 \1"),
    (re.compile(r"\bde dos (litro|kilo|galon|metro|libra)s\b"), r"de 2 \1s"),  # "de dos metros"
)


def spoken_sizes(text: str) -> str:
    """`text` (folded) with spoken sizes written as numbers."""
    folded = fold(text)
    for pattern, repl in _SPOKEN_SIZES:
        folded = pattern.sub(repl, folded)
    return folded


def asked_sizes(text: str) -> list[str]:
    """The sizes `text` asks for with "de": "los de 1 5/8" → ["1", "5", "8"]."""
    return [n for m in _SIZE_ASKED.finditer(spoken_sizes(text)) for n in sizes(m.group(1))]


def size_of_shown(text: str, shown: Sequence[Product]) -> str | None:
    """ "3 cajas de los de 1 5/8" right after a product: the same kind in another size.

    A query made of the shown product's first two name words and `text`, when `text` names
    no thing of its own (only packaging words and a size); otherwise None.
    """
    if not shown or not asked_sizes(text):
        return None
    if any(not w.isdigit() and w not in PACKAGING for w in terms(text)):
        return None
    kind = kind_words(shown[0])
    return f"{kind} {text}" if kind else None


# "la de 5", "y 2 de limón también", "3 cajas de los de 1 5/8", "uno de frutilla": the
# thing is the one just talked about, only the flavour, colour or size is said.
_ELLIPSIS = re.compile(
    r"^(?:(?:y|ya|entonces|tambien|bueno|listo|ok|mejor|pues|dame|deme|quiero|mandame|"
    r"ponme|poneme|agregame|echame|sumame|y tambien|ah|uy|dale|si|va|vale|porfa)\s+)*"
    r"(?:(?:\d+|un|una|uno|unos|unas|dos|tres|cuatro|cinco|seis|otr[oa]s?)\s+)?"
    r"(?:(?:cajas?|bolsas?|paquetes?|tubos?|pares?|unidades|botellas?|latas?)\s+de\s+)?"
    r"(?:(?:el|la|los|las)\s+)?de\s+(?!(?:ese|esa|esos|esas|este|esta|estos|estas)\b)(.+)$"
)


def elliptical_modifier(text: str) -> str | None:
    """What `text` says of a thing it does not name ("la de 5" → "5", "2 de limón
    también" → "limon tambien"); None when it names one or is no such phrase."""
    folded = " ".join(re.findall(r"[a-zñ0-9/,]+", spoken_sizes(text))).replace(" ,", ",")
    match = _ELLIPSIS.match(folded.replace(",", " ").strip())
    return match.group(1).strip() if match else None


def kind_words(product: Product) -> str:
    """The kind a product's name starts with, as written: its first two words before any
    size ("Papas Margarita pollo 105 g" → "Papas Margarita", "Wincha 8 m Truper" →
    "Wincha", not the size it comes in). Compare kinds folded."""
    kind: list[str] = []
    for word in product.name.split()[:2]:
        if any(ch.isdigit() for ch in word):
            break
        kind.append(word)
    return " ".join(kind)


def kin_fits(modifier: str, product: Product) -> bool:
    """True when `product` has every word and every number `modifier` says."""
    numbers = set(sizes(product.name))
    return all(_hits([w], product) for w in _content(modifier)) and all(
        n in numbers for n in sizes(modifier)
    )


def _other_size(text: str, product: Product) -> bool:
    """True when `text` asks for a size ("el de 1 5/8", "la de 2") `product` lacks."""
    asked = asked_sizes(text)
    return bool(asked) and not all(n in sizes(product.name) for n in asked)


# Letter sizes of clothes: "talla M", "talle XL" (Argentina says "talle").
_LETTER_SIZE = re.compile(r"\btall[ae]s?\s+(xxs|xs|s|m|l|xl|xxl|xxxl|2xl|3xl)\b")


_METRIC = re.compile(r"\b(\d+(?:[.,]5)?)\s*(litros?|lts?|l|kilos?|kgs?|libras?|lbs?)\b")


def metric_equivalents(text: str) -> list[str]:
    """The same sizes in the units catalogs print: "1 litro" → "1000" (ml), "2 kilos" →
    "2000" (g), "1 libra" → "500" (g, as a Latin-American pound is sold)."""
    out = []
    for amount, unit in _METRIC.findall(spoken_sizes(text)):
        grams = 500 if unit.startswith(("libra", "lb")) else 1000
        out.append(str(round(float(amount.replace(",", ".")) * grams)))
    return out


def sizes(text: str) -> list[str]:
    """The numbers written in `text` ("1/2" → ["1", "2"], "1.5 litros" → ["1", "5"],
    "litro y medio" → ["1", "5"]), then its letter sizes ("talle M" → ["m"])."""
    folded = spoken_sizes(text)
    return re.findall(r"\d+", folded) + _LETTER_SIZE.findall(folded)


# A count of containers in a request ("deme 5 cajas", "10 bolsas de leche"); after an "x"
# or a "de" it is a pack size ("caja x 100", "papel higiénico de 12 rollos").
_COUNTED = re.compile(
    r"(?<!x)(?<!x )(?<!de )\b\d+\s+(?:cajas?|bolsas?|unidades|unidad|paquetes?|docenas?|rollos?|"
    r"bultos?|sacos?|pares?|juegos?|latas?|botellas?|frascos?|und|packs?|tiras?|pacas?|"
    r"tubos?|sobres?|cajitas?)\b"
)


def _by_size(text: str, shown: Sequence[Product]) -> Product | None:
    """The one shown product whose name holds every number of `text` ("el de 60"); the
    sizes asked with "de" first ("el de 20 tabletas, me da 2": 20 is the size)."""
    wanted = asked_sizes(text) or sizes(text)
    if not wanted:
        return None
    fits = [p for p in shown if all(n in sizes(p.name) for n in wanted)]
    if len(fits) > 1:  # "6 x 1" vs "6 x 1 5/8": the one with no other numbers
        exact = [p for p in fits if len(sizes(p.name)) == len(set(wanted))]
        fits = exact or fits
    return fits[0] if len(fits) == 1 else None


_PRICE_WORDS = frozenset({"barato", "barata", "caro", "cara", "economico", "economica", "costoso"})


def _other_gender(word: str) -> str:
    """ "dorada" → "dorado", "blanco" → "blanca": adjectives agree with the shopper's noun,
    which need not be the catalog's ("las doradas" for "Gafas de sol aviador dorado")."""
    if len(word) >= 4 and word[-1] in "ao":
        return word[:-1] + ("o" if word[-1] == "a" else "a")
    return word


def _found(word: str, names: list[str], *, inflect: bool = False) -> bool:
    """`word` (or a regional synonym of it: "remera" for "camiseta") is among `names`.

    A name word that only starts with `word` counts when `word` is most of it ("tornillo" in
    "tornillos"), not when it is another thing ("colchon" in "colchoneta", "aa" in "aaa").
    With `inflect`, the other gender of the word counts too (for adjectives).
    """
    forms = synonyms.variants(word, _singular)
    if len(word) >= 7 and word[-3:] in ("ito", "ita"):
        forms = forms | {word[:-3]}  # "parlantito" is a "parlante", "bolsita" a "bolsa"
    if inflect:
        forms = forms | {_other_gender(f) for f in forms}
    return any(
        n == v
        or (n.startswith(v) and len(v) >= 0.75 * len(n))
        # "256" in "256GB", "25" in "25W": a number with its unit glued on
        or (v.isdigit() and n.startswith(v) and n[len(v) :].isalpha())
        for v in forms
        for n in names
    )


def _name_words(product: Product) -> list[str]:
    return [_singular(w) for w in re.findall(r"[a-zñ0-9]+", _tokens(product.name))]


def _count_hits(words: list[str], name: list[str], inflect: Callable[[str], bool]) -> int:
    """Query words found in `name`; a word said twice needs two in the name ("cable tipo c
    a tipo c" is the USB-C to USB-C cable, not the USB-C to Lightning one)."""
    total = 0
    for word, times in Counter(words).items():
        found = _found(word, name, inflect=inflect(word))
        if found and times > 1:
            total += min(times, sum(_found(word, [n], inflect=inflect(word)) for n in name))
        else:
            total += found
    return total


def _hits(words: list[str], product: Product, *, inflect: bool = False) -> int:
    return _count_hits(words, _name_words(product), lambda _w: inflect)


def _modifier_hits(words: list[str], head: str, product: Product) -> int:
    """Like `_hits`, the head noun exact and the other words in either gender."""
    return _count_hits(words, _name_words(product), lambda w: w != head)


def name_hits(text: str, product: Product) -> int:
    """How many content words of `text` (price words aside) appear in the product's name."""
    words = [w for w in _content(text) if w not in _PRICE_WORDS]
    return _hits(words, product)


# Units of a size ("olla de 6 litros" is the "Olla a presión 6 L"): the number is matched
# as a size (`sizes`), the unit word is not a product word.
UNITS = frozenset(
    {
        "l", "lt", "lts", "litro", "ml", "cc", "kg", "kilo", "gramo", "gr", "g", "cm", "mm",
        "m", "mt", "mts", "metro", "pulgada", "pulg", "onza", "oz", "libra", "lb", "w", "watt",
        "vatio", "v", "voltio", "gb", "tb", "mah",
    }
)  # fmt: skip


# Size adjectives: "dame el grande" picks by size among the shown (`_by_size_word`).
_SIZE_ADJECTIVES = frozenset(
    {"grande", "chico", "chica", "pequeno", "pequeño", "pequena", "pequeña", "mediano",
     "mediana", "chiquito", "chiquita", "grandote", "mini"}
)  # fmt: skip


# Words that only announce a size ("talla 40", "talle M", "pelota número 5", "N°5"): the
# size itself is matched as a number (`sizes`), the marker is not a word of the thing.
_SIZE_MARKERS = frozenset({"talla", "talle", "numero", "nro", "num"})


def _content(text: str) -> list[str]:
    return [
        w
        for w in terms(text)
        if not w.isdigit()
        and w not in UNITS
        and w not in _SIZE_ADJECTIVES
        and w not in _SIZE_MARKERS
    ]


def content_words(text: str) -> list[str]:
    """The words of `text` that name a thing: no filler, numbers or units of a size."""
    return _content(text)


def best_name_match(text: str, shown: Sequence[Product]) -> Product | None:
    """The one shown product whose name holds the most words of `text` (ties → None)."""
    words = [w for w in terms(text) if w not in _ORDINALS and not w.isdigit()]
    if not words or not shown:
        return None

    scores = sorted(((_hits(words, p, inflect=True), i) for i, p in enumerate(shown)), reverse=True)
    top = scores[0][0]
    if top == 0 or (len(scores) > 1 and scores[1][0] == top):
        return None
    best = shown[scores[0][1]]
    # A shared word is not a reference when the request names another thing: "un tapete
    # de baño" after "Toalla de baño" shares "baño" but its head noun is "tapete".
    head = next((w for w in words if w not in PACKAGING and w not in _LEAD_ADJECTIVES), words[0])
    if not _hits([head], best, inflect=True) and top / len(words) < 0.67:
        return None
    return best


# Packaging and unit words: "2 paquetes de pañales" asks for pañales, "5 cajas" is a count.
_PACKAGING_WORDS = frozenset(
    {
        "caja", "bolsa", "unidad", "paquete", "docena", "rollo", "galon", "metro", "kilo",
        "kg", "bulto", "saco", "par", "juego", "pieza", "lata", "botella", "frasco", "und",
        "ud", "pack", "cajita", "tira", "paca", "cuñete", "balde",
    }
)  # fmt: skip
# As `terms` gives them, plurals included ("paquetes" → "paquet", "galones" → "galon").
PACKAGING = _PACKAGING_WORDS | frozenset(
    t
    for w in _PACKAGING_WORDS
    for form in (w, f"{w}s" if w[-1] in "aeiou" else f"{w}es")
    for t in terms(form)
)


# Adjectives that may come before the noun in Spanish ("un buen taladro").
_LEAD_ADJECTIVES = frozenset({"buen", "bueno", "buena", "nuevo", "nueva", "gran", "mejor", "otro"})


@dataclass(frozen=True)
class Focus:
    """The products a request is about, and whether the shop sells what it names."""

    products: list[Product]
    available: bool = True


def _related(words: list[str], product: Product, *, inflect: bool = False) -> int:
    """Content words of the request found in the product's name, category or description."""
    text = [
        _singular(w)
        for w in re.findall(
            r"[a-zñ0-9]+", fold(f"{product.name} {product.category} {product.description}")
        )
    ]
    return sum(_found(w, text, inflect=inflect) for w in words)


# Adjectives that describe any product and distinguish none: a request "bicicleta normal"
# is not a kind of bicycle the shop lacks.
_GENERIC = frozenset(
    {
        "normal", "sencillo", "sencilla", "comun", "corriente", "bonito", "bonita", "lindo",
        "linda", "original", "economico", "economica", "chevere", "basico", "basica",
        "cualquiera", "tipo", "clase", "marca", "modelo", "referencia", "calidad",
    }
)  # fmt: skip
# The request's purpose ("para mi niño", "pa la casa") is not an attribute of the product.
_PURPOSE = re.compile(r"\b(?:para|pa|por)\b.*$")


def _modifiers(query: str, head: str) -> list[str]:
    """The content words after the head noun that describe the thing asked for:
    "eléctricas" in "bicicletas eléctricas" (no sizes, packaging or purpose)."""
    words = _content(_PURPOSE.sub("", fold(query)))
    if head not in words:
        return []
    after = words[words.index(head) + 1 :]
    skip = PACKAGING | _PRICE_WORDS | _LEAD_ADJECTIVES | _GENERIC
    return [w for w in after if w not in skip and w not in _ORDINALS]


def focus(
    query: str, found: Sequence[Product], *, phrase: bool, extra_sizes: Sequence[str] = ()
) -> Focus:
    """Narrow search hits to what `query` asks for.

    - Products that share no content word with the request are dropped (no padding).
    - When the request is a product phrase and no hit has its head noun (its first
      content word: "bicicletas" in "bicicletas eléctricas") in the name, the shop does not
      sell it: `available=False`, the hits are only similar products.
    - When one product's name holds clearly more of the request than any other (and at
      least 60 % of it), it alone is the answer.
    """
    words = [w for w in _content(query) if w not in _PRICE_WORDS and w not in _ORDINALS]
    if not found or not words:
        return Focus(list(found))
    related = [p for p in found if _related(words, p, inflect=True) > 0]
    if not related:
        return Focus(list(found), available=not phrase)
    head = next((w for w in words if w not in PACKAGING and w not in _LEAD_ADJECTIVES), words[0])
    coverage = max(_modifier_hits(words, head, p) for p in related) / len(words)
    with_head = [p for p in related if _hits([head], p)]
    if phrase and not with_head and coverage < 0.67:
        return Focus(related, available=False)
    if with_head:
        # "tenis talla 40": the boots size 40 and the 40-cm teddy share a word, not the thing.
        related = with_head
        # "bicicletas eléctricas": bicycles exist, but none is electric while other products
        # are: the shop does not sell that kind; its bicycles are only similar.
        others = [p for p in found if p not in with_head]
        lacking = [
            m
            for m in _modifiers(query, head)
            if not any(_related([m], p, inflect=True) for p in with_head)
            and any(_related([m], p, inflect=True) for p in others)
        ]
        if phrase and lacking:
            return Focus(with_head, available=False)
    # "talla 40", "6 litros", "fierro de 1/2" — not the count of "deme 5 cajas"
    numbers = sizes(_COUNTED.sub(" ", fold(query))) or list(extra_sizes)
    numbers += metric_equivalents(query)  # "el de litro" is the 1000 ml one

    def fit(p: Product) -> tuple[int, int, int, int]:
        # Name words asked for, sizes asked for, then fewer sizes nobody asked for ("6 x 1"
        # is the 6 x 1 screw, not the 6 x 1 5/8 one), then — when a size was asked — fewer
        # name words nobody asked for ("coca de 600" is the Coca-Cola 600 ml, not the Sin
        # Azúcar one of the same size).
        if not numbers:
            hits = _modifier_hits(words, head, p)
            if hits < len(words) or len(words) < 2:
                return hits, 0, 0, 0
            # Every word asked is in the name, and the name says nothing else: that one
            # ("cervezas poker en lata" is the can, not the six-pack of cans).
            unasked = [w for w in _content(p.name) if not _found(w, words, inflect=True)]
            return hits, 0, 0, int(not unasked)
        extra = [n for n in re.findall(r"\d+", fold(p.name)) if n not in numbers]
        unasked = [w for w in _content(p.name) if not _found(w, words, inflect=True)]
        return _modifier_hits(words, head, p), _hits(numbers, p), -len(extra), -len(unasked)

    scored = sorted(((fit(p), -i, p) for i, p in enumerate(related)), reverse=True)
    best = scored[0][0]
    second = scored[1][0] if len(scored) > 1 else (0, 0, 0, 0)
    if best > second and best[0] >= max(1, -(-3 * len(words) // 5)):
        return Focus([scored[0][2]])
    # "¿qué audífonos de diadema tienen?": the two diadema headsets say all that was asked;
    # the earbuds share only "audífonos". Several equally good answers are the list.
    top = {id(p) for f, _, p in scored if f[:2] == best[:2]}
    if len(top) < len(related) and best[0] >= max(2, -(-3 * len(words) // 5)):
        return Focus([p for p in related if id(p) in top])
    return Focus(related)
