"""What the security tests share: a chat as one identity, a WhatsApp turn, listening sockets."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.e2e.harness import send_whatsapp, turn_logs, wait_for

STAFF_PHONE = "+573001112233"  # the demo shop's staff number (db/demo/shop.json)
VALENTINA = {  # a demo client (db/demo/clients.json)
    "cedula": "1036654321",
    "name": "Valentina Restrepo Gómez",
    "phone": "+573104567890",
    "address": "Calle 10 # 43D-25, apto 502",
}


def whatsapp_turn(client: TestClient, sf: sessionmaker[Session], phone: str, text: str) -> Any:
    """Send a signed WhatsApp message and wait for its turn log row."""
    before = len(turn_logs(sf, phone))
    send_whatsapp(client, phone, text)
    wait_for(lambda: len(turn_logs(sf, phone)) > before)
    return turn_logs(sf, phone)[-1]


def chat(client: TestClient, user: str, text: str, shop: str = "demo", **kw: Any) -> Any:
    """POST /chat and return the response."""
    return client.post("/chat", json={"shop": shop, "user": user, "message": text, **kw})


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket LISTENing on `port` (from /proc/net/tcp{,6})."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]  # noqa: SIM115
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hexport = local.partition(":")
            if state == "0A" and int(hexport, 16) == port:
                found.add(_address(address))
    return found


def _address(hexaddr: str) -> str:
    if len(hexaddr) == 8:  # IPv4, little-endian
        return ".".join(str(int(hexaddr[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return "::1" if hexaddr == "00000000000000000000000001000000" else hexaddr
