"""Count SQL round trips per process for `make bench-fleet` (never loaded otherwise).

`scripts/bench_fleet.py` puts this folder on PYTHONPATH of the processes it starts, with
SQL_COUNT_DIR set; Python imports `sitecustomize` at start-up, so every SQLAlchemy engine
of the process (the app's SQLAlchemy 2, Rasa's 1.4) gets a `before_cursor_execute`
listener. Counts are written to SQL_COUNT_DIR/<pid>.json every second: the bench takes
differences between two moments, so a process that is killed loses nothing measured.
"""

from __future__ import annotations

import json
import os
import sys
import threading

_DIR = os.environ.get("SQL_COUNT_DIR")


def _install(directory: str) -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:  # a process without SQLAlchemy has nothing to count
        return
    counts = {"statements": 0, "commits": 0, "rollbacks": 0}
    lock = threading.Lock()

    def bump(key: str) -> None:
        with lock:
            counts[key] += 1

    event.listen(Engine, "before_cursor_execute", lambda *a, **k: bump("statements"))
    event.listen(Engine, "commit", lambda *a, **k: bump("commits"))
    event.listen(Engine, "rollback", lambda *a, **k: bump("rollbacks"))
    path = os.path.join(directory, f"{os.getpid()}.json")

    def dump() -> None:
        while True:
            with lock:
                data = {**counts, "argv": sys.argv[:3]}  # complete once main runs
            tmp = f"{path}.tmp"
            with open(tmp, "w") as out:
                json.dump(data, out)
            os.replace(tmp, path)
            threading.Event().wait(1.0)

    threading.Thread(target=dump, name="sql-count", daemon=True).start()


if _DIR:
    _install(_DIR)
