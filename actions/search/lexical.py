"""Typo- and accent-tolerant lexical scoring over character n-grams (numpy only).

The score of a product for a query is the IDF-weighted share of the query's n-grams that
occur in the product: 0.65 × share in the name + 0.35 × share in name, category and
description. "licuadra" shares most 3–4-grams with "licuadora", so a typo costs a little
instead of everything. Postings are kept per gram and turned into numpy arrays lazily;
removed rows are masked, not unlinked, until the index is rebuilt.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from actions.search.text import char_ngrams, content_words

NAME_SHARE = 0.65
# Grams present in more than this share of rows barely discriminate; skipping them keeps a
# query on 100k products fast.
MAX_DF_SHARE = 0.2


class _Field:
    """Postings of one text field: gram → rows containing it."""

    def __init__(self) -> None:
        self.postings: dict[str, list[int]] = defaultdict(list)
        self._arrays: dict[str, np.ndarray] = {}

    def add(self, row: int, grams: set[str]) -> None:
        for gram in grams:
            self.postings[gram].append(row)
            self._arrays.pop(gram, None)

    def rows(self, gram: str) -> np.ndarray | None:
        arr = self._arrays.get(gram)
        if arr is None:
            posting = self.postings.get(gram)
            if not posting:
                return None
            arr = np.asarray(posting, dtype=np.int64)
            self._arrays[gram] = arr
        return arr


class LexicalIndex:
    """Character n-gram index over product rows (row numbers are the caller's)."""

    def __init__(self) -> None:
        self._name = _Field()
        self._all = _Field()
        self._alive = np.zeros(0, dtype=bool)
        self.n_alive = 0

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

    def remove(self, row: int) -> None:
        """Stop returning `row` (its postings stay until a rebuild)."""
        if row < len(self._alive) and self._alive[row]:
            self._alive[row] = False
            self.n_alive -= 1

    def _idf(self, gram: str) -> float:
        df = len(self._all.postings.get(gram, ()))
        return math.log(1.0 + (self.n_alive + 1) / (df + 1))

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (rows, scores in [0, 1]) for every live row sharing a gram with `query`."""
        grams = set(char_ngrams(content_words(query)))
        size = len(self._alive)
        if not grams or size == 0 or self.n_alive == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        weights = {g: self._idf(g) for g in grams}
        total = sum(weights.values())
        cap = max(2000, int(MAX_DF_SHARE * self.n_alive))
        acc = np.zeros(size, dtype=np.float32)
        for field, share in ((self._name, NAME_SHARE), (self._all, 1.0 - NAME_SHARE)):
            parts, part_weights = [], []
            for gram, weight in weights.items():
                rows = field.rows(gram)
                if rows is None or len(rows) > cap:
                    continue
                parts.append(rows)
                part_weights.append(np.full(len(rows), share * weight / total, np.float32))
            if parts:
                acc += np.bincount(
                    np.concatenate(parts), np.concatenate(part_weights), minlength=size
                ).astype(np.float32)
        acc[~self._alive] = 0.0
        rows = np.flatnonzero(acc)
        return rows, acc[rows]

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best rows for `query` (rows, scores), best first."""
        rows, scores = self.scores(query)
        if len(rows) > k:
            pick = np.argpartition(-scores, k - 1)[:k]
            rows, scores = rows[pick], scores[pick]
        order = np.argsort(-scores, kind="stable")
        return rows[order], scores[order]
