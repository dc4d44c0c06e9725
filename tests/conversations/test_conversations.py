"""Conversation outcomes on the real stack: `conversations: P/N passed`, per shop and split.

The dev split is the one to read failures from (printed with transcripts); the held-out
split (a shop of its own, written by an independent author) is printed as a score only.
`MIN_PASS` is a ratchet: raise it as the bot improves, never lower it.

`CONVERSATION_ONLY=id1,id2` plays only those conversations (transcripts printed, floors not
checked): for looking at a few while fixing them. `CONVERSATION_REPORT_DIR=dir` writes the
reports to `dir/dev.txt` and `dir/heldout.txt`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conversations.runner import load, report, run_all

pytestmark = pytest.mark.e2e

# Measured 2026-12-02 (session 5): dev 51/65 (demo 33/37, ferreteria 18/28), held-out 19/33
# (10/19, 9/14). Session 6 (2026-12-03): that held-out split was read once as a score and
# moved to dev (`dev/*-2.yml`); a Mexican pharmacy joined dev (drogueria, 8/30 at its first
# measure); the held-out split is now a shop nobody tuned the bot on, mascotas (a Colombian
# pet shop, 30 conversations by an independent author): 11/30 at its first measure.
# End of session 6: dev 115/128 (demo 53/56, drogueria 28/30, ferreteria 34/42), held-out
# 14/30. Runs vary by about three conversations per shop, so the floors sit below that.
MIN_PASS = {"dev": 0.65, "heldout": 0.30}
# Per-(split, shop) floors that override `MIN_PASS` (a new shop before its first measure).
# Session 7 (2026-12-04): three shops by new independent authors joined both splits (a
# third of each held out): an Argentine sporting-goods shop (deportes), a Barranquilla
# phone-accessories shop (tecnologia) and a Cali minimarket (minimercado). First measure:
# dev 6/22, 6/22, 11/22; held-out 3/11, 1/11, 6/11. End of session 7: dev 161/194 (demo
# 53/56, deportes 10/22, drogueria 30/30, ferreteria 35/42, minimercado 15/22, tecnologia
# 18/22), held-out 29/63 (deportes 3/11, mascotas 14/30, minimercado 7/11, tecnologia 5/11).
# Session 8 (2026-12-04): dev 176/194 (demo 53/56, deportes 17/22, drogueria 30/30,
# ferreteria 37/42, minimercado 19/22, tecnologia 20/22), held-out 33/63 (deportes 5/11,
# mascotas 14/30, minimercado 7/11, tecnologia 7/11).
MIN_PASS_SHOP: dict[tuple[str, str], float] = {
    ("dev", "deportes"): 0.55,
    ("dev", "tecnologia"): 0.7,
    ("dev", "minimercado"): 0.65,
    ("heldout", "deportes"): 0.18,
    ("heldout", "tecnologia"): 0.36,
    ("heldout", "minimercado"): 0.36,
}


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_conversations_end_in_the_order_the_shopper_wanted(
    split: str,
    stack: Any,
    e2e_sf: sessionmaker[Session],
    conversation_shops: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    only = {x for x in os.environ.get("CONVERSATION_ONLY", "").split(",") if x}
    conversations = [c for c in load(split) if not only or c.id in only]
    if only and not conversations:
        pytest.skip(f"CONVERSATION_ONLY names no {split} conversation")
    assert conversations and {c.shop for c in conversations} <= {"demo", *conversation_shops}
    with stack(worker_concurrency=4) as client:
        outcomes = run_all(client, e2e_sf, conversations)
    show = split == "dev" or bool(os.environ.get("SHOW_HELDOUT_FAILURES"))
    text = report(split, outcomes, show_failures=show)
    with capsys.disabled():
        print("\n" + text)
    reports = os.environ.get("CONVERSATION_REPORT_DIR")
    if reports:
        os.makedirs(reports, exist_ok=True)
        with open(os.path.join(reports, f"{split}.txt"), "w", encoding="utf-8") as out:
            out.write(text + "\n")
    if only:  # a designer's quick look at a few conversations: no floors
        return
    for shop in {o.conversation.shop for o in outcomes}:
        mine = [o for o in outcomes if o.conversation.shop == shop]
        rate = sum(o.passed for o in mine) / len(mine)
        floor = MIN_PASS_SHOP.get((split, shop), MIN_PASS[split])
        assert rate >= floor, f"{split}/{shop}: {rate:.0%} < {floor:.0%}"
