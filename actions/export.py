"""`action_exportar_datos`: staff export a CSV over chat and get a signed, expiring link."""

from __future__ import annotations

import asyncio
import secrets
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.respond import say
from actions.runtime import get_runtime
from actions.services.context import UnknownShopError, is_staff, load_shop, parse_sender
from db.exports import sign_download, write_csv

log = structlog.get_logger(__name__)

ACTION = "action_exportar_datos"
SYNONYMS = {
    "inventario": "inventario",
    "productos": "inventario",
    "producto": "inventario",
    "catalogo": "inventario",
    "stock": "inventario",
    "existencias": "inventario",
    "clientes": "clientes",
    "cliente": "clientes",
    "ventas": "ventas",
    "venta": "ventas",
    "pedidos": "ventas",
    "pedido": "ventas",
    "ordenes": "ventas",
    "conversaciones": "conversaciones",
    "conversacion": "conversaciones",
    "chats": "conversaciones",
    "chat": "conversaciones",
    "mensajes": "conversaciones",
}
LABELS = {
    "inventario": "el inventario",
    "clientes": "los clientes",
    "ventas": "las ventas",
    "conversaciones": "las conversaciones",
}
ASK = "¿Qué quieres exportar: inventario, clientes, ventas o conversaciones?"
REFUSED = (
    "Lo siento, las exportaciones de datos solo están disponibles para el equipo de la tienda."
)
NO_SHOP = "Lo siento, no pude identificar la tienda. Intenta de nuevo en un momento."
FAILED = "Lo siento, no pude generar el archivo en este momento. Intenta de nuevo en un rato."


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def export_kind(tracker: Tracker) -> str | None:
    """The export asked for: the `tipo_exportacion` entity, else a known word in the message."""
    candidates = [str(v) for v in tracker.get_latest_entity_values("tipo_exportacion")]
    candidates += _plain((tracker.latest_message or {}).get("text") or "").split()
    for word in candidates:
        kind = SYNONYMS.get(_plain(word).strip(" .,;:!?¿¡\"'"))
        if kind:
            return kind
    return None


def _lifetime(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "1 hora" if hours == 1 else f"{hours} horas"
    minutes = max(1, round(seconds / 60))
    return "1 minuto" if minutes == 1 else f"{minutes} minutos"


def prune_expired(folder: Path, ttl_s: int) -> int:
    """Delete export files older than any link to them can live; return how many."""
    cutoff, removed = time.time() - ttl_s - 60, 0
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue  # another process got there first
    return removed


class ActionExportarDatos(Action):
    """Write a CSV export (inventario, clientes, ventas, conversaciones) and link to it.

    Staff numbers only; anyone else gets a polite refusal, logged as `export_refused`. The
    file goes to `<export_dir>/<shop_id>/<kind>-<timestamp>-<random>.csv`; the reply carries
    `{public_base_url}/exports/download?token=...`, signed with `SECRET_KEY`, valid for
    `export_link_ttl_s`.
    """

    def name(self) -> str:
        """The Rasa action name."""
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Export (in a worker thread) and answer with the link."""
        text, facts = await asyncio.to_thread(self.answer, tracker)
        say(dispatcher, ACTION, text, facts)
        return []

    def answer(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        """The reply text and facts for this turn (blocking database and file work)."""
        runtime = get_runtime()
        settings = runtime.settings
        sender = parse_sender(tracker.sender_id)
        with runtime.session_factory() as session:
            try:
                shop = load_shop(session, sender.shop_slug)
            except UnknownShopError:
                return NO_SHOP, {}
            if not is_staff(shop, sender.user_id):
                log.warning("export_refused", shop=shop.slug, requester=sender.user_id)
                return REFUSED, {"refused": True}
            kind = export_kind(tracker)
            if kind is None:
                return ASK, {"kinds": list(LABELS)}
            now = datetime.now(UTC)
            filename = f"{kind}-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.csv"
            folder = Path(settings.export_dir) / str(shop.id)
            try:
                rows = write_csv(session, shop.id, kind, folder / filename)
                prune_expired(folder, settings.export_link_ttl_s)
            except OSError:
                log.exception("export_failed", shop=shop.slug, kind=kind)
                return FAILED, {}
        expires_at = now + timedelta(seconds=settings.export_link_ttl_s)
        token = sign_download(settings.signing_key, shop.id, kind, filename, expires_at)
        link = f"{settings.public_base_url.rstrip('/')}/exports/download?token={token}"
        lifetime = _lifetime(settings.export_link_ttl_s)
        log.info("export_created", shop=shop.slug, requester=sender.user_id, kind=kind, rows=rows)
        text = (
            f"Listo, exporté {LABELS[kind]} ({rows} filas). Descarga el archivo aquí: {link}\n"
            f"El enlace vence en {lifetime}."
        )
        facts = {
            "link": link,
            "kind": kind,
            "rows": rows,
            "expires_at": expires_at.isoformat(timespec="seconds"),
            "expires_in": lifetime,
        }
        return text, facts
