"""ShopIndex: incremental sync, hybrid search, HNSW mode, compaction and persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.search.backends import ChargramBackend
from actions.search.settings import SearchSettings
from actions.search.shop_index import ProductText, ShopIndex

CATALOG = [
    ProductText(10, "Licuadora Oster 3 velocidades 1.5 L", "Electrodomésticos", "Vaso de vidrio."),
    ProductText(11, "Tenis running hombre Velox talla 40", "Calzado", "Zapatillas para trotar."),
    ProductText(12, "Termo acero inoxidable 750 ml", "Cocina", "Botella térmica."),
    ProductText(13, "Camiseta polo algodón azul M", "Ropa", "Polo manga corta."),
    ProductText(14, "Gafas de sol polarizadas", "Accesorios", "Lentes oscuros UV400."),
]


def _settings(tmp_path: Path, **kw: object) -> SearchSettings:
    return SearchSettings(backend="chargram", index_dir=tmp_path, **kw)  # type: ignore[arg-type]


def _ids(index: ShopIndex, query: str, k: int = 3) -> list[int]:
    return [pid for pid, _ in index.search(query, k)]


def test_sync_embeds_everything_once_then_nothing(tmp_path: Path) -> None:
    index = ShopIndex(ChargramBackend(), _settings(tmp_path))
    assert index.sync(CATALOG) == 5
    assert index.sync(CATALOG) == 0
    assert _ids(index, "licuadra")[0] == 10
    assert _ids(index, "termo acero")[0] == 12


def test_changed_text_is_reembedded_and_removed_products_disappear(tmp_path: Path) -> None:
    index = ShopIndex(ChargramBackend(), _settings(tmp_path))
    index.sync(CATALOG)
    renamed = ProductText(12, "Botilito deportivo", "Deportes", "Para el gimnasio.")
    catalog = [p for p in CATALOG if p.id not in (11, 12)] + [renamed]
    assert index.sync(catalog) == 2  # one re-embedded, one dropped
    assert 11 not in _ids(index, "tenis running", k=5)
    assert 12 not in _ids(index, "termo acero", k=1)
    assert _ids(index, "botilito")[0] == 12
    assert len(index) == 4


def test_scores_are_hybrid_and_sorted(tmp_path: Path) -> None:
    index = ShopIndex(ChargramBackend(), _settings(tmp_path, semantic_weight=0.5))
    index.sync(CATALOG)
    hits = index.search("gafas sol", 5)
    assert hits[0][0] == 14
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1.0 + 1e-6


def test_save_and_load_keep_vectors_and_skip_reembedding(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    index = ShopIndex(ChargramBackend(), settings)
    index.sync(CATALOG)
    index.save(tmp_path / "7")
    loaded = ShopIndex.load(tmp_path / "7", ChargramBackend(), settings)
    assert loaded is not None and len(loaded) == 5
    assert loaded.sync(CATALOG) == 0  # only lexical postings are rebuilt from the text
    assert _ids(loaded, "licuadra")[0] == 10
    assert len(list((tmp_path / "7").glob("vectors-*.faiss"))) == 1


def test_load_rejects_missing_or_foreign_indexes(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert ShopIndex.load(tmp_path / "none", ChargramBackend(), settings) is None
    index = ShopIndex(ChargramBackend(dim=64), settings)
    index.sync(CATALOG)
    index.save(tmp_path / "1")
    assert ShopIndex.load(tmp_path / "1", ChargramBackend(dim=128), settings) is None
    (tmp_path / "1" / "meta.json").write_text("{not json")
    assert ShopIndex.load(tmp_path / "1", ChargramBackend(dim=64), settings) is None


@pytest.mark.parametrize("hnsw_threshold", [1, 10_000])
def test_updates_and_compaction_on_flat_and_hnsw(tmp_path: Path, hnsw_threshold: int) -> None:
    settings = _settings(tmp_path, hnsw_threshold=hnsw_threshold)
    index = ShopIndex(ChargramBackend(), settings)
    catalog = [
        ProductText(i, f"Producto {i} modelo {i * 7}", "General", f"Referencia {i}")
        for i in range(1, 301)
    ]
    index.sync(catalog)
    assert index.store.hnsw is (hnsw_threshold == 1)
    for round_ in range(5):  # rename every product 5 times: rows pile up, then compact
        catalog = [
            ProductText(p.id, f"{p.name} v{round_}", p.category, p.description) for p in catalog
        ]
        assert index.sync(catalog) == 300
    assert index.store.next_row < 1800  # compacted at least once
    assert len(index) == 300
    assert _ids(index, "producto 123 modelo 861", k=1) == [123]
    index.save(tmp_path / "9")
    loaded = ShopIndex.load(tmp_path / "9", ChargramBackend(), settings)
    assert loaded is not None and loaded.sync(catalog) == 0
    assert _ids(loaded, "producto 123 modelo 861", k=1) == [123]
