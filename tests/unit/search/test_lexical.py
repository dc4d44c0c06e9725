"""Lexical scoring tolerates typos and missing accents, and forgets removed rows."""

from __future__ import annotations

from actions.search.lexical import LexicalIndex


def _index() -> LexicalIndex:
    index = LexicalIndex()
    index.add(0, "Licuadora Oster 3 velocidades 1.5 L", "Electrodomésticos vaso de vidrio")
    index.add(1, "Tenis running hombre Velox talla 40", "Calzado zapatillas deportivas")
    index.add(2, "Camiseta polo algodón azul M", "Ropa manga corta")
    index.add(3, "Plancha para el cabello cerámica", "Cuidado personal alisadora")
    return index


def test_typo_still_ranks_the_right_product_first() -> None:
    rows, scores = _index().top("licuadra", 3)
    assert rows[0] == 0 and scores[0] > 0.4


def test_missing_accents_match_accented_text() -> None:
    rows, _ = _index().top("camiseta algodon", 1)
    assert rows.tolist() == [2]


def test_description_words_count_less_than_name_words() -> None:
    index = LexicalIndex()
    index.add(0, "Plancha de ropa a vapor", "Electrodomésticos")
    index.add(1, "Alisadora de pelo", "Cuidado personal plancha para el cabello")
    rows, scores = index.top("plancha", 2)
    assert rows.tolist() == [0, 1] and scores[0] > scores[1] > 0


def test_scores_are_between_zero_and_one() -> None:
    _, scores = _index().scores("licuadora oster 3 velocidades 1.5 l electrodomesticos")
    assert 0.0 < scores.max() <= 1.0 + 1e-6


def test_removed_rows_are_not_returned() -> None:
    index = _index()
    index.remove(0)
    rows, _ = index.scores("licuadora")
    assert 0 not in rows.tolist()
    assert index.n_alive == 3


def test_unknown_words_and_empty_queries_match_nothing() -> None:
    assert len(_index().scores("xyzzy")[0]) == 0
    assert len(_index().scores("")[0]) == 0
    assert len(LexicalIndex().scores("licuadora")[0]) == 0
