"""Checkout field validation (pure functions)."""

from __future__ import annotations

import pytest

from actions.services.checkout_data import (
    NO_EMAIL,
    InvalidField,
    clean_cedula,
    clean_email,
    clean_name,
    clean_phone,
    clean_text,
    client_data,
    mask_cedula,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("josé peña", "José Peña"),
        ("MARÍA Ñúñez", "MARÍA Ñúñez"),
        ("Ana-María O'Neil", "Ana-María O'Neil"),
    ],
)
def test_names_with_accents_and_enie(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "ab", "123", "Ana 3", "@@@", "x" * 130])
def test_bad_names(raw: str) -> None:
    with pytest.raises(InvalidField):
        clean_name(raw)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("123456", "123456"),
        ("1.020.304.050", "1020304050"),
        ("CC 71789456", "71789456"),
        ("mi cédula es 71.789.456", "71789456"),
    ],
)
def test_cedula(raw: str, clean: str) -> None:
    assert clean_cedula(raw) == clean


@pytest.mark.parametrize(
    "raw", ["12345", "12345678901", "12a4567", "", "123456 o 7891011", "cc123456"]
)
def test_bad_cedula(raw: str) -> None:
    with pytest.raises(InvalidField):
        clean_cedula(raw)


@pytest.mark.parametrize("raw", ["3001234567", "+573001234567", "57 300 123 4567", "300-123-4567"])
def test_colombian_mobile(raw: str) -> None:
    assert clean_phone(raw) == "+573001234567"


@pytest.mark.parametrize("raw", ["2001234567", "300123456", "+1 300 123 4567", "+5830012345678"])
def test_bad_mobile(raw: str) -> None:
    with pytest.raises(InvalidField):
        clean_phone(raw)


@pytest.mark.parametrize(
    ("raw", "region", "clean"),
    [
        ("55 1234 5678", "MX", "+525512345678"),
        ("987 654 321", "PE", "+51987654321"),
        ("+54 9 11 2345-6789", "CO", "+5491123456789"),
        ("mi cel es 310 987 6543", "CO", "+573109876543"),
    ],
)
def test_mobile_in_the_shops_country(raw: str, region: str, clean: str) -> None:
    assert clean_phone(raw, region) == clean


def test_email() -> None:
    assert clean_email("Ana.Munoz@Correo.co") == "ana.munoz@correo.co"
    assert clean_email("mi correo es ana@correo.com.co") == "ana@correo.com.co"
    for none in ("no tengo", "No", "ninguno", "no tengo correo", "no uso email", "sin correo 🙏"):
        assert clean_email(none) == NO_EMAIL
    for bad in ("ana@", "ana@correo", "@correo.com", "ana correo.com"):
        with pytest.raises(InvalidField):
            clean_email(bad)


def test_texts_and_masks() -> None:
    assert clean_text("  Calle  10   # 43-25 ", "la dirección") == "Calle 10 # 43-25"
    with pytest.raises(InvalidField):
        clean_text(" - ", "el barrio")
    assert mask_cedula("1037654321") == "******4321"
    data = client_data({"cedula": "123456", "nombre": "Ana", "email": NO_EMAIL})
    assert data["email"] is None and data["name"] == "Ana"
