"""Tendero's operations CLI: migrate, seed the demo shop, create and change shops,
import/export catalogs, list shops.

    python scripts/tendero.py --help
    python scripts/tendero.py shop create tienda.yaml
    python scripts/tendero.py import-catalog catalogo.csv --shop demo [--dry-run]

The database is `--database-url`, else `DATABASE_URL` (environment or `.env`), else the
SQLite file under `var/`. Exit codes: 0 ok, 1 invalid catalog (nothing imported),
2 usage error, unknown shop or invalid shop file (nothing written), 3 database unreachable
or not migrated.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python scripts/tendero.py`
    sys.path.insert(0, str(ROOT))

import typer  # noqa: E402
import yaml  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from db.catalog_files import detect_format, first_data_row  # noqa: E402
from db.catalog_io import (  # noqa: E402
    CatalogFileError,
    RowError,
    export_products,
    load_catalog,
    upsert_products,
)
from db.models import Product, Shop  # noqa: E402
from db.session import make_engine, make_session_factory, session_scope  # noqa: E402
from db.settings import DBSettings, normalize_url  # noqa: E402
from db.shop_config import (  # noqa: E402
    ShopConfig,
    ShopConfigError,
    file_dict_of,
    load_config,
    merged_config,
    read_file,
)
from db.shops import ShopConflict, create_shop, rotate_token, update_shop  # noqa: E402

EXIT_INVALID, EXIT_USAGE, EXIT_DATABASE = 1, 2, 3
PROGRESS_MIN_ROWS = 1000
DEFAULT_TOKEN_FILE = ROOT / "var" / "demo_admin_token"

app = typer.Typer(
    help="Tendero operations: database, demo shop and catalogs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
shop_app = typer.Typer(
    help="Create, change and show a shop from a YAML or JSON file (docs/ONBOARDING.md).",
    no_args_is_help=True,
)
app.add_typer(shop_app, name="shop")


@dataclass
class State:
    """Per-invocation settings: the database URL and the two consoles."""

    url: str
    out: Console = field(default_factory=lambda: Console(highlight=False))
    err: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))


class ExportFormat(StrEnum):
    """File formats for `export-catalog`."""

    csv = "csv"
    json = "json"


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default DATABASE_URL or var/tendero.db")
    ] = None,
) -> None:
    """Tendero operations: database, demo shop and catalogs."""
    ctx.obj = State(normalize_url(database_url) if database_url else DBSettings().url)


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    """One transaction on the configured database; database failures exit with code 3."""
    engine = make_engine(ctx.obj.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except DBAPIError as exc:
        ctx.obj.err.print(f"[red]database error:[/] {escape(str(exc.orig or exc).strip())}")
        if isinstance(exc, IntegrityError):
            hint = "Nothing was written; another process may have changed the same rows. Retry."
        else:
            hint = "Is the database reachable and migrated? Try: scripts/tendero.py migrate"
        ctx.obj.err.print(hint)
        raise typer.Exit(EXIT_DATABASE) from None
    finally:
        engine.dispose()


def _shop(ctx: typer.Context, session: Session, slug: str) -> Shop:
    shop = session.scalars(select(Shop).where(Shop.slug == slug)).one_or_none()
    if shop is None:
        known = ", ".join(session.scalars(select(Shop.slug).order_by(Shop.slug))) or "none"
        ctx.obj.err.print(f"[red]unknown shop[/] {escape(slug)!r} (known shops: {escape(known)})")
        raise typer.Exit(EXIT_USAGE)
    return shop


def _upgrade(ctx: typer.Context) -> str | None:
    from db.migrate import current_revision, upgrade

    engine = make_engine(ctx.obj.url)
    try:
        upgrade(engine)
        return current_revision(engine)
    except OperationalError as exc:
        ctx.obj.err.print(f"[red]database error:[/] {escape(str(exc.orig or exc).strip())}")
        raise typer.Exit(EXIT_DATABASE) from None
    finally:
        engine.dispose()


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Run the Alembic migrations up to head."""
    revision = _upgrade(ctx)
    safe_url = make_url(ctx.obj.url).render_as_string(hide_password=True)
    ctx.obj.out.print(f"Database {escape(safe_url)} is at revision [bold]{revision}[/]")


@app.command("seed-demo")
def seed_demo(
    ctx: typer.Context,
    token_file: Annotated[Path, typer.Option(help="Where to write the new admin token")] = (
        DEFAULT_TOKEN_FILE
    ),
) -> None:
    """Migrate, then create the demo shop unless it exists (idempotent)."""
    from db.seed import load_demo

    _upgrade(ctx)
    with _session(ctx) as session:
        result = load_demo(session)
    if not result.created or result.admin_token is None:
        ctx.obj.out.print(f"Demo shop [bold]{result.shop.slug}[/] already exists; nothing to do.")
        return
    token_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(result.admin_token + "\n")
    os.chmod(token_file, 0o600)
    ctx.obj.out.print(
        f"Created demo shop [bold]{result.shop.slug}[/]: {result.products} products, "
        f"{result.clients} clients, {result.orders} orders."
    )
    ctx.obj.out.print(f"Admin token: [bold]{result.admin_token}[/] (saved to {token_file})")


def _print_errors(out: Console, errors: list[RowError], path: Path) -> None:
    csv_file = detect_format(path) == "csv"
    header_row = first_data_row(detect_format(path)) - 1
    table = Table(title=f"{len(errors)} problem(s) in {escape(path.name)}", title_justify="left")
    table.add_column("row", justify="right")
    table.add_column("column")
    table.add_column("reason")
    for e in errors:
        row = str(e.row) if e.row != header_row else ("1 (header)" if csv_file else "all")
        table.add_row(row, escape(e.column), escape(e.reason))
    out.print(table)
    if csv_file:
        out.print("Rows are numbered as in a spreadsheet: the header is row 1.")
    else:
        out.print("Rows are positions in the JSON list, starting at 1.")
    bad_rows = len({e.row for e in errors})
    out.print(f"[red]{bad_rows} bad row(s); nothing was imported.[/]")


@app.command("import-catalog")
def import_catalog(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    shop: Annotated[str, typer.Option(help="Shop slug")],
    dry_run: Annotated[bool, typer.Option(help="Validate and count, write nothing")] = False,
) -> None:
    """Validate a CSV/JSON catalog, then upsert it by sku in one transaction."""
    started = time.perf_counter()
    try:
        with ctx.obj.out.status(f"Reading and validating {escape(file.name)}..."):
            rows, errors = load_catalog(file)
    except CatalogFileError as exc:
        ctx.obj.err.print(f"[red]error:[/] {escape(str(exc))}")
        ctx.obj.out.print("[red]Nothing was imported.[/]")
        raise typer.Exit(EXIT_INVALID) from None
    if errors:
        _print_errors(ctx.obj.out, errors, file)
        raise typer.Exit(EXIT_INVALID)
    if not rows:
        ctx.obj.err.print(
            f"[red]error:[/] {escape(str(file))} has no product rows; nothing imported."
        )
        raise typer.Exit(EXIT_INVALID)

    with _session(ctx) as session:
        target = _shop(ctx, session, shop)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=ctx.obj.out,
            disable=len(rows) < PROGRESS_MIN_ROWS,
        ) as bar:
            task = bar.add_task("Importing", total=len(rows))
            report = upsert_products(
                session, target.id, rows, progress=lambda done, _: bar.update(task, completed=done)
            )
        if dry_run:
            session.rollback()
    elapsed = time.perf_counter() - started
    counts = f"{report.created}, updated {report.updated}, unchanged {report.unchanged}"
    verb = "Dry run, nothing written: would have created" if dry_run else "Imported: created"
    ctx.obj.out.print(f"{verb} {counts} ({report.total} rows, shop {shop!r}, {elapsed:.1f} s)")


@app.command("export-catalog")
def export_catalog(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(dir_okay=False)],
    shop: Annotated[str, typer.Option(help="Shop slug")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="csv or json; default from the file extension"),
    ] = None,
) -> None:
    """Write a shop's catalog in the import format (round-trips through import-catalog)."""
    chosen = fmt.value if fmt else detect_format(file)
    with _session(ctx) as session:
        target = _shop(ctx, session, shop)
        count = export_products(session, target.id, file, chosen)
    ctx.obj.out.print(f"Exported {count} products of shop {target.slug!r} to {file} ({chosen})")


@app.command()
def shops(ctx: typer.Context) -> None:
    """List the shops with their product counts."""
    with _session(ctx) as session:
        counts = dict(
            session.execute(select(Product.shop_id, func.count()).group_by(Product.shop_id)).all()
        )
        table = Table("slug", "name", "whatsapp", "products")
        for s in session.scalars(select(Shop).order_by(Shop.slug)):
            table.add_row(
                escape(s.slug), escape(s.name), s.whatsapp_number, str(counts.get(s.id, 0))
            )
    ctx.obj.out.print(table)


ShopFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _config_problems(ctx: typer.Context, exc: ShopConfigError, path: Path) -> typer.Exit:
    table = Table(title=f"{len(exc.problems)} problem(s) in {escape(path.name)}")
    table.title_justify = "left"
    table.add_column("field")
    table.add_column("problem")
    for name, reason in exc.problems:
        table.add_row(escape(name), escape(reason))
    ctx.obj.err.print(table)
    ctx.obj.err.print("[red]Nothing was written.[/]")
    return typer.Exit(EXIT_USAGE)


def _refuse(ctx: typer.Context, exc: ShopConflict) -> typer.Exit:
    ctx.obj.err.print(f"[red]refused:[/] {escape(str(exc))}. Nothing was written.")
    return typer.Exit(EXIT_USAGE)


def _print_token(ctx: typer.Context, slug: str, token: str) -> None:
    ctx.obj.out.print(f"Admin token of {slug!r}: [bold]{token}[/]", soft_wrap=True)
    ctx.obj.out.print(
        "It is shown only this once (only its hash is stored): keep it somewhere safe. "
        "Log in to /admin/ui with it; `tendero shop rotate-token` makes a new one."
    )


@shop_app.command("create")
def shop_create(ctx: typer.Context, file: ShopFile) -> None:
    """Create a shop from a YAML/JSON file and print its admin token once."""
    try:
        config: ShopConfig = load_config(file)
    except ShopConfigError as exc:
        raise _config_problems(ctx, exc, file) from None
    with _session(ctx) as session:
        try:
            _, token = create_shop(session, config)
        except ShopConflict as exc:
            raise _refuse(ctx, exc) from None
    ctx.obj.out.print(f"Created shop [bold]{escape(config.slug)}[/] ({escape(config.name)}).")
    _print_token(ctx, config.slug, token)


@shop_app.command("update")
def shop_update(ctx: typer.Context, slug: str, file: ShopFile) -> None:
    """Change the fields given in a YAML/JSON file (`info` merges key by key)."""
    try:
        changes = read_file(file)
    except ShopConfigError as exc:
        raise _config_problems(ctx, exc, file) from None
    with _session(ctx) as session:
        shop = _shop(ctx, session, slug)
        try:
            changed = update_shop(session, shop, merged_config(shop, changes))
        except ShopConfigError as exc:
            raise _config_problems(ctx, exc, file) from None
        except ShopConflict as exc:
            raise _refuse(ctx, exc) from None
    what = ", ".join(changed) if changed else "nothing changed"
    ctx.obj.out.print(f"Updated shop [bold]{escape(slug)}[/]: {escape(what)}.")


@shop_app.command("show")
def shop_show(ctx: typer.Context, slug: str) -> None:
    """Print a shop as YAML (the file format; no secrets)."""
    with _session(ctx) as session:
        shop = _shop(ctx, session, slug)
        data = file_dict_of(shop)
        has_token = shop.admin_token_hash is not None
    typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), nl=False)
    typer.echo(f"# admin token: {'set' if has_token else 'none'} (only its hash is stored)")


@shop_app.command("rotate-token")
def shop_rotate_token(ctx: typer.Context, slug: str) -> None:
    """Give a shop a new admin token (printed once); the old one stops working."""
    with _session(ctx) as session:
        token = rotate_token(session, _shop(ctx, session, slug))
    _print_token(ctx, slug, token)


if __name__ == "__main__":
    app()
