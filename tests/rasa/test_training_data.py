"""Checks on the Rasa training data that need no model (they run everywhere, fast)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "rasa_project"
INTENTS = [
    "saludar", "despedir", "agradecer", "pedir_ayuda", "consultar_empresa",
    "consultar_inventario", "comprar", "ver_pedido", "quitar_producto", "confirmar_pedido",
    "cancelar_pedido", "afirmar", "negar", "informar_datos", "consultar_cliente",
    "estado_pedido", "exportar_datos", "hablar_con_humano", "fuera_de_alcance",
]  # fmt: skip


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _examples(path: Path) -> dict[str, list[str]]:
    """intent -> examples of one NLU file (a tiny reader for our own simple YAML)."""
    found: dict[str, list[str]] = {}
    intent = None
    for line in path.read_text().splitlines():
        if match := re.match(r"\s*- intent: (\w+)", line):
            intent = match.group(1)
            found.setdefault(intent, [])
        elif intent and (match := re.match(r"\s{4,}- (.+)", line)):  # any block indent
            found[intent].append(match.group(1))
        elif re.match(r"\s*- (regex|lookup|synonym):", line):
            intent = None
    return found


def _merged(paths: list[Path]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in paths:
        for intent, examples in _examples(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


TRAIN = _merged(sorted((PROJECT / "data" / "nlu").glob("*.yml")))
HELD_OUT = _merged([PROJECT / "tests" / "nlu_test.yml"])
DEV = _merged([PROJECT / "tests" / "nlu_dev.yml"])
# Written independently in other shops' registers; only its aggregate scores may be read.
REALSTYLE = _merged([PROJECT / "tests" / "nlu_realstyle.yml"])


@pytest.mark.parametrize("intent", INTENTS)
def test_every_contract_intent_has_enough_examples(intent: str) -> None:
    """At least 30 training and 10 held-out examples per intent."""
    assert len(TRAIN.get(intent, [])) >= 30
    assert len(HELD_OUT.get(intent, [])) >= 10


@pytest.mark.parametrize(
    "held_out", [HELD_OUT, DEV, REALSTYLE], ids=["nlu_test", "nlu_dev", "nlu_realstyle"]
)
def test_held_out_examples_are_not_in_training(held_out: dict[str, list[str]]) -> None:
    """The held-out, dev and real-style files measure generalisation only if no example was
    trained on. The failure message gives only a count: the real-style set stays blind
    (find the training example you copied from somewhere else, not from the message)."""
    assert sum(len(examples) for examples in held_out.values()) >= 300
    train = {_plain(e) for examples in TRAIN.values() for e in examples}
    leaked = sum(_plain(e) in train for examples in held_out.values() for e in examples)
    assert leaked == 0, f"{leaked} test examples are also training examples"


def test_most_training_products_are_not_demo_catalog_products() -> None:
    """At least 80 % of product phrases in training share no head word with the catalog."""
    catalog = json.loads((ROOT / "db" / "demo" / "catalog.json").read_text())
    heads = {_plain(p["nombre"]).split()[0] for p in catalog}
    text = "\n".join(e for examples in TRAIN.values() for e in examples)
    products = {_plain(p) for p in re.findall(r"\[([^\]]+)\]\(producto\)", text)}

    def in_catalog(phrase: str) -> bool:
        word = phrase.split()[0]
        return any(w in heads for w in (word, word.rstrip("s"), word.removesuffix("es")))

    shared = sorted(p for p in products if in_catalog(p))
    assert len(products) >= 100
    assert len(shared) / len(products) <= 0.2, shared


def _entity_values(examples: dict[str, list[str]], entity: str) -> set[str]:
    text = "\n".join(e for values in examples.values() for e in values)
    return {_plain(v) for v in re.findall(rf"\[([^\]]+)\]\({entity}\)", text)}


def test_held_out_mostly_uses_product_words_the_model_never_saw() -> None:
    """The held-out score is a generalisation measure: most held-out product phrases start
    with a word that occurs in no training product phrase (shoppers also ask for common
    words, so a minority may overlap)."""
    trained_heads = {p.split()[0] for p in _entity_values(TRAIN, "producto")}
    held_out_heads = {p.split()[0] for p in _entity_values(HELD_OUT, "producto")}
    unseen = held_out_heads - trained_heads
    assert len(held_out_heads) >= 50
    assert len(unseen) / len(held_out_heads) >= 0.5, sorted(held_out_heads & trained_heads)
