"""The entity clean-up rules the Rasa model applies after DIET (rasa_project/components).

The rules are plain Python, so they are tested here without Rasa; the Rasa component
`ProductPhraseJoiner` only calls `tidy_entities` on each parsed message.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "rasa_project" / "components" / "entity_rules.py"
_spec = importlib.util.spec_from_file_location("entity_rules", _PATH)
assert _spec is not None and _spec.loader is not None
entity_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(entity_rules)


def _entities(text: str, spans: list[tuple[str, str]]) -> list[dict]:
    """DIET-like entities for the given (substring, label) pairs, left to right."""
    found, cursor = [], 0
    for value, label in spans:
        start = text.index(value, cursor)
        cursor = start + len(value)
        found.append({"start": start, "end": cursor, "value": value, "entity": label})
    return found


def _tidy(text: str, spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    result = entity_rules.tidy_entities(text, _entities(text, spans))
    for entity in result:  # values always match the text they point at
        assert text[entity["start"] : entity["end"]] == entity["value"]
    return [(e["value"], e["entity"]) for e in result]


@pytest.mark.parametrize(
    ("text", "predicted", "expected"),
    [
        # pieces split around a link word are joined
        ("tienen compresor de aire?", [("compresor", "producto"), ("aire", "producto")],
         [("compresor de aire", "producto")]),
        ("quiero la plancha para el pelo xfa",
         [("plancha para", "producto"), ("pelo", "producto")],
         [("plancha para el pelo", "producto")]),
        # a phrase cut after "de" is completed by the next word
        ("hay espejos de moto?", [("espejos de", "producto")], [("espejos de moto", "producto")]),
        # leading articles/prepositions are not part of a phrase
        ("hay stock de memorias usb de 64?", [("de memorias usb de 64", "producto")],
         [("memorias usb de 64", "producto")]),
        ("que hay de las herramientas", [("las herramientas", "categoria")],
         [("herramientas", "categoria")]),
        # a lone function word is not a product
        ("ponle otros dos", [("otros", "producto"), ("dos", "cantidad")], [("dos", "cantidad")]),
        ("quiero eso mismo", [("eso mismo", "producto")], []),
        # an e-mail address is an e-mail whatever DIET called it
        ("mi nombre es Jose y mi correo es jose.p@yahoo.com",
         [("Jose", "nombre"), ("jose.p@yahoo.com", "nombre")],
         [("Jose", "nombre"), ("jose.p@yahoo.com", "email")]),
        # correct entities pass unchanged
        ("dame un par de pilas doble a", [("un par", "cantidad"), ("pilas doble a", "producto")],
         [("un par", "cantidad"), ("pilas doble a", "producto")]),
        ("mandame 2 cargadores tipo c y 1 forro",
         [("2", "cantidad"), ("cargadores tipo c", "producto"), ("1", "cantidad"),
          ("forro", "producto")],
         [("2", "cantidad"), ("cargadores tipo c", "producto"), ("1", "cantidad"),
          ("forro", "producto")]),
    ],
)  # fmt: skip
def test_tidy_entities(
    text: str, predicted: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    assert _tidy(text, predicted) == expected


def test_separate_products_are_not_joined() -> None:
    """Two products joined by "y" stay two products."""
    text = "quiero brochas y rodillos"
    spans = [("brochas", "producto"), ("rodillos", "producto")]
    assert _tidy(text, spans) == spans


def test_confidence_of_a_joined_phrase_is_the_lowest_piece() -> None:
    text = "tienen compresor de aire?"
    pieces = _entities(text, [("compresor", "producto"), ("aire", "producto")])
    pieces[0]["confidence_entity"], pieces[1]["confidence_entity"] = 0.9, 0.6
    (joined,) = entity_rules.tidy_entities(text, pieces)
    assert joined["confidence_entity"] == 0.6
