"""Run Rasa's command line with quiet, hermetic defaults (Rasa venv, Python 3.10 only).

Sanic installs its own warning filter when it is imported, so ``PYTHONWARNINGS`` cannot
silence the deprecation noise of Rasa's dependencies. This launcher imports sanic first,
then installs targeted filters, then hands over to ``rasa.__main__.main`` with the
original arguments: ``python scripts/rasa_launcher.py train --domain domain ...``.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _quiet_third_party_warnings() -> None:
    """Hide dependency deprecation noise; Rasa's own UserWarnings stay visible."""
    import sanic  # noqa: F401  (must be imported before our filters are installed)

    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", message=r".*pkg_resources.*")
    warnings.filterwarnings("ignore", module=r"(tensorflow|keras|sanic|google|jax)\b.*")


def _count_implicit_responses_as_used() -> None:
    """Stop Rasa's validator flagging responses that Rasa itself utters.

    Rasa 3.6 warns "utterance not used in any story or rule" for a form's questions
    (``utter_ask_<slot>``, uttered by the form), for ``utter_default`` (uttered by
    ``action_default_fallback``) and for responses our custom actions utter by name
    (found in ``actions/*.py``). Those are false positives; every other warning stays.
    """
    import re
    from pathlib import Path

    from rasa.validator import Validator

    original = Validator._gather_utterance_actions
    # Responses that custom actions utter by name (`utter_message(response="utter_x")`).
    # Only those no story or rule uses: the validator must still see the others.
    root = Path(__file__).resolve().parent.parent
    stories = " ".join(
        p.read_text(encoding="utf-8") for p in (root / "rasa_project" / "data").rglob("*.yml")
    )
    by_actions = {
        name
        for path in (root / "actions").rglob("*.py")
        for name in re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8"))
        if not re.search(rf"\b{name}\b", stories)
    }

    def gather(self: Validator) -> set:
        implicit = {"utter_default", *by_actions}
        for form in self.domain.form_names:
            for slot in self.domain.required_slots_for_form(form):
                implicit |= {f"utter_ask_{slot}", f"utter_ask_{form}_{slot}"}
        return set(original(self)) - implicit

    Validator._gather_utterance_actions = gather  # type: ignore[method-assign]


def _sqlite_tracker_store_pragmas() -> None:
    """Give Rasa's SQLite connections (its SQL tracker store) the app's pragmas.

    The tracker store shares the app's SQLite file (scripts/rasa.sh), which is in WAL mode,
    but each of Rasa's connections would sync the WAL at every commit (SQLite's default
    `synchronous=FULL`): ~10 ms per saved tracker on the shared development disk, on Rasa's
    one event loop. Like the app (db/session.py), `synchronous` is NORMAL unless
    SQLITE_SYNCHRONOUS says otherwise: a committed tracker survives any process crash; only
    an operating-system crash or power loss may roll back the last commits. PostgreSQL is
    untouched.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    level = (os.environ.get("SQLITE_SYNCHRONOUS") or "NORMAL").strip().upper()
    if level not in ("NORMAL", "FULL", "EXTRA"):
        raise SystemExit(f"SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {level!r}")

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        if not type(dbapi_connection).__module__.startswith("sqlite3"):
            return
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={level}")
        cursor.close()


def main() -> None:
    """Install the warning filters and run Rasa's CLI with ``sys.argv``."""
    _quiet_third_party_warnings()
    _count_implicit_responses_as_used()
    if sys.argv[1:2] == ["run"]:
        _sqlite_tracker_store_pragmas()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
