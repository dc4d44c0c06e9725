"""Static checks of a conversation file against its shop folder, before any run.

    .venv/bin/python -m tests.conversations.check_data tests/conversations/dev/drogueria.yml

- the shop folder's `shop.json` parses and its catalog validates (`db.catalog_io`);
- every SKU in `expect.items` exists, and the quantities of each SKU summed over all the
  conversations of the file fit its stock (so concurrent conversations cannot exhaust it
  for each other, whatever their order); a conversation whose notes say `stock-limited`
  must expect exactly the stock and be the only one buying that SKU, and a low-stock
  product (stock 1-5) is bought by one conversation at most;
- the other split of the same file name (dev/x.yml ↔ heldout/x.yml) counts for stock and
  for client identities, since both run in one database;
- no other shop's conversation expects a cédula of a seeded demo client (the security
  tests look those up by cédula in the same database);
- ids are unique, phones are unique across every YAML file under tests/conversations, the
  shopper phones and expected client phones are valid numbers of the shop's country, and
  no two conversations of the file expect the same client cédula or phone (a returning
  client changes the checkout questions).

Prints only problems of the given file (other files are read for their phones alone).
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import phonenumbers
import yaml

from db.catalog_io import validate_records

# Not runner.HERE: importing the runner pulls in the e2e stack (and an import cycle).
HERE = Path(__file__).resolve().parent


def _phones(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(c.get("phone")) for c in data.get("conversations") or []]


def check(path: Path) -> list[str]:
    """Problems found in the conversation file at `path` (empty when all is well)."""
    problems: list[str] = []
    conversations = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
    shops = {c["shop"] for c in conversations}
    catalogs: dict[str, dict[str, dict]] = {}
    regions: dict[str, str] = {}
    for slug in shops:
        # The demo shop is the seeded one (db/demo); the others live under shops/.
        folder = HERE.parents[1] / "db" / "demo" if slug == "demo" else HERE / "shops" / slug
        shop = json.loads((folder / "shop.json").read_text(encoding="utf-8"))
        if shop["slug"] != slug:
            problems.append(f"{folder}: slug {shop['slug']!r} != {slug!r}")
        regions[slug] = shop.get("pais", "CO")
        records = json.loads((folder / "catalog.json").read_text(encoding="utf-8"))
        rows, errors = validate_records(records)
        problems.extend(f"{folder}/catalog.json: {e}" for e in errors)
        catalogs[slug] = {r.sku: {"stock": r.stock, "name": r.nombre} for r in rows}

    ids = Counter(c["id"] for c in conversations)
    problems.extend(f"duplicate id {i}" for i, n in ids.items() if n > 1)

    mine = Counter(str(c["phone"]) for c in conversations)
    problems.extend(f"phone {p} used {n} times in {path.name}" for p, n in mine.items() if n > 1)
    for other in sorted(HERE.rglob("*.yml")):
        if other.resolve() == path.resolve():
            continue
        for phone in set(_phones(other)) & set(mine):
            problems.append(f"phone {phone} is also used in {other.relative_to(HERE)}")

    # The other split of the same shops (dev/x.yml ↔ heldout/x.yml) runs in the same
    # database: stock and client identities must fit both files together.
    split = "heldout" if path.parent.name == "dev" else "dev"
    sibling_path = HERE / split / path.name
    sibling = (
        yaml.safe_load(sibling_path.read_text(encoding="utf-8"))["conversations"]
        if sibling_path.exists() and sibling_path.resolve() != path.resolve()
        else []
    )
    sibling = [c for c in sibling if c["shop"] in shops]

    # A cédula or phone seen before makes the bot offer the stored data first: keep them new.
    for key in ("cedula", "telefono"):
        seen = Counter(
            (c["shop"], str(v))
            for c in conversations + sibling
            if (v := (c["expect"].get("client") or {}).get(key)) is not None
        )
        problems.extend(f"{key} {v} expected {n} times" for (_, v), n in seen.items() if n > 1)

    # The demo shop's seeded clients are the victims of the security tests, which look them
    # up by cédula in the same database: another shop's conversation must not reuse one.
    demo_clients = json.loads((HERE.parents[1] / "db" / "demo" / "clients.json").read_text())
    demo_cedulas = {str(c.get("cedula")) for c in demo_clients}
    for c in conversations:
        cedula = str((c["expect"].get("client") or {}).get("cedula"))
        if c["shop"] != "demo" and cedula in demo_cedulas:
            problems.append(f"{c['id']}: cédula {cedula} is a demo client's")

    bought: dict[tuple[str, str], list[tuple[str, int, bool]]] = defaultdict(list)
    for c in conversations:
        cid, expect = c["id"], c["expect"]
        region = regions[c["shop"]]
        for phone in [c["phone"], (expect.get("client") or {}).get("telefono")]:
            if phone is None:
                continue
            number = phonenumbers.parse(str(phone), region)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if not phonenumbers.is_valid_number(number) or e164 != str(phone):
                problems.append(f"{cid}: phone {phone!r} is not a valid E.164 number")
        state = expect.get("order", "ninguna")
        if state not in ("cerrada", "abierta", "cancelada", "ninguna"):
            problems.append(f"{cid}: unknown order state {state!r}")
        items = expect.get("items") or {}
        if state != "ninguna" and not items:
            problems.append(f"{cid}: order {state} without items")
        limited = "stock-limited" in c.get("notes", "")
        for sku, qty in items.items():
            product = catalogs[c["shop"]].get(sku)
            if product is None:
                problems.append(f"{cid}: unknown SKU {sku}")
                continue
            if not isinstance(qty, int) or qty < 1:
                problems.append(f"{cid}: {sku} quantity {qty!r}")
                continue
            bought[(c["shop"], sku)].append((cid, qty, limited))
            if qty > product["stock"]:
                problems.append(f"{cid}: {sku} x{qty} > stock {product['stock']}")

    for c in sibling:
        for sku, qty in (c["expect"].get("items") or {}).items():
            if sku in catalogs[c["shop"]] and isinstance(qty, int):
                bought[(c["shop"], sku)].append(
                    (c["id"], qty, "stock-limited" in c.get("notes", ""))
                )

    for (slug, sku), buys in bought.items():
        stock = catalogs[slug][sku]["stock"]
        total = sum(q for _, q, _ in buys)
        if total > stock:
            who = ", ".join(f"{cid} x{q}" for cid, q, _ in buys)
            problems.append(f"{sku}: {total} over all conversations > stock {stock} ({who})")
        if any(limited for _, _, limited in buys) and (len(buys) > 1 or total != stock):
            problems.append(f"{sku}: a stock-limited purchase must be the only one, of all stock")
        if stock <= 5 and len(buys) > 1:
            problems.append(f"{sku}: low stock ({stock}) bought by {len(buys)} conversations")
    return problems


def main(argv: list[str]) -> int:
    status = 0
    if not argv:
        print(__doc__)
        return 2
    for arg in argv:
        problems = check(Path(arg))
        for p in problems:
            print(f"{arg}: {p}")
        if not problems:
            print(f"{arg}: ok")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
