"""The `scripts/tendero.py` CLI through typer's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from db.models import Product
from scripts.tendero import app
from tests.factories import make_product, make_shop

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"


def run(db_url: str, *args: str) -> Result:
    """Invoke the CLI with DATABASE_URL pointing at the test database."""
    env = {"DATABASE_URL": db_url, "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


def _shop(session_factory: sessionmaker[Session], slug: str = "tienda") -> int:
    with session_factory() as session:
        shop = make_shop(session, slug=slug)
        make_product(session, shop, sku="OLD-1", name="Existente", price=500, stock=5)
        session.commit()
        return shop.id


def _products(session_factory: sessionmaker[Session], shop_id: int) -> dict[str, tuple]:
    with session_factory() as session:
        query = select(Product.sku, Product.name, Product.price, Product.stock)
        rows = session.execute(query.where(Product.shop_id == shop_id)).all()
        return {sku: (name, price, stock) for sku, name, price, stock in rows}


def test_import_valid_csv_prints_report(db_url: str, session_factory: sessionmaker) -> None:
    shop_id = _shop(session_factory)
    result = run(db_url, "import-catalog", str(DATA / "valid.csv"), "--shop", "tienda")
    assert result.exit_code == 0, result.output
    assert "Imported: created 4, updated 0, unchanged 0 (4 rows, shop 'tienda'" in result.output
    products = _products(session_factory, shop_id)
    assert products["CAF-001"] == ("Café molido 500 g", 12900, 25)
    assert products["OLD-1"] == ("Existente", 500, 5)


def test_one_bad_row_among_many_imports_nothing(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    shop_id = _shop(session_factory)
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sku", "nombre", "precio", "stock"])
        writer.writerow(["OLD-1", "Cambiado", 999, 9])  # would update: must not
        for n in range(2, 3000):
            writer.writerow([f"M-{n}", f"Producto {n}", "-100" if n == 1500 else n, 1])
    result = run(db_url, "import-catalog", str(path), "--shop", "tienda")
    assert result.exit_code == 1, result.output
    assert "1 problem(s)" in result.output
    assert "│ 1501 │ precio │ '-100' is negative; must be 0 or more │" in result.output
    assert "1 bad row(s); nothing was imported." in result.output
    assert _products(session_factory, shop_id) == {"OLD-1": ("Existente", 500, 5)}


def test_every_bad_row_is_printed(db_url: str, session_factory: sessionmaker) -> None:
    _shop(session_factory)
    result = run(db_url, "import-catalog", str(DATA / "negative_values.csv"), "--shop", "tienda")
    assert result.exit_code == 1
    for line in (
        "│   3 │ precio │ '-500' is negative",
        "│   4 │ stock  │ '-2' is negative",
        "│   5 │ precio │ '-1' is negative",
        "│   5 │ stock  │ '-1' is negative",
    ):
        assert line in result.output
    assert "3 bad row(s)" in result.output

    result = run(db_url, "import-catalog", str(DATA / "duplicate_sku.csv"), "--shop", "tienda")
    assert result.exit_code == 1
    assert "│   4 │ sku    │ duplicate sku 'D-1' (first in row 2) │" in result.output
    assert "│   5 │ sku    │ duplicate sku 'D-1' (first in row 2) │" in result.output


def test_missing_columns_all_reported(db_url: str, session_factory: sessionmaker) -> None:
    shop_id = _shop(session_factory)
    result = run(db_url, "import-catalog", str(DATA / "missing_columns.csv"), "--shop", "tienda")
    assert result.exit_code == 1
    for column in ("nombre", "precio", "stock"):
        assert f"1 (header) │ {column}" in result.output
    assert "the header is row 1" in result.output
    assert set(_products(session_factory, shop_id)) == {"OLD-1"}


def test_non_utf8_file_is_rejected_with_offset(db_url: str, session_factory: sessionmaker) -> None:
    shop_id = _shop(session_factory)
    result = run(db_url, "import-catalog", str(DATA / "non_utf8.csv"), "--shop", "tienda")
    assert result.exit_code == 1
    assert "not valid UTF-8 at byte offset 47 (line 3)" in result.output
    assert "Nothing was imported." in result.output
    assert set(_products(session_factory, shop_id)) == {"OLD-1"}


def test_usage_errors_exit_2(db_url: str, session_factory: sessionmaker, tmp_path: Path) -> None:
    _shop(session_factory)
    result = run(db_url, "import-catalog", str(DATA / "valid.csv"), "--shop", "nope")
    assert result.exit_code == 2
    assert "unknown shop 'nope' (known shops: tienda)" in result.output
    assert run(db_url, "import-catalog", str(tmp_path / "absent.csv"), "--shop", "x").exit_code == 2
    assert run(db_url, "export-catalog", str(tmp_path / "o.csv"), "--shop", "nope").exit_code == 2
    assert run(db_url, "import-catalog", str(DATA / "valid.csv")).exit_code == 2  # no --shop


def test_dry_run_writes_nothing(db_url: str, session_factory: sessionmaker) -> None:
    shop_id = _shop(session_factory)
    args = ("import-catalog", str(DATA / "valid.json"), "--shop", "tienda", "--dry-run")
    result = run(db_url, *args)
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written: would have created 3, updated 0" in result.output
    assert set(_products(session_factory, shop_id)) == {"OLD-1"}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_round_trip(
    db_url: str, session_factory: sessionmaker, tmp_path: Path, fmt: str
) -> None:
    source = _shop(session_factory, "origen")
    target = _shop(session_factory, "destino")
    assert run(db_url, "import-catalog", str(DATA / "valid.csv"), "--shop", "origen").exit_code == 0
    out = tmp_path / "catalogo.txt"
    result = run(db_url, "export-catalog", str(out), "--shop", "origen", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "Exported 5 products of shop 'origen'" in result.output
    if fmt == "json":
        assert json.loads(out.read_text(encoding="utf-8"))[0]["sku"] == "ARR-002"
        out = out.rename(tmp_path / "catalogo.json")
    result = run(db_url, "import-catalog", str(out), "--shop", "destino")
    assert result.exit_code == 0, result.output
    assert "created 4, updated 0, unchanged 1" in result.output  # both shops had OLD-1
    assert _products(session_factory, target) == _products(session_factory, source)
    result = run(db_url, "import-catalog", str(out), "--shop", "origen")
    assert "created 0, updated 0, unchanged 5" in result.output


def test_large_file_shows_progress_and_shops_lists_counts(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    _shop(session_factory)
    path = tmp_path / "big.csv"
    prices = [f"{n * 1000:,}".replace(",", ".") for n in range(3000)]  # "1.234.000"
    lines = ["sku;nombre;precio;stock"]
    lines += [f"B-{n};Producto {n};{prices[n]};{n % 9}" for n in range(3000)]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run(db_url, "import-catalog", str(path), "--shop", "tienda")
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output and "3000/3000" in result.output
    assert "created 3000, updated 0, unchanged 0" in result.output

    result = run(db_url, "shops")
    assert result.exit_code == 0
    assert "tienda" in result.output and "3001" in result.output


def test_migrate_and_seed_demo_are_idempotent(db_url: str, tmp_path: Path) -> None:
    result = run(db_url, "migrate")
    assert result.exit_code == 0 and "is at revision" in result.output
    token_file = tmp_path / "var" / "demo_admin_token"
    first = run(db_url, "seed-demo", "--token-file", str(token_file))
    assert first.exit_code == 0, first.output
    token = token_file.read_text(encoding="utf-8").strip()
    assert f"Admin token: {token}" in first.output and len(token) >= 32
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    second = run(db_url, "seed-demo", "--token-file", str(token_file))
    assert second.exit_code == 0 and "already exists; nothing to do" in second.output
    assert token not in second.output


def test_migrate_creates_a_fresh_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert run(url, "migrate").exit_code == 0
    assert run(url, "shops").exit_code == 0
    unmigrated = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run(unmigrated, "shops")
    assert result.exit_code == 3 and "no such table" in result.output


def test_database_url_option_wins_over_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'opt.db'}"
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["--database-url", url, "migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert "opt.db is at revision" in result.output


def test_header_only_and_json_problems(
    db_url: str, session_factory: sessionmaker, tmp_path: Path
) -> None:
    _shop(session_factory)
    empty = tmp_path / "empty.csv"
    empty.write_text("sku,nombre,precio,stock\n", encoding="utf-8")
    result = run(db_url, "import-catalog", str(empty), "--shop", "tienda")
    assert result.exit_code == 1 and "has no product rows" in result.output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"sku": "J-1", "nombre": "x", "precio": 12.5}]), encoding="utf-8")
    result = run(db_url, "import-catalog", str(bad), "--shop", "tienda")
    assert result.exit_code == 1
    assert "│ all │ stock  │ required column is missing" in result.output
    assert "│   1 │ precio │ 12.5: prices are whole pesos" in result.output
    assert "positions in the JSON list" in result.output
