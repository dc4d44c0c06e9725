"""Spelling correction against the shop's own vocabulary.

A query word the catalog never uses ("licuadra", "microhondas", "rompecabesas") is replaced
by the catalog word one edit away (two from eleven letters: at two edits "croquetas" would
become "chaquetas"), found through shared character trigrams. Only the shop's words are
candidates, so a correction always points at something the shop sells; words already in the
vocabulary, short words and numbers stay as typed.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from actions.search.text import STOPWORDS, words

MIN_LENGTH = 6  # shorter words have too many one-edit neighbours (dolar → solar)
CANDIDATES = 30


def _trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau–Levenshtein (adjacent swaps) distance, or `limit + 1` once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class Vocabulary:
    """Folded words of a shop's product texts, with a trigram index for lookups."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._by_gram: dict[str, set[str]] = defaultdict(set)

    def add(self, text: str) -> None:
        """Learn the words of one product text."""
        for word in words(text):
            if word not in self.counts and len(word) >= MIN_LENGTH and word.isalpha():
                for gram in _trigrams(word):
                    self._by_gram[gram].add(word)
            self.counts[word] += 1

    def correct_word(self, word: str) -> str:
        """The closest catalog word to an unknown `word`, or `word` itself."""
        if word in self.counts or len(word) < MIN_LENGTH or not word.isalpha():
            return word
        shared: Counter[str] = Counter()
        for gram in _trigrams(word):
            shared.update(self._by_gram.get(gram, ()))
        limit = 1 if len(word) < 11 else 2
        best: tuple[int, int, str] | None = None
        for candidate, _ in shared.most_common(CANDIDATES):
            distance = edit_distance(word, candidate, limit)
            if distance <= limit:
                key = (distance, -self.counts[candidate], candidate)
                best = key if best is None or key < best else best
        return best[2] if best else word

    def correct(self, query: str) -> str:
        """`query` (already cleaned) with unknown words corrected."""
        return " ".join(w if w in STOPWORDS else self.correct_word(w) for w in query.split())
