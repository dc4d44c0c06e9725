"""Rasa component that cleans DIET's entities (rules in ``entity_rules.py``).

Placed right after DIETClassifier. It learns from the training data which entities each
intent is annotated with, and at prediction time:
- drops entities the predicted intent never has in training (a `cantidad` in "eres un
  robot?", a `producto` in "cancela todo, me quedé sin plata");
- joins split product phrases, grows them over neighbouring product words (learned as
  well), trims leading articles/prepositions, drops lone function words, labels exact
  e-mail addresses `email` (see ``entity_rules.tidy_entities``).
The entities keep DIET as their extractor, so ``rasa test nlu`` scores what the actions
receive. A new entity only needs annotated examples of its intents: nothing to configure.
"""

# Rasa 3.6 (Python 3.10) validates graph-component signatures against typing.List/Dict/Text,
# so this module keeps Rasa's own annotation style.
# ruff: noqa: UP006, UP019, UP035, UP037, UP045

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.entity_rules import entities_by_intent, tidy_entities, word_roles

logger = logging.getLogger(__name__)
FILENAME = "entity_cleanup.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class EntityCleanup(GraphComponent):
    """Post-processes DIET's entities: only plausible entities, one per product phrase."""

    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        allowed: Optional[Dict[Text, List[Text]]] = None,
        roles: Optional[Dict[Text, List[int]]] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.allowed = allowed
        self.roles = roles

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Rasa's training cache must not reuse a component trained by older rule code."""
        here = Path(__file__).resolve().parent
        sources = [here / "entity_cleanup.py", here / "entity_rules.py"]
        return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EntityCleanup":
        """Create an untrained component."""
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn which entities each intent has, and which words are product words."""
        # Story turns carry an intent but no text: only NLU examples count.
        examples = [ex for ex in training_data.training_examples if ex.get(INTENT) and ex.get(TEXT)]
        self.allowed = entities_by_intent(
            (ex.get(INTENT), ex.get(ENTITIES) or []) for ex in examples
        )
        self.roles = word_roles((ex.get(TEXT), ex.get(ENTITIES) or []) for ex in examples)
        tables = {"entities_by_intent": self.allowed, "word_roles": self.roles}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILENAME).write_text(json.dumps(tables, sort_keys=True))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EntityCleanup":
        """Load the trained component."""
        tables: Dict[Text, Any] = {}
        try:
            with model_storage.read_from(resource) as directory:
                tables = json.loads((directory / FILENAME).read_text())
        except (ValueError, FileNotFoundError):
            logger.warning("EntityCleanup: no trained tables, only the fixed rules apply")
        return cls(
            model_storage, resource, tables.get("entities_by_intent"), tables.get("word_roles")
        )

    def process(self, messages: List[Message]) -> List[Message]:
        """Clean each message's entities."""
        for message in messages:
            entities = message.get(ENTITIES, [])
            if not entities:
                continue
            intent = (message.get(INTENT) or {}).get("name")
            cleaned = tidy_entities(
                message.get(TEXT, ""), entities, intent, self.allowed, self.roles
            )
            message.set(ENTITIES, cleaned, add_to_output=True)
        return messages
