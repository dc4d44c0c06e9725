"""Labelled-query evaluation shared by the quality test and `scripts/bench_search.py`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from actions.search.settings import ROOT

DEMO_CATALOG = ROOT / "db" / "demo" / "catalog.json"
LABELLED_QUERIES = ROOT / "bench" / "search_queries.json"


@dataclass(frozen=True)
class LabelledQuery:
    """A shopper query and the skus that count as a correct answer."""

    query: str
    skus: frozenset[str]
    kind: str


def load_queries(path: Path = LABELLED_QUERIES) -> list[LabelledQuery]:
    """Read `bench/search_queries.json`."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [
        LabelledQuery(q["query"], frozenset(q["skus"]), q.get("kind", "")) for q in doc["queries"]
    ]


def load_demo_catalog(path: Path = DEMO_CATALOG) -> list[dict[str, object]]:
    """The demo catalog rows (Spanish keys: sku, nombre, descripcion, categoria, ...)."""
    rows: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return rows


@dataclass
class RecallReport:
    """recall@k overall and per query kind, plus the misses for inspection."""

    k: int
    recall: float
    by_kind: dict[str, float]
    misses: list[tuple[str, list[str]]]


def recall_at_k(
    search_skus: Callable[[str, int], Sequence[str]], queries: Sequence[LabelledQuery], k: int = 3
) -> RecallReport:
    """Share of queries with an acceptable sku among `search_skus(query, k)`."""
    hits_by_kind: dict[str, list[bool]] = {}
    misses = []
    for q in queries:
        got = list(search_skus(q.query, k))[:k]
        hit = any(s in q.skus for s in got)
        hits_by_kind.setdefault(q.kind, []).append(hit)
        if not hit:
            misses.append((q.query, got))
    total = sum(sum(v) for v in hits_by_kind.values())
    return RecallReport(
        k=k,
        recall=total / max(1, len(queries)),
        by_kind={kind: sum(v) / len(v) for kind, v in sorted(hits_by_kind.items())},
        misses=misses,
    )
