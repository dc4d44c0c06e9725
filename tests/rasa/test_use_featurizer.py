"""The Rasa dense featurizer component (rasa_project/components/use_featurizer.py).

Rasa runs only in its own venv (Python 3.10), so the check runs there in a subprocess: the
component adds one 512-d sentence feature to each message text (none to text-less turns), no
sequence feature, and its training-cache fingerprint follows its source code.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.rasa.conftest import ROOT

RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = r"""
import json, warnings
warnings.filterwarnings("ignore")
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from components.use_featurizer import UseSentenceFeaturizer

config = UseSentenceFeaturizer.get_default_config()
featurizer = UseSentenceFeaturizer(config, "use")
train = [Message(data={"text": "Cotización de 30 cajas"}), Message(data={"intent": "saludar"})]
featurizer.process_training_data(TrainingData(train))
incoming = featurizer.process([Message(data={"text": "cotizacion de 30 cajas"})])
seq, sent = incoming[0].get_dense_features("text")
print(json.dumps({
    "train": [[(f.type, list(f.features.shape), f.origin) for f in m.features] for m in train],
    "sequence": seq is not None,
    "sentence_shape": list(sent.features.shape),
    "same": bool(abs(sent.features - train[0].features[0].features).max() < 1e-5),
    "fingerprint": UseSentenceFeaturizer.fingerprint_addon(config),
}))
"""


@pytest.fixture(scope="module")
def result() -> dict:
    if not RASA_PY.exists():
        if os.environ.get("CI"):
            pytest.fail("the Rasa venv is required in CI (make rasa-venv)")
        pytest.skip("Rasa venv missing (make rasa-venv)")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(RASA_PY), "-c", SCRIPT],
        cwd=ROOT / "rasa_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    parsed: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def test_each_text_gets_one_sentence_feature_and_no_sequence_feature(result: dict) -> None:
    assert result["train"] == [[["sentence", [1, 512], "use"]], []]
    assert result["sequence"] is False
    assert result["sentence_shape"] == [1, 512]


def test_training_and_inference_agree_up_to_accents_and_case(result: dict) -> None:
    assert result["same"] is True


def test_fingerprint_is_a_hash_of_the_source(result: dict) -> None:
    assert len(result["fingerprint"]) == 64
    int(result["fingerprint"], 16)
