"""Play shopper messages through the real actions, without Rasa: a quick look while fixing.

Run: `.venv/bin/python scripts/probe_actions.py < talk.txt` (or `make probe < talk.txt`).
Input: blocks separated by blank lines; a block's first line is a shop (`demo`, or a
folder of tests/conversations/shops/), every other line `<action>[:<intent>[:<entity>=<v>…]]
<message>`, with `<action>` one of

    b  action_buscar_producto      a  action_agregar_producto    q  action_quitar_producto
    v  action_ver_pedido           c  action_confirmar_pedido    g  action_guardar_datos
    e  action_estado_pedido        i  action_interpretar

(entity values take `_` for spaces: `a:comprar:producto=cocas_sin_azucar`). Each block is
one conversation: the bot's messages (with their facts) and the slots the actions set carry
over to the next line, as Rasa would pass them. Prints each reply and any FollowupAction.

What it is not: the NLU and the dialogue rules are not in the loop (you choose the action
and the intent), so a line here can behave differently from the same message in a real
conversation, where the model's entities count too — `CONVERSATION_ONLY=<id>` plays the
real thing (tests/conversations). Everything runs on a throwaway SQLite database with the
demo shop and the test shops loaded, and the default search backend.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from actions.cart import ActionAgregarProducto, ActionQuitarProducto, ActionVerPedido  # noqa: E402
from actions.catalog import ActionBuscarProducto  # noqa: E402
from actions.checkout import ActionConfirmarPedido, ActionGuardarDatos  # noqa: E402
from actions.interpret import ActionInterpretar  # noqa: E402
from actions.runtime import Runtime, set_runtime  # noqa: E402
from actions.search import SearchSettings  # noqa: E402
from actions.settings import ActionsSettings  # noqa: E402
from actions.shop import ActionEstadoPedido  # noqa: E402
from actions.turn import TurnAction  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.seed import DEMO_DIR, load_shop_dir  # noqa: E402
from db.session import make_engine, make_session_factory, session_scope  # noqa: E402
from tests.integration.actions.conftest import make_tracker  # noqa: E402

ACTIONS: dict[str, type[TurnAction]] = {
    "b": ActionBuscarProducto,
    "a": ActionAgregarProducto,
    "q": ActionQuitarProducto,
    "v": ActionVerPedido,
    "c": ActionConfirmarPedido,
    "g": ActionGuardarDatos,
    "e": ActionEstadoPedido,
    "i": ActionInterpretar,
}
SHOPS = ROOT / "tests" / "conversations" / "shops"


def play(block: list[str], slugs: dict[str, str], phone: str) -> None:
    """Play one conversation block and print it."""
    shop = block[0].strip()
    if shop not in slugs:
        print(f"unknown shop {shop!r}: one of {', '.join(sorted(slugs))}", file=sys.stderr)
        return
    events: list[dict[str, Any]] = []
    slots: dict[str, Any] = {}
    print(f"##### {shop}")
    for line in block[1:]:
        head, _, text = line.partition(" ")
        kind, *rest = head.split(":")
        if kind not in ACTIONS or not text.strip():
            print(f"skipped (not '<action> <message>'): {line!r}", file=sys.stderr)
            continue
        intent = rest[0] if rest else ""
        entities = dict(r.split("=", 1) for r in rest[1:] if "=" in r)
        user = {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}
        tracker = make_tracker(
            text,
            intent=intent,
            entities={k: v.replace("_", " ") for k, v in entities.items()},
            shop=slugs[shop],
            phone=phone,
            slots=slots,
            events=[*events, user],
        )
        dispatcher = CollectingDispatcher()
        returned = asyncio.run(ACTIONS[kind]().run(dispatcher, tracker, {}))
        events.append(user)
        print(f"> [{ACTIONS[kind].action_name}] {text}")
        for message in dispatcher.messages:
            print(
                "   ", (message.get("text") or f"({message.get('response')})").replace("\n", " | ")
            )
            custom = message.get("custom")
            events.append({"event": "bot", "text": message.get("text"), "data": {"custom": custom}})
        for event in returned:
            if event.get("event") == "slot":
                slots[event["name"]] = event["value"]
            elif event.get("event") == "followup":
                print(f"    -> followup {event.get('name')}")


def main() -> int:
    blocks = [b.strip().splitlines() for b in sys.stdin.read().strip().split("\n\n") if b.strip()]
    if not blocks:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tendero-probe-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'probe.db'}"
        engine = make_engine(url)
        upgrade(engine)
        sf = make_session_factory(engine)
        slugs: dict[str, str] = {}
        with session_scope(sf) as session:
            slugs["demo"] = load_shop_dir(session, DEMO_DIR).shop.slug
            for folder in sorted(p for p in SHOPS.iterdir() if p.is_dir()):
                slugs[folder.name] = load_shop_dir(session, folder).shop.slug
        # The catalogs do not change while probing: no re-check of the index mid-turn.
        search = SearchSettings(index_dir=workdir / "index", refresh_interval_s=3600.0)
        settings = ActionsSettings(database_url=url, search=search)
        set_runtime(Runtime(settings, engine, sf))
        try:
            for n, block in enumerate(blocks):
                play(block, slugs, phone=f"+57300{n:07d}")
        finally:
            set_runtime(None)
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
