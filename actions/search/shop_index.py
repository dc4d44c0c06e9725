"""One shop's search index: vectors, lexical n-grams, product ↔ row maps, persistence.

`ShopIndex.sync` makes the index match a list of active products, re-embedding only those
whose text (name, category, description) changed; price and stock are not indexed, so their
changes cost nothing. `ShopIndex.search` ranks hybridly: candidates from both the vector and
the lexical retriever, each scored `w · semantic + (1 − w) · lexical`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actions.search.backends import Embedder
from actions.search.lexical import LexicalIndex, top_rows
from actions.search.settings import SearchSettings
from actions.search.spelling import Vocabulary
from actions.search.vectors import VectorStore

FORMAT = 1
ProgressFn = Callable[[int, int], None]
"""Progress callback: (products embedded so far, products to embed)."""


@dataclass(frozen=True)
class ProductText:
    """The searchable text of one active product."""

    id: int
    name: str
    category: str
    description: str

    def document(self) -> str:
        """What the sentence encoder sees."""
        return f"{self.name}. {self.category}. {self.description}"

    def digest(self) -> str:
        """Content hash: changes exactly when the indexed text changes."""
        raw = "\x1f".join((self.name, self.category, self.description)).encode()
        return hashlib.blake2b(raw, digest_size=12).hexdigest()


@dataclass
class SyncPlan:
    """Products to (re-)embed and product ids to drop; `reset` switches flat ↔ HNSW."""

    products: Sequence[ProductText]
    changed: list[ProductText]
    removed: list[int]
    reset: bool

    def __len__(self) -> int:
        return len(self.changed) + len(self.removed)


class ShopIndex:
    """Vectors and lexical postings of one shop's active products."""

    def __init__(self, embedder: Embedder, settings: SearchSettings, *, hnsw: bool = False):
        self.embedder = embedder
        self.settings = settings
        self.store = self._new_store(hnsw)
        self.lexical = LexicalIndex()
        self.vocabulary = Vocabulary()
        self.lexical_ready = True
        self.pid_row: dict[int, int] = {}
        self.row_pid: dict[int, int] = {}
        self.hashes: dict[int, str] = {}

    def _new_store(self, hnsw: bool) -> VectorStore:
        s = self.settings
        return VectorStore(
            self.embedder.dim,
            hnsw=hnsw,
            m=s.hnsw_m,
            ef_search=s.hnsw_ef_search,
            ef_construction=s.hnsw_ef_construction,
        )

    def __len__(self) -> int:
        return len(self.pid_row)

    # ---- maintenance -------------------------------------------------------------------
    def sync(self, products: Sequence[ProductText], progress: ProgressFn | None = None) -> int:
        """Make the index hold exactly `products`; return how many products were (re-)embedded
        or dropped (0: nothing to save). Equivalent to `plan`, `embed`, `apply`."""
        plan = self.plan(products)
        return self.apply(plan, self.embed(plan, progress))

    def plan(self, products: Sequence[ProductText]) -> SyncPlan:
        """What `apply` must change to hold exactly `products` (reads only)."""
        reset = (len(products) >= self.settings.hnsw_threshold) != self.store.hnsw
        if reset:
            return SyncPlan(products, list(products), [], reset=True)
        current = {p.id for p in products}
        removed = [pid for pid in self.pid_row if pid not in current]
        changed = [p for p in products if self.hashes.get(p.id) != p.digest()]
        return SyncPlan(products, changed, removed, reset=False)

    def embed(self, plan: SyncPlan, progress: ProgressFn | None = None) -> np.ndarray:
        """Vectors of the plan's changed products (no index state is touched)."""
        docs = [p.document() for p in plan.changed]
        batch = self.settings.embed_batch
        parts = [np.zeros((0, self.embedder.dim), dtype=np.float32)]
        for start in range(0, len(docs), batch):
            parts.append(self.embedder.embed(docs[start : start + batch]))
            if progress is not None:
                progress(min(start + batch, len(docs)), len(docs))
        return np.vstack(parts)

    def apply(self, plan: SyncPlan, vectors: np.ndarray) -> int:
        """Carry out `plan` with the `vectors` from `embed`; return its size."""
        if plan.reset:
            self._reset(not self.store.hnsw)
        self._drop(plan.removed)
        if not self.lexical_ready:  # just loaded from disk: postings are rebuilt from text
            for p in plan.products:
                if p.id in self.pid_row and self.hashes.get(p.id) == p.digest():
                    self._index_text(self.pid_row[p.id], p)
            self.lexical_ready = True
        self._drop([p.id for p in plan.changed if p.id in self.pid_row])
        rows = self.store.add(vectors)
        for p, row in zip(plan.changed, rows.tolist(), strict=True):
            self.pid_row[p.id], self.row_pid[row], self.hashes[p.id] = row, p.id, p.digest()
            self._index_text(row, p)
        if self.store.next_row - len(self.pid_row) > max(1000, len(self.pid_row) // 4):
            self._compact(plan.products)
        self.lexical.freeze()
        return len(plan)

    def _index_text(self, row: int, p: ProductText) -> None:
        self.lexical.add(row, p.name, f"{p.category} {p.description}")
        self.vocabulary.add(f"{p.name} {p.category} {p.description}")

    def _reset(self, hnsw: bool) -> None:
        self.store = self._new_store(hnsw)
        self.lexical = LexicalIndex()
        self.vocabulary = Vocabulary()
        self.lexical_ready = True
        self.pid_row, self.row_pid, self.hashes = {}, {}, {}

    def _drop(self, pids: list[int]) -> None:
        rows = [self.pid_row.pop(pid) for pid in pids]
        for pid, row in zip(pids, rows, strict=True):
            self.row_pid.pop(row, None)
            self.hashes.pop(pid, None)
            self.lexical.remove(row)
        self.store.remove(rows)

    def _compact(self, products: Sequence[ProductText]) -> None:
        """Renumber rows from the stored vectors, leaving out dead ones (HNSW, postings)."""
        live = [p for p in products if p.id in self.pid_row]
        vectors = self.store.vectors(np.asarray([self.pid_row[p.id] for p in live]))
        self._reset(self.store.hnsw)
        rows = self.store.add(vectors)
        for p, row in zip(live, rows.tolist(), strict=True):
            self.pid_row[p.id], self.row_pid[row], self.hashes[p.id] = row, p.id, p.digest()
            self._index_text(row, p)

    # ---- queries -----------------------------------------------------------------------
    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top `k` (product id, hybrid score) for an already cleaned `query`."""
        if not self.pid_row or not query.strip():
            return []
        query = self.vocabulary.correct(query)
        w = self.settings.semantic_weight
        n_cand = max(self.settings.candidates, k)
        qv = self.embedder.embed([query])[0]
        sem_rows, sem_scores = self.store.search(qv, n_cand)
        acc = self.lexical.dense(query)
        semantic = dict(zip(sem_rows.tolist(), sem_scores.tolist(), strict=True))
        if acc is not None:
            lex_rows, _ = top_rows(acc, n_cand)
            extra = np.asarray([r for r in lex_rows.tolist() if r not in semantic], np.int64)
            if len(extra):
                cosines = self.store.vectors(extra) @ qv
                semantic.update(zip(extra.tolist(), cosines.tolist(), strict=True))
        rows = np.fromiter(semantic, dtype=np.int64, count=len(semantic))
        if len(rows) == 0:
            return []
        sem = np.maximum(np.fromiter(semantic.values(), np.float32, len(rows)), 0.0)
        lex = acc[rows] if acc is not None else np.zeros(len(rows), np.float32)
        combined = w * sem + (1.0 - w) * lex
        order = np.argsort(-combined, kind="stable")[:k]
        return [
            (self.row_pid[int(rows[i])], float(combined[i]))
            for i in order
            if combined[i] > self.settings.min_score and int(rows[i]) in self.row_pid
        ]

    # ---- persistence -------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Persist vectors and metadata under `folder` (atomic per file)."""
        folder.mkdir(parents=True, exist_ok=True)
        vectors_file = f"vectors-{uuid.uuid4().hex[:12]}.faiss"
        self.store.save(folder / vectors_file)
        meta = {
            "format": FORMAT,
            "backend": self.embedder.name,
            "version": self.embedder.version,
            "dim": self.embedder.dim,
            "hnsw": self.store.hnsw,
            "vectors_file": vectors_file,
            "next_row": self.store.next_row,
            "dead": sorted(self.store.dead),
            "products": {str(pid): [row, self.hashes[pid]] for pid, row in self.pid_row.items()},
        }
        tmp = folder / "meta.json.tmp"
        tmp.write_text(json.dumps(meta))
        tmp.replace(folder / "meta.json")
        for old in folder.glob("vectors-*.faiss"):
            if old.name != vectors_file:
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, embedder: Embedder, settings: SearchSettings) -> ShopIndex | None:
        """Read a saved index, or None when absent, unreadable or from another backend."""
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if (meta["format"], meta["backend"], meta["version"], meta["dim"]) != (
                FORMAT,
                embedder.name,
                embedder.version,
                embedder.dim,
            ):
                return None
            store = VectorStore.load(
                folder / meta["vectors_file"],
                hnsw=meta["hnsw"],
                dead=set(meta["dead"]),
                next_row=meta["next_row"],
            )
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        index = cls(embedder, settings)
        index.store = store
        for pid_text, (row, digest) in meta["products"].items():
            pid = int(pid_text)
            index.pid_row[pid], index.row_pid[row], index.hashes[pid] = row, pid, digest
        index.lexical_ready = False
        return index
