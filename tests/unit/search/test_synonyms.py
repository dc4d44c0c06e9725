"""Regional product names: the file loads, expansion and one-word variants."""

from __future__ import annotations

from actions.search import synonyms
from actions.services.catalog import _singular, focus
from db.models import Product


def test_the_file_loads_with_groups_of_two_or_more_unique_names() -> None:
    groups = synonyms.groups()
    assert len(groups) > 40
    assert all(len(g) >= 2 and len(set(g)) == len(g) for g in groups)


def test_parse_folds_and_skips_comments() -> None:
    assert synonyms.parse("# x\nRemera, Camiseta  # ar\n\nsolo\n") == [("remera", "camiseta")]


def test_expand_adds_the_other_names_of_a_mentioned_group() -> None:
    assert synonyms.expand("tienen remeras?").split()[2:] == [
        "camiseta", "playera", "polera", "franela", "polo", "t-shirt"
    ]  # fmt: skip
    assert "pasta" in synonyms.expand("una crema dental") and "dentifrico" in synonyms.expand(
        "una crema dental"
    )
    assert synonyms.expand("un martillo") == "un martillo"


def test_variants_are_one_word_names_normalized_like_the_caller() -> None:
    assert {"camiseta", "remera", "playera"} <= synonyms.variants("remera", _singular)
    assert synonyms.variants("martillo", _singular) == {"martillo"}


def test_focus_takes_a_synonym_as_the_head_noun() -> None:
    shirts = [
        Product(
            id=1, name="Camiseta deportiva negra", category="Ropa", description="", price=1, stock=1
        )
    ]
    found = focus("remeras negras", shirts, phrase=True)
    assert found.available and [p.id for p in found.products] == [1]


def test_rewrites_replace_one_mentioned_name_by_each_other_name() -> None:
    assert synonyms.rewrites("Remeras negras")[:3] == [
        "remeras negras", "camiseta negras", "playera negras"
    ]  # fmt: skip
    assert synonyms.rewrites("un martillo") == ["un martillo"]
    assert len(synonyms.rewrites("remeras", limit=2)) == 3
