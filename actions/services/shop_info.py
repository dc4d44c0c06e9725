"""The shop's own information (hours, address, delivery, payment) from `Shop.info`.

`Shop.info` is free-form JSON written by the shop (see `db/demo/shop.json`); only keys that
exist are answered, and the aspect asked is detected from the shopper's words.
"""

from __future__ import annotations

from typing import Any

from actions.respond import pesos
from actions.services.catalog import fold

ASPECTS: dict[str, tuple[str, ...]] = {
    "horario": (
        "horario",
        "hora",
        "abren",
        "abre",
        "cierran",
        "cierra",
        "atienden",
        "abierto",
        "domingo",
        "festivo",
        "sabado",
    ),
    "direccion": (
        "direccion",
        "donde",
        "ubicados",
        "ubicacion",
        "queda",
        "local",
        "tienda fisica",
        "llegar",
        "quedan",
    ),
    "domicilios": (
        "domicilio",
        "envio",
        "envian",
        "entrega",
        "entregan",
        "despacho",
        "llevan",
        "mandan",
        "flete",
    ),
    "medios_de_pago": (
        "pago",
        "pagar",
        "nequi",
        "daviplata",
        "tarjeta",
        "efectivo",
        "transferencia",
        "datafono",
        "contraentrega",
    ),
    "devoluciones": ("devolucion", "devolver", "cambio", "cambiar", "garantia"),
    "telefono": ("telefono", "llamar", "numero", "contacto", "celular"),
}


def detect_aspects(text: str | None) -> list[str]:
    """The info aspects a message asks about, in a stable order (empty: none detected)."""
    folded = f" {fold(text or '')} "
    return [aspect for aspect, words in ASPECTS.items() if any(w in folded for w in words)]


def _delivery_lines(info: dict[str, Any]) -> list[str]:
    delivery = info.get("domicilios")
    if isinstance(delivery, str):
        return [f"🛵 {delivery}"]
    if not isinstance(delivery, dict):
        return []
    lines = [f"🛵 {delivery['descripcion']}"] if delivery.get("descripcion") else []
    for zone in delivery.get("zonas") or []:
        parts = [str(zone.get("zona", ""))]
        if zone.get("costo") is not None:
            parts.append(pesos(int(zone["costo"])))
        if zone.get("tiempo"):
            parts.append(str(zone["tiempo"]))
        lines.append("• " + ", ".join(p for p in parts if p))
    if delivery.get("gratis_desde"):
        lines.append(f"Envío gratis desde {pesos(int(delivery['gratis_desde']))}.")
    return lines


def _payment_lines(info: dict[str, Any]) -> list[str]:
    methods = info.get("medios_de_pago") or []
    if isinstance(methods, str):
        methods = [methods]
    lines = [f"💳 Medios de pago: {', '.join(methods)}."] if methods else []
    for wallet in ("nequi", "daviplata"):
        if info.get(wallet):
            lines.append(f"{wallet.capitalize()}: {info[wallet]}")
    return lines


def info_lines(info: dict[str, Any], aspect: str) -> list[str]:
    """Text lines answering `aspect` from `info`; empty when the shop did not provide it."""
    if aspect == "domicilios":
        return _delivery_lines(info)
    if aspect == "medios_de_pago":
        return _payment_lines(info)
    value = info.get(aspect)
    if not value:
        return []
    icon = {
        "horario": "🕗 Horario",
        "direccion": "📍 Dirección",
        "telefono": "📞 Teléfono",
        "devoluciones": "🔁 Cambios y devoluciones",
    }.get(aspect, aspect)
    return [f"{icon}: {value}"]


def answer_info(
    info: dict[str, Any], text: str | None
) -> tuple[list[str], list[str], dict[str, Any]]:
    """(aspects answered, lines, facts) for a question about the shop.

    Answers the aspects detected in `text`; when none is detected (or the shop lacks them),
    every aspect the shop has. Facts carry the raw values the lines mention.
    """
    asked = detect_aspects(text)
    answered = [a for a in asked if info_lines(info, a)]
    if not answered:
        answered = [a for a in ASPECTS if info_lines(info, a)]
    lines = [line for a in answered for line in info_lines(info, a)]
    facts = {a: info[a] for a in answered if a in info}
    if "medios_de_pago" in answered:
        facts.update({w: info[w] for w in ("nequi", "daviplata") if info.get(w)})
    return answered, lines, facts
