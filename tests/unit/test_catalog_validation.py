"""Catalog parsing and validation without a database: files, headers, cells, row numbers."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from db.catalog_fields import FieldError, normalize_header, parse_active, parse_whole
from db.catalog_files import read_file
from db.catalog_io import CatalogFileError, ProductRow, RowError, load_catalog, validate_records

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12900", 12900),
        ("12.900", 12900),
        ("12,900", 12900),
        ("$12.900", 12900),
        ("$ 12.900", 12900),
        ("COP 12.900", 12900),
        ("1.234.567", 1234567),
        ("12.900,00", 12900),
        ("12900.00", 12900),
        ("\u00a012 900 ", 12900),
        (12900, 12900),
        (12900.0, 12900),
        ("0", 0),
    ],
)
def test_price_accepts_colombian_spellings(text: object, expected: int) -> None:
    assert parse_whole(text, "precio") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12.5", "whole pesos"),
        ("12.900,50", "whole pesos"),
        (12.5, "whole pesos"),
        ("-500", "negative"),
        ("$-500", "negative"),
        ("abc", "not a number"),
        ("1.23.4", "not a number"),
        ("", "empty"),
        (None, "missing"),
        (True, "whole pesos"),
        ("99999999999", "too large"),
    ],
)
def test_price_rejects_cents_negatives_and_text(text: object, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        parse_whole(text, "precio")


def test_stock_has_no_currency_symbol() -> None:
    assert parse_whole("1.000", "stock") == 1000
    with pytest.raises(FieldError, match="not a number"):
        parse_whole("$5", "stock")
    with pytest.raises(FieldError, match="whole number"):
        parse_whole("2,5", "stock")


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Descripción", "descripcion"),
        (" Precio ", "precio"),
        ("CATEGORÍA", "categoria"),
        ("\ufeffSKU", "sku"),
        ("Name", "nombre"),
        ("Código", "sku"),
    ],
)
def test_headers_ignore_case_accents_and_spaces(header: str, column: str) -> None:
    assert normalize_header(header) == column


def test_active_flag_spellings() -> None:
    assert [parse_active(v) for v in ("sí", "SI", "", None, 1, True, "x")] == [True] * 7
    assert [parse_active(v) for v in ("no", "No", 0, False, "inactivo")] == [False] * 5
    with pytest.raises(FieldError, match="si or no"):
        parse_active("quizás")


def test_valid_csv_semicolons_bom_quotes_and_blank_lines() -> None:
    rows, errors = load_catalog(DATA / "valid.csv")
    assert errors == []
    assert [r.sku for r in rows] == ["CAF-001", "ARR-002", "JAB-003", "LEC-004"]
    assert rows[0] == ProductRow(
        "CAF-001", "Café molido 500 g", "Tostión media; origen Huila", "Despensa", 12900, 25
    )
    assert rows[1].descripcion == "" and rows[1].activo is True
    assert rows[2].activo is False and rows[2].stock == 0
    assert rows[3].descripcion == "Bolsa de un litro,\nlarga vida" and rows[3].precio == 3800


def test_valid_json_with_productos_key() -> None:
    rows, errors = load_catalog(DATA / "valid.json")
    assert errors == []
    assert [(r.sku, r.precio, r.stock, r.activo) for r in rows] == [
        ("PAN-001", 8900, 12, True),
        ("HUE-002", 21500, 7, True),
        ("ACE-003", 14900, 3, False),
    ]


def test_missing_columns_are_all_reported_on_the_header_row() -> None:
    rows, errors = load_catalog(DATA / "missing_columns.csv")
    assert errors == [
        RowError(1, "nombre", "required column is missing"),
        RowError(1, "precio", "required column is missing"),
        RowError(1, "stock", "required column is missing"),
    ]
    assert rows == []


def test_negative_price_and_stock_listed_per_row_and_column() -> None:
    rows, errors = load_catalog(DATA / "negative_values.csv")
    assert [(e.row, e.column) for e in errors] == [
        (3, "precio"),
        (4, "stock"),
        (5, "precio"),
        (5, "stock"),
    ]
    assert all("negative" in e.reason for e in errors)
    assert [r.sku for r in rows] == ["N-1"]


def test_every_repeated_sku_is_an_error_naming_the_first_row() -> None:
    _, errors = load_catalog(DATA / "duplicate_sku.csv")
    assert errors == [
        RowError(4, "sku", "duplicate sku 'D-1' (first in row 2)"),
        RowError(5, "sku", "duplicate sku 'D-1' (first in row 2)"),
    ]


def test_non_utf8_bytes_name_offset_and_line_and_are_not_guessed() -> None:
    with pytest.raises(CatalogFileError) as info:
        load_catalog(DATA / "non_utf8.csv")
    message = str(info.value)
    assert "not valid UTF-8 at byte offset 47 (line 3)" in message
    assert "0xf3" in message and "Save the file as UTF-8" in message


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.txt"
    text = "sku\tnombre\tprecio\tstock\nU-1\tAzúcar\t3.200\t9\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert read_file(path) == [{"sku": "U-1", "nombre": "Azúcar", "precio": "3.200", "stock": "9"}]


def test_json_row_numbers_are_list_positions_and_non_objects_are_reported() -> None:
    records: list[Any] = [
        {"sku": "A", "nombre": "a", "precio": 1, "stock": 1},
        "oops",
        {"sku": "B"},
    ]
    rows, errors = validate_records(records)
    assert [r.sku for r in rows] == ["A"]
    assert errors == [
        RowError(2, "-", "expected an object with product fields"),
        RowError(3, "nombre", "is missing"),
        RowError(3, "precio", "is missing"),
        RowError(3, "stock", "is missing"),
    ]


def test_extra_cells_short_rows_and_overlong_values(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    long_sku = "S" * 65
    path.write_text(
        f"sku,nombre,precio,stock\nA,x,1,1,sobra\nB,y\n{long_sku},z,1,1\n", encoding="utf-8"
    )
    _, errors = load_catalog(path)
    assert [(e.row, e.column) for e in errors] == [
        (2, "-"),
        (3, "precio"),
        (3, "stock"),
        (4, "sku"),
    ]
    assert "more cells than header columns" in errors[0].reason
    assert "longer than 64" in errors[3].reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ("sku,nombre,sku\n", "repeated column"),
        ("sku,,precio\n", "no header name"),
    ],
)
def test_unreadable_csv_layouts(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogFileError, match=message):
        read_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [("[{", "invalid JSON at line 1"), ('{"items": []}', "expected a list")],
)
def test_unreadable_json(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogFileError, match=message):
        read_file(path)


def test_two_headers_for_one_column_is_an_error() -> None:
    _, errors = validate_records(
        [{"precio": 1, "Precio": 2, "sku": "a", "nombre": "b", "stock": 1}]
    )
    assert RowError(0, "Precio", "same column as 'precio'") in errors


def test_imagen_is_an_optional_web_address() -> None:
    records = [
        {"sku": "A", "nombre": "Escoba", "precio": "5000", "stock": "3", "Imagen": ""},
        {
            "sku": "B",
            "nombre": "Trapero",
            "precio": "6000",
            "stock": "3",
            "Imagen": " https://cdn.x.co/b.jpg ",
        },
        {"sku": "C", "nombre": "Balde", "precio": "7000", "stock": "3", "Imagen": "foto.jpg"},
        {
            "sku": "D",
            "nombre": "Jabón",
            "precio": "7000",
            "stock": "3",
            "Imagen": "https://x.co/" + "a" * 1000,
        },
    ]
    rows, errors = validate_records(records, first_row=2)
    assert [(r.sku, r.imagen) for r in rows] == [("A", None), ("B", "https://cdn.x.co/b.jpg")]
    assert [(e.row, e.column) for e in errors] == [(4, "imagen"), (5, "imagen")]
    assert "web address" in errors[0].reason and "1000" in errors[1].reason
    assert normalize_header("URL imagen") == normalize_header("image") == "imagen"
