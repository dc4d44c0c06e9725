"""Command line for catalog search indexes.

    python -m actions.search build demo            # full rebuild, progress bar > 1000 products
    python -m actions.search refresh demo          # re-embed only what changed
    python -m actions.search query demo "zapatos para correr" -k 5

The database is `DATABASE_URL` (environment or `.env`), as for every Tendero service; the
index settings are the `SEARCH_*` variables and `INDEX_DIR` (`SearchSettings`, shared with
the action server).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy import func, select

from actions.search.service import CatalogSearch, build_catalog_search
from db.models import Product, Shop
from db.session import make_engine, make_session_factory
from db.settings import get_db_settings

PROGRESS_MIN_PRODUCTS = 1000

app = typer.Typer(help="Catalog search indexes.", no_args_is_help=True, add_completion=False)
console = Console()


def _open(slug: str) -> tuple[CatalogSearch, int, int]:
    factory = make_session_factory(make_engine(get_db_settings().url))
    with factory() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == slug))
        if shop_id is None:
            console.print(f"[red]unknown shop {slug!r}[/]")
            raise typer.Exit(2)
        count = session.scalar(
            select(func.count(Product.id)).where(Product.shop_id == shop_id, Product.active)
        )
    return build_catalog_search(factory), shop_id, int(count or 0)


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress callback for big catalogs, None for small ones."""
    if total < PROGRESS_MIN_PRODUCTS:
        yield None
        return
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("embedding products", total=total)
        yield lambda done, n: bar.update(task, completed=done, total=n)


@app.command()
def build(shop: Annotated[str, typer.Argument(help="shop slug")]) -> None:
    """Rebuild a shop's index from scratch."""
    search, shop_id, count = _open(shop)
    with progress_bar(count) as progress:
        indexed = search.build(shop_id, progress)
    console.print(f"{shop}: {indexed} products indexed with {search.embedder.name}")


@app.command()
def refresh(shop: Annotated[str, typer.Argument(help="shop slug")]) -> None:
    """Bring a shop's index up to date, re-embedding only changed products."""
    search, shop_id, count = _open(shop)
    with progress_bar(count) as progress:
        changed = search.refresh(shop_id, progress)
    console.print(f"{shop}: {changed} products re-embedded or dropped")


@app.command()
def query(
    shop: Annotated[str, typer.Argument(help="shop slug")],
    text: Annotated[str, typer.Argument(help="what a shopper would write")],
    k: Annotated[int, typer.Option("-k", help="results")] = 5,
) -> None:
    """Show the top products for a query."""
    search, shop_id, _ = _open(shop)
    hits = search.search(shop_id, text, k)
    with search.session_factory() as session:
        names = dict(
            session.execute(
                select(Product.id, Product.name).where(Product.id.in_([h.product_id for h in hits]))
            ).all()
        )
    for hit in hits:
        name = escape(names.get(hit.product_id, "?"))
        console.print(f"{hit.score:.3f} \\[{hit.source}] {hit.product_id} {name}")


if __name__ == "__main__":
    sys.exit(app())
