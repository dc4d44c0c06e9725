"""The real action server, slowed down after each committed action (fault tests only).

`python -m tests.faults.slow_actions --port P` with `FAULT_SLEEP_AFTER_COMMIT_S=N`: every
state-changing action commits its effects (and its recorded answer) as usual, then sleeps N
seconds before answering Rasa, so a test can kill -9 the server in exactly that window.
"""

from __future__ import annotations

import os
import time
from typing import Any

from actions import server, turn

_real_run_turn = turn.run_turn


def _slow_run_turn(*args: Any, **kwargs: Any) -> Any:
    events = _real_run_turn(*args, **kwargs)
    time.sleep(float(os.environ.get("FAULT_SLEEP_AFTER_COMMIT_S", "0")))
    return events


turn.run_turn = _slow_run_turn  # TurnAction.run looks the function up at call time

if __name__ == "__main__":
    server.main()
