"""Query preprocessing: accent folding, filler removal, character n-grams."""

from __future__ import annotations

import pytest

from actions.search.text import char_ngrams, clean_query, content_words, fold, words


def test_fold_strips_accents_but_keeps_enie() -> None:
    assert fold("Cañón PORTÁTIL Pingüino") == "cañon portatil pinguino"


def test_words_keep_decimals_and_drop_punctuation() -> None:
    assert words("Licuadora Oster 1.5 L, ¡3 velocidades!") == [
        "licuadora",
        "oster",
        "1.5",
        "l",
        "3",
        "velocidades",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hola, tienen licuadoras?", "licuadoras"),
        ("¿Cuánto vale la nevera?", "la nevera"),
        ("me regalas el precio del ventilador porfa", "del ventilador"),
        ("quiero 2 pares de chanclas", "de chanclas"),
        ("busco tres camisetas talla M", "camisetas talla m"),
        ("televisor de 43", "televisor de 43"),
    ],
)
def test_clean_query_removes_shopper_filler_and_quantities(query: str, expected: str) -> None:
    assert clean_query(query) == expected


def test_clean_query_never_returns_nothing_for_a_real_query() -> None:
    assert clean_query("hay?") == "hay"


def test_content_words_drop_stopwords() -> None:
    assert content_words("zapatos para correr de la marca") == ["zapatos", "correr", "marca"]


def test_char_ngrams_pad_words_and_keep_short_tokens() -> None:
    grams = char_ngrams(["sol", "l"])
    assert " so" in grams and "sol " in grams and " l " in grams
    assert "sol" in grams
