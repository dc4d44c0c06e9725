"""Catalog import/export against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.catalog_io import (
    ImportReport,
    ProductRow,
    export_products,
    load_catalog,
    upsert_products,
)
from db.models import Product
from tests.factories import make_product, make_shop

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"


def _catalog(session: Session, shop_id: int) -> list[ProductRow]:
    query = (
        select(
            Product.sku,
            Product.name,
            Product.description,
            Product.category,
            Product.price,
            Product.stock,
            Product.active,
        )
        .where(Product.shop_id == shop_id)
        .order_by(Product.sku)
    )
    return [ProductRow(*values) for values in session.execute(query)]


def _import(session: Session, shop_id: int, path: Path) -> ImportReport:
    rows, errors = load_catalog(path)
    assert errors == []
    return upsert_products(session, shop_id, rows)


@pytest.mark.parametrize("name", ["valid.csv", "valid.json"])
def test_valid_file_imports_every_row(session: Session, name: str) -> None:
    shop = make_shop(session)
    report = _import(session, shop.id, DATA / name)
    session.commit()
    rows, _ = load_catalog(DATA / name)
    assert report == ImportReport(created=len(rows), updated=0, unchanged=0)
    assert _catalog(session, shop.id) == sorted(rows, key=lambda r: r.sku)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_round_trips(session: Session, tmp_path: Path, fmt: str) -> None:
    source, target = make_shop(session), make_shop(session)
    _import(session, source.id, DATA / "valid.csv")
    make_product(session, source, sku="Z-9", name='Comillas "dobles", comas; y\nsaltos', price=0)
    session.commit()
    path = tmp_path / f"export.{fmt}"
    assert export_products(session, source.id, path, fmt) == 5  # type: ignore[arg-type]

    assert _import(session, target.id, path) == ImportReport(created=5)
    assert _import(session, source.id, path) == ImportReport(unchanged=5)
    session.commit()
    assert _catalog(session, target.id) == _catalog(session, source.id)
    assert any(not row.activo for row in _catalog(session, target.id))


def test_csv_export_is_utf8_with_bom_and_spanish_headers(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    _import(session, shop.id, DATA / "valid.csv")
    export_products(session, shop.id, tmp_path / "out.csv")
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(
        b"\xef\xbb\xbfsku,nombre,descripcion,categoria,precio,stock,activo,imagen\r\n"
    )
    assert "Café molido 500 g".encode() in raw


def test_reimport_updates_only_changed_rows(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    _import(session, shop.id, DATA / "valid.csv")
    old = session.execute(select(Product.updated_at)).scalars().first()
    assert old is not None
    session.execute(update(Product).values(updated_at=old - timedelta(days=1)))
    session.commit()
    stamps = dict(session.execute(select(Product.sku, Product.updated_at)).all())

    path = tmp_path / "edited.csv"
    export_products(session, shop.id, path)
    lines = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    lines[0]["precio"] = "13900"  # ARR-002 (sorted by sku)
    lines[2]["stock"] = "7"  # JAB-003
    lines.append({"sku": "NEW-1", "nombre": "Nuevo", "precio": "100", "stock": "1"})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)

    report = _import(session, shop.id, path)
    session.commit()
    assert report == ImportReport(created=1, updated=2, unchanged=2)
    after = dict(session.execute(select(Product.sku, Product.updated_at)).all())
    changed = {sku for sku in stamps if after[sku] != stamps[sku]}
    assert changed == {"ARR-002", "JAB-003"}
    prices = dict(session.execute(select(Product.sku, Product.price)).all())
    assert prices["ARR-002"] == 13900


def test_upsert_leaves_other_shops_and_unlisted_products_alone(session: Session) -> None:
    shop, other = make_shop(session), make_shop(session)
    make_product(session, shop, sku="KEEP", price=5)
    make_product(session, other, sku="CAF-001", name="De otra tienda", price=1)
    _import(session, shop.id, DATA / "valid.csv")
    session.commit()
    assert "KEEP" in {r.sku for r in _catalog(session, shop.id)}
    assert _catalog(session, other.id)[0].nombre == "De otra tienda"


def test_loaded_objects_see_the_update(session: Session) -> None:
    shop = make_shop(session)
    product = make_product(session, shop, sku="CAF-001", price=1)
    _import(session, shop.id, DATA / "valid.csv")
    assert product.price == 12900


def test_upsert_refuses_repeated_skus(session: Session) -> None:
    row = ProductRow("A", "a", "", "", 1, 1)
    with pytest.raises(ValueError, match="repeat a sku"):
        upsert_products(session, make_shop(session).id, [row, row])


def test_ten_megabyte_csv_imports_in_batches(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    filler = "Descripción larga del producto con tildes, ñandú y comas; " * 3
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["sku", "nombre", "descripcion", "categoria", "precio", "stock"])
        n = 0
        while fh.tell() < 10 * 1024 * 1024:
            n += 1
            writer.writerow([f"BIG-{n:06d}", f"Producto {n}", filler, f"Cat {n % 40}", n, n % 50])
    assert path.stat().st_size >= 10 * 1024 * 1024

    rows, errors = load_catalog(path)
    assert errors == [] and len(rows) == n
    calls: list[tuple[int, int]] = []
    shop = make_shop(session)
    report = upsert_products(session, shop.id, rows, progress=lambda d, t: calls.append((d, t)))
    session.commit()
    assert report == ImportReport(created=n)
    assert calls[-1] == (n, n) and len(calls) > 10
    count = session.scalar(select(func.count()).where(Product.shop_id == shop.id))
    assert count == n
    assert session.scalar(select(Product.price).where(Product.sku == "BIG-000777")) == 777


def test_imagen_round_trips_through_export_and_import(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    rows = [
        ProductRow("A-1", "Escoba", "", "Aseo", 5000, 3, True, "https://cdn.tienda.co/a.jpg"),
        ProductRow("B-2", "Trapero", "", "Aseo", 6000, 2, True, None),
    ]
    upsert_products(session, shop.id, rows)
    session.commit()
    images = {sku: url for sku, url in session.execute(select(Product.sku, Product.image_url))}
    assert images == {"A-1": "https://cdn.tienda.co/a.jpg", "B-2": None}
    for fmt in ("csv", "json"):
        path = tmp_path / f"out.{fmt}"
        export_products(session, shop.id, path, fmt=fmt)  # type: ignore[arg-type]
        again, errors = load_catalog(path)
        assert errors == [] and again == rows
        assert upsert_products(session, shop.id, again).unchanged == 2
