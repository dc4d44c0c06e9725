"""Text normalization for catalog search: accent folding, shopper filler, character n-grams.

Everything here is pure and deterministic; the same functions prepare products and queries so
that "licuadra", "LICUADORA" and "licuadóra" land on the same character n-grams.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Numbers with a decimal separator ("1.5", "2,5") stay one token.
_DECIMAL = re.compile(r"(\d)[.,](\d)")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Phrases shoppers wrap around what they want. Removed before single stopwords so that
# "cuanto vale" goes as a unit. Written accent-folded, lowercase.
FILLER_PHRASES: tuple[str, ...] = (
    "me regalas",
    "me regala",
    "me puedes",
    "me podrias",
    "me das",
    "me vendes",
    "cuanto vale",
    "cuanto valen",
    "cuanto cuesta",
    "cuanto cuestan",
    "que precio tiene",
    "que precio",
    "el precio",
    "tienes disponible",
    "tienen disponible",
    "por favor",
    "buenas tardes",
    "buenas noches",
    "buenos dias",
    "buen dia",
    "quisiera saber",
    "estoy buscando",
    "ando buscando",
    "necesito saber",
    "me interesa",
    "hay disponible",
)
FILLER_WORDS: frozenset[str] = _wordset(
    """
    hola buenas tienen tienes tiene hay quiero quisiera queria necesito busco buscando
    vale valen cuesta cuestan precio precios porfa porfis favor gracias venden vendes vende
    manejan manejas maneja disponible disponibles comprar compro pedir dame deme regalame
    mostrar muestrame ver saber info informacion algun alguna algunos algunas unos unas
    cuanto cuantos cuanta cuantas que cual cuales si ok oye pues parce vecino vecina
    """
)
# Grammatical words that carry no product meaning. Kept out of lexical n-grams only; the
# semantic encoder sees them, since "para correr" matters to a sentence encoder.
STOPWORDS: frozenset[str] = _wordset(
    """
    a al con de del el en la las lo los mi mis o para por sin su sus tu un una uno y e
    me te se le les nos es son muy mas menos pero como este esta esto estos estas ese esa
    """
)
QUANTITY_WORDS: frozenset[str] = _wordset(
    """
    dos tres cuatro cinco seis siete ocho nueve diez docena media par pares unidad unidades
    """
)


def fold(text: str) -> str:
    """Lowercase and strip accents, keeping ñ ("Cañón" → "cañon")."""
    text = text.lower().replace("ñ", "\0")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("\0", "ñ")


def words(text: str) -> list[str]:
    """Accent-folded lowercase word tokens ("1.5 L" → ["1.5", "l"])."""
    folded = _DECIMAL.sub(r"\1.\2", fold(text))
    return [w.strip(".") for w in re.split(r"[^0-9a-zñ.]+", folded) if w.strip(".")]


def clean_query(query: str) -> str:
    """Drop greetings, question words and quantities a shopper wraps around a product.

    Returns the folded remainder; when nothing is left, the folded query itself, so a query
    made only of filler ("hay") still searches for something.
    """
    folded = " " + " ".join(words(query)) + " "
    for phrase in FILLER_PHRASES:
        folded = folded.replace(f" {phrase} ", " ")
    kept = [
        w
        for w in folded.split()
        if w not in FILLER_WORDS and w not in QUANTITY_WORDS and not _is_quantity(w)
    ]
    return " ".join(kept) if kept else " ".join(words(query))


def _is_quantity(word: str) -> bool:
    # Bare small counts ("2", "10") are quantities; sizes like "32" or "43" are not.
    return word.isdigit() and int(word) <= 12 and len(word) <= 2


def content_words(text: str) -> list[str]:
    """Folded words without stopwords, the input of lexical matching."""
    return [w for w in words(text) if w not in STOPWORDS]


def char_ngrams(tokens: Iterable[str], n_min: int = 3, n_max: int = 4) -> list[str]:
    """Character n-grams of each word padded with spaces ("tenis" → " te", "ten", ...).

    Words shorter than `n_min` once padded (e.g. "l") give themselves as one gram.
    """
    grams: list[str] = []
    for token in tokens:
        padded = f" {token} "
        if len(padded) <= n_min:
            grams.append(padded)
            continue
        for n in range(n_min, n_max + 1):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams
