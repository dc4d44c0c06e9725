"""Join the pieces of a product phrase that DIET tagged as two entities.

DIET tags tokens one by one (IO tags), and the "de"/"para" inside an unseen product phrase
("compresor de aire", "espejos para moto") is sometimes left out, which splits the phrase
or cuts it after the preposition. This component, placed right after DIETClassifier, joins
``producto`` pieces separated only by such a word and completes a phrase that ends with
one by the word after it. The joined entity keeps DIET as its extractor, so
``rasa test nlu`` scores what the actions actually receive.
"""

# Rasa 3.6 (Python 3.10) validates graph-component signatures against typing.List/Dict/Text,
# so this module keeps Rasa's own annotation style.
# ruff: noqa: UP006, UP019, UP035, UP037

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LINKS = {"de", "del", "para", "con", "de la", "de las", "de los"}
NOT_CONTINUATIONS = {"un", "una", "unos", "unas", "el", "la", "los", "las", "mi", "mis"}
PRODUCT = "producto"


def _join(text: str, first: Dict[Text, Any], second: Dict[Text, Any]) -> Dict[Text, Any]:
    joined = dict(first)
    joined["end"] = second["end"]
    joined["value"] = text[first["start"] : second["end"]]
    scores = [e["confidence_entity"] for e in (first, second) if "confidence_entity" in e]
    if scores:
        joined["confidence_entity"] = min(scores)
    return joined


def join_product_pieces(text: str, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Entities with split ``producto`` phrases joined (other entities untouched)."""
    ordered = sorted(entities, key=lambda e: e.get("start", 0))
    result: List[Dict[Text, Any]] = []
    for entity in ordered:
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.get("entity") == PRODUCT
            and entity.get("entity") == PRODUCT
            and text[previous["end"] : entity["start"]].strip().lower() in LINKS
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ProductPhraseJoiner(GraphComponent):
    """Post-processes DIET's entities: one ``producto`` entity per product phrase."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ProductPhraseJoiner":
        """Create the component (it has no configuration and learns nothing)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Join split product phrases in each message's entities."""
        for message in messages:
            entities = message.get(ENTITIES, [])
            if entities:
                joined = join_product_pieces(message.get(TEXT, ""), entities)
                message.set(ENTITIES, joined, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is annotated by hand: nothing to do."""
        return training_data
