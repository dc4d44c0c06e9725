"""No reply promises what the system does not do.

Every text Tendero can send — the domain responses (`rasa_project/domain/responses.yml`)
and the string literals of `actions/` and `orchestrator/` — is scanned for "someone will
write / call / answer you" promises. Each one found must be on `BACKED`: tied to the code
path that keeps it and to a test that exercises that path (the test must exist). A new
promise fails this test until it is backed the same way.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("actions", "orchestrator")
RESPONSES = ROOT / "rasa_project" / "domain" / "responses.yml"

_WHO = r"\b(?:te|le|les)\s+(?:vuelva\s+a\s+|va\s+a\s+|van\s+a\s+)?"
_DOES = r"(?:escrib\w*|contact\w*|llam\w*|respond\w*|comunic\w*|paso|pasamos|pasar\w*|avis\w*)"
PROMISES = [
    re.compile(_WHO + _DOES),
    re.compile(r"\bpasarte\s+con\b"),
    re.compile(r"\bnos\s+(?:comunicaremos|pondremos\s+en\s+contacto|contactaremos)\b"),
    re.compile(r"\buna\s+persona\b[^.?!]{0,60}\b(?:escribira|llamara|contactara|respondera)\b"),
]


@dataclass(frozen=True)
class Backing:
    """Where a promise may appear, what keeps it, and the test that proves it."""

    source: str  # a path relative to the repository root
    snippet: str  # folded text of the promise
    kept_by: str
    test: str  # tests/<file>.py::<test function>


HANDOFF_E2E = (
    "tests/e2e/test_handoff_e2e.py::"
    "test_handoff_staff_replies_from_dashboard_and_phone_then_back_to_bot"
)
BACKED = [
    Backing(
        "orchestrator/handoff_text.py",
        "le avise al equipo de {}; {}",
        "HandoffDesk.start alerts every staff phone before the reply is sent",
        HANDOFF_E2E,
    ),
    Backing(
        "orchestrator/handoff_text.py",
        "te responden por aqui",
        "staff alert + inbox; staff replies reach the shopper (dashboard and #N)",
        HANDOFF_E2E,
    ),
    Backing(
        "orchestrator/handoff_text.py",
        "les vuelva a avisar",
        'writing "asesor" is hablar_con_humano, which starts a handoff with alerts',
        "tests/e2e/test_handoff_e2e.py::test_idle_handoff_returns_to_the_bot_with_a_message",
    ),
    Backing(
        "actions/shop.py",
        "le paso tu mensaje al equipo",
        "the orchestrator turns action_hablar_con_humano into a handoff with alerts",
        HANDOFF_E2E,
    ),
    Backing(
        "rasa_project/domain/responses.yml",
        "pasarte con una persona del equipo",
        "hablar_con_humano starts a handoff with staff alerts",
        HANDOFF_E2E,
    ),
    Backing(
        "rasa_project/domain/responses.yml",
        "te paso con una persona",
        'writing "asesor" is hablar_con_humano, which starts a handoff with alerts',
        HANDOFF_E2E,
    ),
    Backing(
        "orchestrator/turn.py",
        "ya te respondo",
        "the hold message is sent only while the turn is retried; the answer follows",
        "tests/integration/orchestrator/test_recovery.py::"
        "test_rasa_down_for_a_while_gets_one_hold_message_then_the_answer",
    ),
    # A question, not a promise: it asks for the delivery contact number. No Tendero path
    # calls the shopper; the shop's own delivery staff may. Flagged to the lead (the
    # wording lives in rasa_project/, which only the lead changes).
    Backing(
        "rasa_project/domain/responses.yml",
        "a que numero de celular te llamamos si hace falta",
        "not a promise (a question); wording owned by rasa_project/",
        "tests/unit/test_no_false_promises.py::test_every_promise_is_backed",
    ),
]


def fold(text: str) -> str:
    """Lower case without accents, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).split())


def _response_texts() -> list[tuple[str, str]]:
    data = yaml.safe_load(RESPONSES.read_text(encoding="utf-8")) or {}
    out = []
    for variants in (data.get("responses") or {}).values():
        for variant in variants or []:
            if isinstance(variant, dict) and isinstance(variant.get("text"), str):
                out.append(("rasa_project/domain/responses.yml", variant["text"]))
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _python_texts() -> list[tuple[str, str]]:
    out = []
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = _docstrings(tree)  # and the pieces of f-strings, scanned whole below
            skip |= {
                id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values
            }
            rel = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
                    out.append((rel, "".join(str(p) for p in parts)))
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skip
                ):
                    out.append((rel, node.value))
    return out


def _promises() -> list[tuple[str, str]]:
    found = []
    for source, text in _response_texts() + _python_texts():
        folded = fold(text)
        if any(p.search(folded) for p in PROMISES):
            found.append((source, folded))
    return found


def test_the_scan_sees_replies_from_every_source() -> None:
    sources = {source for source, _ in _response_texts() + _python_texts()}
    assert "rasa_project/domain/responses.yml" in sources
    assert {"actions/shop.py", "orchestrator/turn.py", "orchestrator/handoff_text.py"} <= sources
    # The scan would catch the promise this issue removed.
    assert any(p.search(fold("Una persona de la tienda te escribirá muy pronto")) for p in PROMISES)
    assert any(p.search(fold("Te contactaremos mañana")) for p in PROMISES)


def test_every_promise_is_backed() -> None:
    unbacked = [
        (source, text)
        for source, text in _promises()
        if not any(b.source == source and fold(b.snippet) in text for b in BACKED)
    ]
    assert unbacked == [], "promises without a notification path and a test:\n" + "\n".join(
        f"  {s}: {t}" for s, t in unbacked
    )


@pytest.mark.parametrize("backing", BACKED, ids=lambda b: f"{b.source}:{b.snippet[:30]}")
def test_each_backing_names_a_promise_and_an_existing_test(backing: Backing) -> None:
    assert any(
        source == backing.source and fold(backing.snippet) in text for source, text in _promises()
    ), f"stale allow-list entry (the promise is gone): {backing}"
    path, name = backing.test.split("::")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert name in names, f"{backing.test} does not exist"
