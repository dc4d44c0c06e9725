"""Chat with the running bot in a terminal (`make chat`), through the orchestrator's `/chat`.

    .venv/bin/python scripts/chat.py [--url http://127.0.0.1:8000] [--shop demo] [--user ana]

Commands: `/nuevo` starts a new conversation (a new user id), `/salir` quits.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def new_user() -> str:
    """A random local test user (the server names it `cli:<user>`; never a phone)."""
    return f"terminal-{random.randint(100_000, 999_999)}"


def send(http: httpx.Client, shop: str, user: str, message: str) -> dict[str, Any]:
    """POST one message to `/chat`; returns the JSON answer (raises on HTTP errors)."""
    resp = http.post(
        "/chat", json={"shop": shop, "user": user, "message": message, "channel": "cli"}
    )
    resp.raise_for_status()
    return resp.json()


def show(console: Console, answer: dict[str, Any]) -> None:
    """Print the bot's replies, with the intent underneath."""
    for reply in answer.get("replies", []):
        console.print(
            Panel(
                Text(reply),
                title="Tendero",
                title_align="left",
                border_style="green" if answer.get("success") else "red",
            )
        )
    meta = f"intención: {answer.get('intent') or '—'}"
    if answer.get("error_type"):
        meta += f" · error: {answer['error_type']}"
    console.print(Text(meta, style="dim"))


def repl(
    http: httpx.Client, shop: str, user: str, console: Console, ask: Callable[[str], str]
) -> int:
    """Read messages until `/salir` or end of input; returns the exit code."""
    console.print(
        f"[bold]Tendero[/bold] · tienda [cyan]{shop}[/cyan] · usuario "
        f"[cyan]{user}[/cyan]  (/nuevo, /salir)"
    )
    while True:
        try:
            message = ask("Tú: ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if not message:
            continue
        if message == "/salir":
            return 0
        if message == "/nuevo":
            user = new_user()
            console.print(f"Nueva conversación como [cyan]{user}[/cyan]")
            continue
        try:
            show(console, send(http, shop, user, message))
        except httpx.HTTPStatusError as exc:
            console.print(f"[red]Error {exc.response.status_code}:[/red] {exc.response.text}")
        except httpx.HTTPError as exc:
            console.print(
                f"[red]No pude contactar al orquestador ({exc}). ¿Está corriendo `make run`?[/red]"
            )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chat loop (or send one `--message`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("ORCHESTRATOR_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--shop", default="demo")
    parser.add_argument("--user", default=None)
    parser.add_argument("--message", default=None, help="send one message and exit")
    args = parser.parse_args(argv)
    console = Console()
    token = os.environ.get("CHAT_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=args.url, timeout=60.0, headers=headers) as http:
        user = args.user or new_user()
        if args.message is not None:
            try:
                show(console, send(http, args.shop, user, args.message))
            except httpx.HTTPError as exc:
                console.print(f"[red]{exc}[/red]")
                return 1
            return 0
        return repl(http, args.shop, user, console, console.input)


if __name__ == "__main__":
    sys.exit(main())
