"""Spelling correction only ever lands on words the shop's catalog uses."""

from __future__ import annotations

import pytest

from actions.search.spelling import Vocabulary, edit_distance


@pytest.fixture
def vocabulary() -> Vocabulary:
    vocab = Vocabulary()
    for text in (
        "Licuadora Oster 3 velocidades 1.5 L",
        "Horno microondas Samsung 20 L",
        "Rompecabezas 1000 piezas paisaje colombiano",
        "Protector solar FPS 50 para la piel",
        "Tenis running hombre talla 40",
    ):
        vocab.add(text)
    return vocab


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("licuadra", "licuadora"),
        ("microhondas", "microondas"),
        ("rompecabesas", "rompecabezas"),
        ("licuadora", "licuadora"),  # known words stay
        ("dolar", "dolar"),  # short words are not corrected (solar is one edit away)
        ("esferos", "esferos"),  # nothing close enough: left alone
        ("1000", "1000"),
    ],
)
def test_correct_word(vocabulary: Vocabulary, typed: str, expected: str) -> None:
    assert vocabulary.correct_word(typed) == expected


def test_correct_keeps_stopwords_and_word_order(vocabulary: Vocabulary) -> None:
    assert vocabulary.correct("licuadra para microhondas") == "licuadora para microondas"


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("licuadra", "licuadora", 1), ("tneis", "tenis", 1), ("casa", "casa", 0), ("ab", "xyz", 3)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=5) == distance


def test_edit_distance_stops_past_the_limit() -> None:
    assert edit_distance("licuadora", "ventilador", limit=2) == 3
