"""Item 10: no cell of any CSV a person opens in a spreadsheet starts a formula.

An attacker controls much of what ends up in the exports: their phone or chat user id
(`usuario`), the messages they type, the name, cédula, e-mail and address they give at
checkout; a careless or hostile catalog file controls skus, names and categories. Every
cell of every export must come out defused (`'` in front of `= + - @ TAB CR`), whatever its
column, and the catalog must still survive an export → import round trip.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.catalog_io import export_products, load_catalog, upsert_products
from db.exports import write_csv
from db.models import Product
from tests.factories import make_client, make_product
from tests.integration.admin.data import Known, log_turn, make_order
from tests.integration.orchestrator.conftest import AppFactory

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = ["+1+2", "=1+1", "@A1", "-2+3", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']
KINDS = ("inventario", "clientes", "ventas", "conversaciones")


def _seed_payloads(factory: sessionmaker[Session], known: Known) -> None:
    """Put a formula in every text column an export writes, for shop A."""
    with factory() as s:
        shop = s.merge(known.shop_a)
        when = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
        for n, payload in enumerate(PAYLOADS):
            log_turn(s, shop, payload, when, channel=payload[:20], message=payload, intent=payload,
                     final_reply=payload, success=False, error_type=payload)  # fmt: skip
            product = make_product(s, shop, sku=f"{payload}{n}", name=payload,
                                   description=payload, category=payload)  # fmt: skip
            client = make_client(s, shop, cedula=f"{payload[:17]}{n}", name=payload, phone=payload,
                                 email=payload, address=payload, barrio=payload)  # fmt: skip
            make_order(s, shop, payload, "cerrada", [(product, 1)], when, client=client)
        s.commit()


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _formulas(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]


def test_no_export_cell_starts_a_formula(
    app_client: AppFactory,
    known: Known,
    auth: dict[str, str],
    session_factory: sessionmaker[Session],
) -> None:
    _seed_payloads(session_factory, known)
    with app_client() as client:
        exports = {kind: client.get(f"/admin/exports/{kind}", headers=auth).text for kind in KINDS}
    for kind, text in exports.items():
        rows = _cells(text)
        assert _formulas(rows) == [], kind
        # Defused, not dropped: each payload is still there behind its quote.
        flat = {cell for row in rows for cell in row}
        assert {"'" + p for p in PAYLOADS} & flat, kind
    usuarios = {row[1] for row in _cells(exports["conversaciones"])[1:]}
    assert {"'+1+2", "'=1+1", "'@A1"} <= usuarios


@pytest.mark.parametrize("writer", ["catalog export", "inventario export"])
def test_the_catalog_files_are_defused_and_still_round_trip(
    session: Session, known: Known, tmp_path: Path, writer: str
) -> None:
    shop, copy = known.shop_a, known.shop_b
    # TAB and CR are left out: the import strips surrounding whitespace, as it always did.
    payloads = [p for p in PAYLOADS if p[0] not in "\t\r"]
    for n, payload in enumerate(payloads):
        make_product(session, shop, sku=f"{payload}{n}", name=f"{payload} nombre",
                     description=payload, category=payload)  # fmt: skip
    session.commit()
    path = tmp_path / "catalogo.csv"
    if writer == "catalog export":
        export_products(session, shop.id, path)
    else:
        write_csv(session, shop.id, "inventario", path)
    assert _formulas(_cells(path.read_text(encoding="utf-8-sig"))) == []

    rows, errors = load_catalog(path)
    assert errors == []
    upsert_products(session, copy.id, rows)
    session.commit()

    def catalog(shop_id: int) -> set[tuple[object, ...]]:
        products = session.scalars(select(Product).where(Product.shop_id == shop_id))
        return {
            (p.sku, p.name, p.description, p.category, p.price, p.stock, p.active) for p in products
        }

    # The import strips exactly the quote the export added.
    assert catalog(shop.id) <= catalog(copy.id)
