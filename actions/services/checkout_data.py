"""Checkout data: validation of what the shopper types, and stored-client slot values.

Validators return the clean value or raise `InvalidField` with a polite Spanish reason, so
the form action stays a thin mapping from slots to these functions.
"""

from __future__ import annotations

import re
from typing import Any

from actions.services.catalog import fold
from db.identity import DEFAULT_REGION, is_mobile, to_e164
from db.models import Client

NO_EMAIL = "no_tiene"
_NO_EMAIL_WORDS = ("no tengo", "no uso", "ninguno", "no", "sin correo", "no tiene", "nop", "paso")
_REFUSAL = re.compile(r"\b(no|ni|sin|ningun[oa]?|nop|paso|pasa|nada|despues|tampoco)\b")
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
    words = name.split()
    return " ".join(
        w.lower()
        if 0 < i < len(words) - 1 and w.lower() in NAME_PARTICLES  # "Hernández de la Torre"
        else w
        if w.isupper() and len(w) > 1
        else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


# Words inside a full name that stay lowercase ("María de los Ángeles", "Juan del Valle").
NAME_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos"})


def clean_cedula(value: str) -> str:
    """A Colombian cédula: 6 to 10 digits; dots, spaces and dashes ignored ("71.789.456")."""
    numbers = _CEDULA.findall(str(value))
    if len(numbers) != 1 or re.search(r"[A-Za-z]\d|\d[A-Za-z]", str(value)):
        raise InvalidField("La cédula debe tener solo números, entre 6 y 10 dígitos.")
    digits = re.sub(r"\D", "", numbers[0])
    if not 6 <= len(digits) <= 10:
        raise InvalidField("La cédula debe tener entre 6 y 10 dígitos. ¿Me la revisas?")
    return digits


def clean_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """A mobile number of the shop's country (or with its own +country code), as E.164."""
    text = str(value)
    match = re.search(r"\+?\d[\d\s().-]{5,}\d", text)
    phone = to_e164(match.group() if match else text, region)
    if phone is None or not is_mobile(phone):
        raise InvalidField(
            "Ese celular no parece válido 🤔. Escríbemelo con todos sus dígitos, "
            "por ejemplo 300 123 4567."
        )
    return phone


def clean_email(value: str) -> str:
    """An email address, or `NO_EMAIL` when the shopper says they have none."""
    text = str(value).strip()
    folded = fold(text).strip(" .!")
    # "no tengo correo", "no uso email", "sin email", "ninguno 🙏": a refusal, not a typo.
    if folded in _NO_EMAIL_WORDS or ("@" not in text and _REFUSAL.search(folded)):
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


def mask_cedula(cedula: str) -> str:
    """ "1037654321" → "******4321"."""
    return "*" * max(len(cedula) - 4, 0) + cedula[-4:]


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
