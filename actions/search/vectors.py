"""FAISS vector storage with stable row numbers, incremental add/remove and persistence.

Every embedded product version gets a new row (a FAISS label). Flat indexes
(`IndexIDMap2(IndexFlatIP)`, exact) delete rows physically; HNSW graphs cannot delete, so a
removed row is masked (tombstone) and searches over-fetch, and the owner rebuilds the graph
when too many rows are dead. Inner product on L2-normalized vectors is cosine similarity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

faiss.omp_set_num_threads(1)  # one query per message: a second thread only adds overhead


class VectorStore:
    """Vectors of one shop's products, keyed by row number."""

    def __init__(
        self,
        dim: int,
        *,
        hnsw: bool = False,
        m: int = 32,
        ef_search: int = 64,
        ef_construction: int = 40,
    ) -> None:
        self.dim = dim
        self.hnsw = hnsw
        self.index: Any
        if hnsw:
            graph = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efSearch = ef_search
            graph.hnsw.efConstruction = ef_construction
            self.index = graph
        else:
            self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.dead: set[int] = set()
        self.next_row = 0

    @property
    def size(self) -> int:
        """Rows stored in FAISS, dead ones included."""
        return int(self.index.ntotal)

    def add(self, vectors: np.ndarray) -> np.ndarray:
        """Append `vectors`; return their new row numbers."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = np.arange(self.next_row, self.next_row + len(vectors), dtype=np.int64)
        if len(vectors):
            if self.hnsw:
                self.index.add(vectors)  # HNSW labels are insertion order == rows
            else:
                self.index.add_with_ids(vectors, rows)
        self.next_row += len(vectors)
        return rows

    def remove(self, rows: list[int]) -> None:
        """Drop `rows` from future results."""
        if not rows:
            return
        if self.hnsw:
            self.dead.update(rows)
        else:
            self.index.remove_ids(np.asarray(rows, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` nearest live rows to `query` as (rows, cosine scores), best first."""
        if self.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        fetch = min(self.size, k + len(self.dead))
        scores, rows = self.index.search(query.reshape(1, -1).astype(np.float32), fetch)
        keep = [
            (r, s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0 and r not in self.dead
        ][:k]
        return (
            np.asarray([r for r, _ in keep], dtype=np.int64),
            np.asarray([s for _, s in keep], dtype=np.float32),
        )

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """Stored vectors of `rows` (all live)."""
        if len(rows) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self.index.reconstruct(int(r)) for r in rows])

    def save(self, path: Path) -> None:
        """Write the FAISS index to `path` atomically."""
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self.index, str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, *, hnsw: bool, dead: set[int], next_row: int) -> VectorStore:
        """Read an index written by `save`."""
        index = faiss.read_index(str(path))
        store = cls.__new__(cls)
        store.dim = index.d
        store.hnsw = hnsw
        store.index = index
        store.dead = set(dead)
        store.next_row = next_row
        return store
