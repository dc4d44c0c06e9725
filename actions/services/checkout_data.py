"""Checkout data: validation of what the shopper types, and returning-client lookup.

Validators return the clean value or raise `InvalidField` with a polite Spanish reason, so
the form action stays a thin mapping from slots to these functions.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.services.catalog import fold
from db.models import Client

NO_EMAIL = "no_tiene"
_NO_EMAIL_WORDS = ("no tengo", "no uso", "ninguno", "no", "sin correo", "no tiene", "nop", "paso")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_NAME_PREFIX = re.compile(r"^(hola[,!]?\s+)?(me llamo|mi nombre es|soy)\s+", re.IGNORECASE)
_CEDULA = re.compile(r"(?<![A-Za-z0-9])(\d[\d .\-]*\d)(?![A-Za-z0-9])")
_NAME = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ][A-Za-zÁÉÍÓÚÜÑáéíóúüñ'. -]*$")


class InvalidField(ValueError):
    """A value the form cannot accept; the message is a Spanish reply for the shopper."""


def clean_name(value: str) -> str:
    """A person's name: letters (accents and ñ welcome), spaces, apostrophes, hyphens."""
    name = _NAME_PREFIX.sub("", " ".join(str(value).split())).strip(" .")
    if len(name) < 3 or not _NAME.match(name) or not any(ch.isalpha() for ch in name):
        raise InvalidField("Ese nombre no me cuadra 🤔. Escríbeme tu nombre completo, solo letras.")
    if len(name) > 120:
        raise InvalidField("Ese nombre es muy largo. ¿Me lo escribes más corto?")
    return " ".join(
        w if w.isupper() and len(w) > 1 else w[:1].upper() + w[1:] for w in name.split()
    )


def clean_cedula(value: str) -> str:
    """A Colombian cédula: 6 to 10 digits; dots, spaces and dashes ignored ("71.789.456")."""
    numbers = _CEDULA.findall(str(value))
    if len(numbers) != 1 or re.search(r"[A-Za-z]\d|\d[A-Za-z]", str(value)):
        raise InvalidField("La cédula debe tener solo números, entre 6 y 10 dígitos.")
    digits = re.sub(r"\D", "", numbers[0])
    if not 6 <= len(digits) <= 10:
        raise InvalidField("La cédula debe tener entre 6 y 10 dígitos. ¿Me la revisas?")
    return digits


def clean_phone(value: str) -> str:
    """A Colombian mobile: 10 digits starting with 3, optional +57; returned as +57XXXXXXXXXX."""
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 12 and digits.startswith("57"):
        digits = digits[2:]
    if len(digits) != 10 or not digits.startswith("3"):
        raise InvalidField("Ese celular no parece válido: debe tener 10 dígitos y empezar por 3.")
    return f"+57{digits}"


def clean_email(value: str) -> str:
    """An email address, or `NO_EMAIL` when the shopper says they have none."""
    text = str(value).strip()
    if fold(text).strip(" .!") in _NO_EMAIL_WORDS:
        return NO_EMAIL
    match = re.search(r"\S+@\S+", text)
    candidate = match.group().strip(".,;") if match else text
    if not _EMAIL.match(candidate):
        raise InvalidField(
            "Ese correo no parece válido (ej.: nombre@correo.com). "
            'Si no tienes, escribe "no tengo".'
        )
    return candidate.lower()


def clean_text(value: str, what: str) -> str:
    """A non-empty free text (address, barrio), whitespace collapsed."""
    text = " ".join(str(value or "").split())
    if len(text) < 3 or not any(ch.isalnum() for ch in text):
        raise InvalidField(f"Necesito {what} para el envío. ¿Me la escribes, por favor?")
    if len(text) > 250:
        raise InvalidField(f"Es muy largo. Escríbeme {what} más corta, por favor.")
    return text


def same_person(typed: str | None, stored: str | None) -> bool:
    """True when the typed name shares a word (3+ letters) with the stored one."""
    if not typed or not stored:
        return False
    words = {w for w in fold(typed).split() if len(w) >= 3}
    return bool(words & {w for w in fold(stored).split() if len(w) >= 3})


def mask_cedula(cedula: str) -> str:
    """ "1037654321" → "******4321"."""
    return "*" * max(len(cedula) - 4, 0) + cedula[-4:]


def _last10(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-10:]


def find_client(
    *, session: Session, shop_id: int, phone: str | None = None, cedula: str | None = None
) -> Client | None:
    """A stored client of the shop, by cédula first, else by WhatsApp phone."""
    if cedula:
        found = session.scalars(
            select(Client).where(Client.shop_id == shop_id, Client.cedula == cedula)
        ).one_or_none()
        if found is not None:
            return found
    tail = _last10(phone or "")
    if len(tail) < 7:
        return None
    rows = session.scalars(
        select(Client)
        .where(Client.shop_id == shop_id, Client.phone.like(f"%{tail}"))
        .order_by(Client.updated_at.desc(), Client.id.desc())
    )
    return next((c for c in rows if _last10(c.phone) == tail), None)


def client_slots(client: Client) -> dict[str, Any]:
    """Form slot values from a stored client (empty fields stay None so the form asks them)."""
    return {
        "nombre": client.name or None,
        "cedula": client.cedula,
        "telefono": client.phone or None,
        "email": client.email or NO_EMAIL,
        "direccion": client.address or None,
        "barrio": client.barrio or None,
    }


def client_data(slots: dict[str, Any]) -> dict[str, Any]:
    """`close_order` client data from the form's slots."""
    email = slots.get("email")
    return {
        "cedula": slots["cedula"],
        "name": slots.get("nombre"),
        "phone": slots.get("telefono"),
        "email": None if email in (None, NO_EMAIL) else email,
        "address": slots.get("direccion"),
        "barrio": slots.get("barrio"),
    }
