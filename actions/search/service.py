"""`CatalogSearch`: per-shop hybrid search that keeps itself in step with the catalog.

Each shop has a `ShopIndex` in memory, persisted under `<index_dir>/<shop_id>/`. Before a
search, a cheap aggregate query (product count, active count, newest `updated_at`, highest
id) tells whether the catalog moved since the last check; if it did, only products whose
text changed are re-embedded and removed or deactivated ones are dropped. A shop's index is
guarded by its own lock; a search that cannot get it in time (a big rebuild is running) or
whose index fails answers from SQL text search instead, marked `source="sql"`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.search.backends import Embedder, make_backend
from actions.search.settings import SearchSettings
from actions.search.shop_index import ProductText, ProgressFn, ShopIndex
from actions.search.sql import sql_search
from actions.search.text import clean_query
from db.models import Product

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SearchHit:
    """One ranked product. Callers load name, price and stock by `product_id`."""

    product_id: int
    score: float
    source: Literal["index", "sql"] = "index"


@dataclass
class _ShopState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    index: ShopIndex | None = None
    stamp: tuple[Any, ...] | None = None
    checked_at: float = 0.0


class CatalogSearch:
    """Catalog search over every shop, built lazily per shop and refreshed incrementally.

    Args:
        session_factory: SQLAlchemy session factory of the shop database.
        settings: search settings; `SearchSettings()` from the environment when omitted.
        embedder: an embedding backend; built from `settings.backend` on first use if omitted.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: SearchSettings | None = None,
        embedder: Embedder | None = None,
    ):
        self.session_factory = session_factory
        self.settings = settings or SearchSettings()
        self._embedder = embedder
        self._shops: dict[int, _ShopState] = {}
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The embedding backend (the encoder loads on first access)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = make_backend(self.settings.backend)
            return self._embedder

    def _state(self, shop_id: int) -> _ShopState:
        with self._lock:
            return self._shops.setdefault(shop_id, _ShopState())

    # ---- public API --------------------------------------------------------------------
    def search(self, shop_id: int, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` best active products of `shop_id` for a shopper's `query`, best first."""
        cleaned = clean_query(query)
        state = self._state(shop_id)
        if not state.lock.acquire(timeout=self.settings.lock_timeout_s):
            log.warning("search_index_busy", shop_id=shop_id)
            return self._sql(shop_id, query, k)
        try:
            if time.monotonic() - state.checked_at >= self.settings.refresh_interval_s:
                self._refresh_locked(shop_id, state, None, rebuild=False)
            assert state.index is not None
            return [SearchHit(pid, score) for pid, score in state.index.search(cleaned, k)]
        except Exception:
            log.exception("search_index_failed", shop_id=shop_id)
            return self._sql(shop_id, query, k)
        finally:
            state.lock.release()

    def refresh(self, shop_id: int, progress: ProgressFn | None = None) -> int:
        """Bring the shop's index up to date now; return products re-embedded or dropped."""
        state = self._state(shop_id)
        with state.lock:
            return self._refresh_locked(shop_id, state, progress, rebuild=False)

    def build(self, shop_id: int, progress: ProgressFn | None = None) -> int:
        """Rebuild the shop's index from scratch; return the number of products indexed."""
        state = self._state(shop_id)
        with state.lock:
            self._refresh_locked(shop_id, state, progress, rebuild=True)
            assert state.index is not None
            return len(state.index)

    def sql_fallback(self, shop_id: int, query: str, k: int = 5) -> list[SearchHit]:
        """SQL text search only (what `search` answers when the index is unavailable)."""
        return self._sql(shop_id, query, k)

    # ---- internals ---------------------------------------------------------------------
    def _sql(self, shop_id: int, query: str, k: int) -> list[SearchHit]:
        with self.session_factory() as session:
            return [SearchHit(pid, s, "sql") for pid, s in sql_search(session, shop_id, query, k)]

    def _refresh_locked(
        self, shop_id: int, state: _ShopState, progress: ProgressFn | None, *, rebuild: bool
    ) -> int:
        with self.session_factory() as session:
            stamp = catalog_stamp(session, shop_id)
            state.checked_at = time.monotonic()
            if not rebuild and state.index is not None and stamp == state.stamp:
                return 0
            products = _active_products(session, shop_id)
        folder = self.settings.index_dir / str(shop_id)
        if rebuild or state.index is None:
            loaded = None if rebuild else ShopIndex.load(folder, self.embedder, self.settings)
            state.index = loaded or ShopIndex(self.embedder, self.settings)
            if loaded is None:
                state.stamp = None
        started = time.perf_counter()
        changed = state.index.sync(products, progress)
        if changed or not (folder / "meta.json").exists():
            state.index.save(folder)
        state.stamp = stamp
        log.info(
            "search_index_synced",
            shop_id=shop_id,
            products=len(products),
            changed=changed,
            seconds=round(time.perf_counter() - started, 3),
        )
        return changed


def build_catalog_search(
    session_factory: sessionmaker[Session], app_settings: Any = None
) -> CatalogSearch:
    """A `CatalogSearch` for a service: `SEARCH_*` settings from the environment, with
    `search_backend` and `index_dir` taken from the service's own settings when it has them.
    """
    overrides = {}
    if getattr(app_settings, "search_backend", None):
        overrides["backend"] = app_settings.search_backend
    if getattr(app_settings, "index_dir", None):
        overrides["index_dir"] = app_settings.index_dir
    return CatalogSearch(session_factory, SearchSettings(**overrides))


def catalog_stamp(session: Session, shop_id: int) -> tuple[Any, ...]:
    """What changes whenever the shop's catalog does: counts, newest update, highest id."""
    active = func.sum(case((Product.active.is_(True), 1), else_=0), type_=Integer)
    row = session.execute(
        select(
            func.count(Product.id), active, func.max(Product.updated_at), func.max(Product.id)
        ).where(Product.shop_id == shop_id)
    ).one()
    return tuple(row)


def _active_products(session: Session, shop_id: int) -> list[ProductText]:
    rows = session.execute(
        select(Product.id, Product.name, Product.category, Product.description)
        .where(Product.shop_id == shop_id, Product.active.is_(True))
        .order_by(Product.id)
    )
    return [
        ProductText(pid, name, category or "", description or "")
        for pid, name, category, description in rows
    ]
