"""Rasa component that cleans DIET's entities with the rules of ``entity_rules.py``.

Placed right after DIETClassifier: split product phrases are joined, phrases lose leading
articles/prepositions, lone function words are dropped, e-mails are labelled ``email``. The
entities keep DIET as their extractor, so ``rasa test nlu`` scores what the actions receive.
"""

# Rasa 3.6 (Python 3.10) validates graph-component signatures against typing.List/Dict/Text,
# so this module keeps Rasa's own annotation style.
# ruff: noqa: UP006, UP019, UP035, UP037

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.entity_rules import tidy_entities


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
                joined = tidy_entities(message.get(TEXT, ""), entities)
                message.set(ENTITIES, joined, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is annotated by hand: nothing to do."""
        return training_data
