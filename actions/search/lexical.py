"""Typo- and accent-tolerant lexical scoring over character n-grams (numpy only).

The score of a product for a query is the IDF-weighted share of the query's n-grams that
occur in the product: 0.5 × share in the name + 0.5 × share in name, category and
description. "licuadra" shares most 3–4-grams with "licuadora", so a typo costs a little
instead of everything. Postings are kept per gram and turned into numpy arrays lazily;
removed rows are masked, not unlinked, until the index is rebuilt.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from actions.search.text import char_ngrams, content_words

NAME_SHARE = 0.5
# Grams present in more than this share of rows barely discriminate; skipping them keeps a
# query on 100k products fast.
MAX_DF_SHARE = 0.05
MIN_CAP = 1000
POSTINGS_BUDGET = 150_000


class _Field:
    """Postings of one text field: gram → rows containing it.

    New rows go to small Python lists; `freeze` (after each sync, and lazily per gram on
    read) moves them into int32 arrays, which are compact and what queries read.
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.pending: dict[str, list[int]] = defaultdict(list)

    def add(self, row: int, grams: set[str]) -> None:
        for gram in grams:
            self.pending[gram].append(row)

    def df(self, gram: str) -> int:
        arr = self.arrays.get(gram)
        return (0 if arr is None else len(arr)) + len(self.pending.get(gram, ()))

    def rows(self, gram: str) -> np.ndarray | None:
        if gram in self.pending:
            self._merge(gram)
        return self.arrays.get(gram)

    def _merge(self, gram: str) -> None:
        extra = np.asarray(self.pending.pop(gram), dtype=np.int32)
        arr = self.arrays.get(gram)
        self.arrays[gram] = extra if arr is None else np.concatenate([arr, extra])

    def freeze(self) -> None:
        for gram in list(self.pending):
            self._merge(gram)


class LexicalIndex:
    """Character n-gram index over product rows (row numbers are the caller's)."""

    def __init__(self) -> None:
        self._name = _Field()
        self._all = _Field()
        self._alive = np.zeros(0, dtype=bool)
        self.n_alive = 0
        self.n_dead = 0

    def _grow(self, row: int) -> None:
        if row >= len(self._alive):
            grown = np.zeros(max(row + 1, 2 * len(self._alive), 64), dtype=bool)
            grown[: len(self._alive)] = self._alive
            self._alive = grown

    def add(self, row: int, name: str, rest: str) -> None:
        """Index row `row` with its `name` and the rest of its text (category, description)."""
        self._grow(row)
        name_grams = set(char_ngrams(content_words(name)))
        self._name.add(row, name_grams)
        self._all.add(row, name_grams | set(char_ngrams(content_words(rest))))
        if not self._alive[row]:
            self.n_alive += 1
        self._alive[row] = True

    def freeze(self) -> None:
        """Move pending postings into arrays (call after a batch of `add`)."""
        self._name.freeze()
        self._all.freeze()

    def remove(self, row: int) -> None:
        """Stop returning `row` (its postings stay until a rebuild)."""
        if row < len(self._alive) and self._alive[row]:
            self._alive[row] = False
            self.n_alive -= 1
            self.n_dead += 1

    def _idf(self, gram: str) -> float:
        df = self._all.df(gram)
        return math.log(1.0 + (self.n_alive + 1) / (df + 1))

    def dense(self, query: str) -> np.ndarray | None:
        """Scores in [0, 1] of every row for `query` (0 for dead rows), or None if no grams.

        Grams are visited rarest first; very common ones and, past a budget of postings,
        the rest are skipped: they barely change the ranking and dominate the cost.
        """
        grams = set(char_ngrams(content_words(query)))
        if not grams or self.n_alive == 0:
            return None
        weights = sorted(((self._idf(g), g) for g in grams), reverse=True)
        total = sum(w for w, _ in weights)
        cap = max(MIN_CAP, int(MAX_DF_SHARE * self.n_alive))
        acc = np.zeros(len(self._alive), dtype=np.float32)
        budget = POSTINGS_BUDGET
        for field, share in ((self._name, NAME_SHARE), (self._all, 1.0 - NAME_SHARE)):
            for weight, gram in weights:
                rows = field.rows(gram)
                if rows is None or len(rows) > cap or len(rows) > budget:
                    continue
                budget -= len(rows)
                acc[rows] += share * weight / total  # rows are unique within a posting
        if self.n_dead:
            acc[~self._alive] = 0.0
        return acc

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (rows, scores in [0, 1]) for every live row sharing a gram with `query`."""
        acc = self.dense(query)
        if acc is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows = np.flatnonzero(acc)
        return rows, acc[rows]

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best rows for `query` (rows, scores), best first."""
        acc = self.dense(query)
        if acc is None or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return top_rows(acc, k)


def top_rows(acc: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` highest positive entries of `acc` as (rows, scores), best first."""
    rows = np.argpartition(-acc, k - 1)[:k] if len(acc) > k else np.arange(len(acc))
    rows = rows[acc[rows] > 0]
    rows = rows[np.argsort(-acc[rows], kind="stable")]
    return rows.astype(np.int64), acc[rows]
