"""`CatalogSearch`: per-shop hybrid search that keeps itself in step with the catalog.

Each shop has a `ShopIndex` in memory, persisted under `<index_dir>/<shop_id>/`. Before a
search (at most every `refresh_interval_s`), a cheap aggregate query (product count, newest
`updated_at`) tells whether the catalog moved; if it did, only products whose text changed
are re-embedded and removed or deactivated ones are dropped. Above `async_check_min`
products that check itself runs in the background.

Two locks per shop: `lock` guards the index while it is read or changed (short), and
`refresh_lock` lets one refresh run at a time. Embedding happens outside `lock`, so searches
keep answering from the current index during a refresh. Small changes are applied inline,
before the search that noticed them; big ones (a first build, an import) run in a background
thread while searches answer from the previous index, or from SQL text search (`source="sql"`)
when there is none yet.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from actions.search import synonyms
from actions.search.backends import Embedder, make_backend
from actions.search.settings import SearchSettings
from actions.search.shop_index import ProductText, ProgressFn, ShopIndex, SyncPlan
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
    refresh_lock: threading.Lock = field(default_factory=threading.Lock)
    index: ShopIndex | None = None
    stamp: tuple[Any, ...] | None = None
    checked_at: float = 0.0
    worker: threading.Thread | None = None


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
        if time.monotonic() - state.checked_at >= self.settings.refresh_interval_s:
            if state.index is not None and len(state.index) > self.settings.async_check_min:
                self._update_in_background(shop_id, state)
            else:
                try:
                    self._update(shop_id, state, wait=False)
                except Exception:
                    log.exception("search_refresh_failed", shop_id=shop_id)
        hits: list[SearchHit] | None = None
        if state.lock.acquire(timeout=self.settings.lock_timeout_s):
            try:
                if state.index is not None:
                    hits = self._ranked(state.index, cleaned, k)
            except Exception:
                log.exception("search_index_failed", shop_id=shop_id)
            finally:
                state.lock.release()
        else:
            log.warning("search_index_busy", shop_id=shop_id)
        return hits if hits is not None else self._sql(shop_id, query, k)

    @staticmethod
    def _ranked(index: ShopIndex, cleaned: str, k: int) -> list[SearchHit]:
        """The index's `k` best for `cleaned` and its regional rewrites (best score each)."""
        best: dict[int, float] = {}
        for text in synonyms.rewrites(cleaned):
            for pid, score in index.search(text, k):
                best[pid] = max(score, best.get(pid, float("-inf")))
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)[:k]
        return [SearchHit(pid, score) for pid, score in ranked]

    def refresh(self, shop_id: int, progress: ProgressFn | None = None) -> int:
        """Bring the shop's index up to date now; return products re-embedded or dropped."""
        return self._update(shop_id, self._state(shop_id), wait=True, progress=progress)

    def build(self, shop_id: int, progress: ProgressFn | None = None) -> int:
        """Rebuild the shop's index from scratch; return the number of products indexed."""
        state = self._state(shop_id)
        with state.refresh_lock:
            stamp, products = self._read(shop_id, state, force=True)
            index = ShopIndex(self.embedder, self.settings)
            self._run(shop_id, state, index, True, index.plan(products), stamp, progress)
            return len(index)

    def wait_idle(self, shop_id: int, timeout: float = 60.0) -> bool:
        """Wait until no refresh of the shop runs (background ones included); False on timeout."""
        state = self._state(shop_id)
        deadline = time.monotonic() + timeout
        while True:
            worker = state.worker
            if worker is not None and worker.is_alive():
                worker.join(max(0.0, deadline - time.monotonic()))
                if worker.is_alive():
                    return False
                continue
            if not state.refresh_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return False
            state.refresh_lock.release()
            if state.worker is None or not state.worker.is_alive():
                return True

    # ---- internals ---------------------------------------------------------------------
    def _sql(self, shop_id: int, query: str, k: int) -> list[SearchHit]:
        with self.session_factory() as session:
            return [SearchHit(pid, s, "sql") for pid, s in sql_search(session, shop_id, query, k)]

    def _read(
        self, shop_id: int, state: _ShopState, *, force: bool = False
    ) -> tuple[tuple[Any, ...], list[ProductText]]:
        """The catalog stamp, and the active products unless the stamp shows no change."""
        with self.session_factory() as session:
            stamp = catalog_stamp(session, shop_id)
            state.checked_at = time.monotonic()
            if not force and state.index is not None and stamp == state.stamp:
                return stamp, []
            return stamp, _active_products(session, shop_id)

    def _update(
        self, shop_id: int, state: _ShopState, *, wait: bool, progress: ProgressFn | None = None
    ) -> int:
        if not state.refresh_lock.acquire(blocking=wait):
            return 0  # another refresh of this shop is running
        handed_off = False
        try:
            stamp, products = self._read(shop_id, state)
            if state.index is not None and stamp == state.stamp:
                return 0
            folder = self.settings.index_dir / str(shop_id)
            index, fresh = state.index, False
            if index is None:
                index = ShopIndex.load(folder, self.embedder, self.settings)
                index, fresh = index or ShopIndex(self.embedder, self.settings), True
            plan = index.plan(products)
            if plan.reset and not fresh:  # crossing the HNSW threshold: build a new one aside
                index, fresh = ShopIndex(self.embedder, self.settings), True
                plan = index.plan(products)
            big = len(plan.changed) > self.settings.inline_max or (
                fresh and len(products) > 10 * self.settings.inline_max
            )
            if big and not wait:
                state.worker = threading.Thread(
                    target=self._run_and_release,
                    args=(shop_id, state, index, fresh, plan, stamp),
                    daemon=True,
                    name=f"search-refresh-{shop_id}",
                )
                state.worker.start()
                handed_off = True
                return 0
            return self._run(shop_id, state, index, fresh, plan, stamp, progress)
        finally:
            if not handed_off:
                state.refresh_lock.release()

    def _update_in_background(self, shop_id: int, state: _ShopState) -> None:
        """Check (and apply) catalog changes without making this search wait for them."""
        if state.worker is not None and state.worker.is_alive():
            return
        state.checked_at = time.monotonic()  # one check per interval, even while it runs

        def check() -> None:
            try:
                self._update(shop_id, state, wait=False)
            except Exception:
                log.exception("search_refresh_failed", shop_id=shop_id)

        state.worker = threading.Thread(target=check, daemon=True, name=f"search-check-{shop_id}")
        state.worker.start()

    def _run_and_release(
        self,
        shop_id: int,
        state: _ShopState,
        index: ShopIndex,
        fresh: bool,
        plan: SyncPlan,
        stamp: tuple[Any, ...],
    ) -> None:
        try:
            self._run(shop_id, state, index, fresh, plan, stamp, None)
        except Exception:
            log.exception("search_refresh_failed", shop_id=shop_id)
        finally:
            state.refresh_lock.release()

    def _run(
        self,
        shop_id: int,
        state: _ShopState,
        index: ShopIndex,
        fresh: bool,
        plan: SyncPlan,
        stamp: tuple[Any, ...],
        progress: ProgressFn | None,
    ) -> int:
        """Embed outside the index lock, then apply (or swap in a fresh index) under it."""
        started = time.perf_counter()
        vectors = index.embed(plan, progress)
        if fresh:
            index.apply(plan, vectors)
            with state.lock:
                state.index = index
        else:
            with state.lock:
                index.apply(plan, vectors)
        folder = self.settings.index_dir / str(shop_id)
        if len(plan) or not (folder / "meta.json").exists():
            index.save(folder)
        state.stamp = stamp
        log.info(
            "search_index_synced",
            shop_id=shop_id,
            products=len(plan.products),
            changed=len(plan),
            seconds=round(time.perf_counter() - started, 3),
        )
        return len(plan)


def build_catalog_search(
    session_factory: sessionmaker[Session], settings: SearchSettings | None = None
) -> CatalogSearch:
    """A `CatalogSearch` for a service or the CLI: `settings`, else `SearchSettings()` from
    the environment (`SEARCH_*`, `INDEX_DIR`).
    """
    return CatalogSearch(session_factory, settings or SearchSettings())


def catalog_stamp(session: Session, shop_id: int) -> tuple[Any, ...]:
    """What changes whenever the shop's catalog does: product count and newest `updated_at`.

    Inserts and deletes change the count; every change through the ORM, Core `update()` or
    `db.catalog_io` bumps `updated_at`. (Raw SQL that skips `updated_at` goes unnoticed until
    the next `refresh`/`build`.) An index on `products (shop_id, updated_at)` makes this a
    couple of index lookups on any catalog size.
    """
    row = session.execute(
        select(func.count(Product.id), func.max(Product.updated_at)).where(
            Product.shop_id == shop_id
        )
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
