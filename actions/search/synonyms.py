"""Regional names of the same product (`synonyms.txt`), for retrieval and name matching.

A Peruvian shopper asks for "polos", an Argentine for "remeras", a Mexican for "playeras";
the shop's catalog says "Camiseta". The sentence encoder knows some of these, the
character n-grams none. Two uses:

- `expand(query)` appends the other names of every group the query mentions, so the
  lexical and semantic search see the shop's word too;
- `variants(word, normalize)` gives the one-word names of a word's groups, so the code
  that decides which hit a request names ("¿tienen remeras?" → the t-shirts, not "not
  sold") counts a synonym as the word itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path

from actions.search.text import fold

PATH = Path(__file__).with_name("synonyms.txt")


def parse(text: str) -> list[tuple[str, ...]]:
    """Groups of folded names, one per non-comment line (blank names dropped)."""
    groups: list[tuple[str, ...]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        names = tuple(dict.fromkeys(" ".join(fold(n).split()) for n in line.split(",")))
        names = tuple(n for n in names if n)
        if len(names) > 1:
            groups.append(names)
    return groups


@lru_cache(maxsize=1)
def groups() -> tuple[tuple[str, ...], ...]:
    """The groups of `synonyms.txt`."""
    return tuple(parse(PATH.read_text(encoding="utf-8")))


@cache
def _pattern(name: str) -> re.Pattern[str]:
    """`name` as a whole word, singular or plural ("remera", "remeras")."""
    return re.compile(rf"(?<![a-zñ0-9]){re.escape(name)}s?(?:es)?(?![a-zñ0-9])")


def _has(folded: str, name: str) -> bool:
    return _pattern(name).search(folded) is not None


def expand(query: str) -> str:
    """`query` followed by the other names of each group it mentions (nothing when none)."""
    folded = fold(query)
    extra: list[str] = []
    for group in groups():
        if any(_has(folded, name) for name in group):
            extra.extend(n for n in group if not _has(folded, n) and n not in extra)
    return f"{query} {' '.join(extra)}" if extra else query


def rewrites(query: str, limit: int = 8) -> list[str]:
    """`query` (folded) and up to `limit` copies with a mentioned name replaced by another
    of its group ("remeras negras" → "camiseta negras", "playera negras", …).

    Retrieval scores each rewrite on its own and keeps the best score per product: one
    long expanded query would dilute the similarity of every product below the relevance
    cut.
    """
    folded = fold(query)
    out = [folded]
    for group in groups():
        for name in group:
            pattern = _pattern(name)
            if pattern.search(folded):
                out += [pattern.sub(other, folded, count=1) for other in group if other != name]
                break
    return list(dict.fromkeys(out))[: limit + 1]


@lru_cache(maxsize=8)
def _variant_map(normalize: Callable[[str], str]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in groups():
        single = {normalize(n) for n in group if " " not in n and "-" not in n}
        for name in single:
            out.setdefault(name, set()).update(single)
    return {k: frozenset(v) for k, v in out.items()}


def variants(word: str, normalize: Callable[[str], str]) -> frozenset[str]:
    """`word` and its one-word synonyms, each passed through `normalize` (e.g. singular)."""
    return _variant_map(normalize).get(word, frozenset()) | {word}
