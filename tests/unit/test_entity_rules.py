"""The entity clean-up rules the Rasa model applies after DIET (rasa_project/components).

The rules are plain Python, so they are tested here without Rasa; the Rasa component
`EntityCleanup` learns the intent -> entities table and calls `tidy_entities`.
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


def _tidy(text: str, spans: list[tuple[str, str]], **tables: object) -> list[tuple[str, str]]:
    """tidy_entities on DIET-like entities, as (value, label) pairs; ``tables`` are its
    intent/allowed/roles arguments."""
    result = entity_rules.tidy_entities(text, _entities(text, spans), **tables)
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


def test_entities_by_intent_is_learned_from_annotations() -> None:
    examples = [
        ("comprar", [{"entity": "cantidad"}, {"entity": "producto"}]),
        ("comprar", []),
        ("saludar", []),
        ("informar_datos", [{"entity": "nombre"}]),
    ]
    assert entity_rules.entities_by_intent(examples) == {
        "comprar": ["cantidad", "producto"],
        "informar_datos": ["nombre"],
        "saludar": [],
    }


ALLOWED = {"comprar": ["cantidad", "producto"], "pedir_ayuda": [], "cancelar_pedido": []}


@pytest.mark.parametrize(
    ("text", "intent", "predicted", "expected"),
    [
        ("eres un robot? que sabes hacer", "pedir_ayuda", [("un", "cantidad")], []),
        ("cancela todo, me quede sin plata", "cancelar_pedido", [("plata", "producto")], []),
        ("quiero 2 termos", "comprar", [("2", "cantidad"), ("termos", "producto")],
         [("2", "cantidad"), ("termos", "producto")]),
        ("agregame el mouse al carrito, soy Ana", "comprar",
         [("mouse", "producto"), ("Ana", "nombre")], [("mouse", "producto")]),
        # an intent the table does not know (nlu_fallback) keeps everything
        ("asdf 2 termos", "nlu_fallback", [("2", "cantidad"), ("termos", "producto")],
         [("2", "cantidad"), ("termos", "producto")]),
    ],
)  # fmt: skip
def test_entities_the_intent_never_has_are_dropped(
    text: str, intent: str, predicted: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    assert _tidy(text, predicted, intent=intent, allowed=ALLOWED) == expected


def test_word_roles_count_product_and_plain_uses() -> None:
    examples = [
        ("tienen cables usb?", [{"start": 7, "end": 17, "entity": "producto"}]),
        ("mi cel es 300", [{"start": 10, "end": 13, "entity": "telefono"}]),
        ("tienen algo?", []),
    ]
    roles = entity_rules.word_roles(examples)
    assert roles["cables"] == [1, 0] and roles["usb"] == [1, 0]
    assert roles["tienen"] == [0, 2]
    assert roles["300"] == [0, 0]  # inside another entity: neither


ROLES = {
    "tienen": [0, 40], "quiero": [0, 50], "valen": [0, 11], "pa": [0, 60], "mi": [0, 80],
    "cable": [3, 0], "celular": [6, 5], "xiaomi": [6, 0], "termos": [4, 0], "sobrino": [0, 1],
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "predicted", "expected"),
    [
        # grows over product words and over words training never saw (new brands, nouns)
        ("quiero comprar el celular xiaomi azul", [("xiaomi", "producto")],
         [("celular xiaomi azul", "producto")]),
        ("hagale, 1 nevera haceb", [("1", "cantidad"), ("haceb", "producto")],
         [("1", "cantidad"), ("nevera haceb", "producto")]),
        ("remueve el cable hdmi", [("cable", "producto")], [("cable hdmi", "producto")]),
        ("mandame dos fundas de almohada", [("dos", "cantidad"), ("fundas", "producto")],
         [("dos", "cantidad"), ("fundas de almohada", "producto")]),
        # never over punctuation, numbers, other entities or plain chat words
        ("tienen termos? cuanto valen", [("termos", "producto")], [("termos", "producto")]),
        ("me llevo 2 termos pa mi sobrino", [("2", "cantidad"), ("termos", "producto")],
         [("2", "cantidad"), ("termos", "producto")]),
        ("quiero 2 termos y 3 cables", [("2", "cantidad"), ("termos", "producto"),
                                        ("3", "cantidad"), ("cables", "producto")],
         [("2", "cantidad"), ("termos", "producto"), ("3", "cantidad"), ("cables", "producto")]),
    ],
)  # fmt: skip
def test_product_phrases_grow_over_product_words(
    text: str, predicted: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    assert _tidy(text, predicted, roles=ROLES) == expected


def test_shopper_spelling_survives_case_only_synonyms() -> None:
    """EntitySynonymMapper lower-cases its lookup: only real synonyms change a value."""
    text = "soy Mateo Arango y exporta el stock"
    entities = _entities(text, [("Mateo Arango", "nombre"), ("stock", "tipo_exportacion")])
    entities[0]["value"], entities[1]["value"] = "mateo Arango", "inventario"
    result = entity_rules.tidy_entities(text, entities)
    assert [e["value"] for e in result] == ["Mateo Arango", "inventario"]


@pytest.mark.parametrize(
    ("text", "predicted", "expected"),
    [
        ("sumale una cobija termica", [("una", "cantidad"), ("cobija termica", "producto")],
         [("cobija termica", "producto")]),
        ("me llevo 2 collares antipulgas", [("collares antipulgas", "producto")],
         [("2", "cantidad"), ("collares antipulgas", "producto")]),
        ("dame media docena de huevos", [("huevos", "producto")],
         [("media docena", "cantidad"), ("huevos", "producto")]),
        ("dame media docena huevos", [("huevos", "producto")],
         [("media docena", "cantidad"), ("huevos", "producto")]),
        ("quiero dos termos", [("dos", "cantidad"), ("termos", "producto")],
         [("dos", "cantidad"), ("termos", "producto")]),
        ("ponle uno mas", [("uno", "cantidad")], [("uno", "cantidad")]),
    ],
)  # fmt: skip
def test_articles_are_not_quantities_and_numbers_before_products_are(
    text: str, predicted: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    assert _tidy(text, predicted) == expected


def test_an_added_quantity_keeps_the_extractor_of_its_product() -> None:
    """`rasa test nlu` groups predicted entities by extractor: a new one must carry it."""
    text = "me llevo 2 collares antipulgas"
    product = {"entity": "producto", "start": 11, "end": 30, "value": "collares antipulgas"}
    tidied = entity_rules.tidy_entities(text, [{**product, "extractor": "DIETClassifier"}],
                                        "comprar", None, None)  # fmt: skip
    assert [(e["value"], e.get("extractor")) for e in tidied] == [
        ("2", "DIETClassifier"),
        ("collares antipulgas", "DIETClassifier"),
    ]


def test_no_quantity_is_added_where_the_intent_has_none() -> None:
    text = "estado del pedido 45 termos"
    allowed = {"estado_pedido": ["producto"]}
    assert _tidy(text, [("termos", "producto")], intent="estado_pedido", allowed=allowed) == [
        ("termos", "producto")
    ]


@pytest.mark.parametrize(
    ("text", "predicted", "expected"),
    [
        ("hay stock de memorias usb de 64?", [("memorias usb", "producto"), ("64", "cantidad")],
         [("memorias usb de 64", "producto")]),
        ("che, tienen fundas para iphone 13?",
         [("fundas para iphone", "producto"), ("13", "cantidad")],
         [("fundas para iphone 13", "producto")]),
        ("aun hay pesas rusas de 8 kilos?", [("pesas rusas", "producto"), ("8", "cantidad")],
         [("pesas rusas de 8 kilos", "producto")]),
        ("quiero 8 bombillos led de 12w",
         [("8", "cantidad"), ("bombillos led", "producto"), ("12w", "cantidad")],
         [("8", "cantidad"), ("bombillos led de 12w", "producto")]),
        # a new quantity after "a"/"en" stays a quantity
        ("cambia las brochas de 4 a 2", [("brochas", "producto"), ("4", "cantidad"),
                                         ("2", "cantidad")],
         [("brochas de 4", "producto"), ("2", "cantidad")]),
        ("deja las brochas en 2", [("brochas", "producto"), ("2", "cantidad")],
         [("brochas", "producto"), ("2", "cantidad")]),
        ("quiero 2 termos y 3 brochas", [("2", "cantidad"), ("termos", "producto"),
                                         ("3", "cantidad"), ("brochas", "producto")],
         [("2", "cantidad"), ("termos", "producto"), ("3", "cantidad"), ("brochas", "producto")]),
        ("dame un par de chanclas, talla 41", [("un par", "cantidad"), ("chanclas", "producto")],
         [("un par", "cantidad"), ("chanclas", "producto")]),
    ],
)  # fmt: skip
def test_a_number_after_a_product_is_its_size(
    text: str, predicted: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    assert _tidy(text, predicted) == expected
