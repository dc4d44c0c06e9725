"""A tiny in-process metrics registry rendered in the Prometheus text format.

Counters and histograms only, thread-safe; enough for `/metrics` without another dependency.
"""

from __future__ import annotations

import threading
from collections import defaultdict

Labels = tuple[tuple[str, str], ...]

STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + inner + "}"


class Metrics:
    """Counters and histograms for turns, errors and stage latencies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._hist: dict[str, dict[Labels, list[float]]] = {}
        self._help: dict[str, tuple[str, str]] = {}

    def _describe(self, name: str, kind: str, text: str) -> None:
        self._help.setdefault(name, (kind, text))

    def inc(self, name: str, text: str, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` to the counter `name` with `labels`."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._describe(name, "counter", text)
            self._counters[name][key] += amount

    def observe(self, name: str, text: str, seconds: float, **labels: str) -> None:
        """Record one observation (in seconds) in the histogram `name`."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._describe(name, "histogram", text)
            series = self._hist.setdefault(name, {})
            counts = series.setdefault(key, [0.0] * (len(STAGE_BUCKETS) + 2))
            for i, bound in enumerate(STAGE_BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-2] += 1  # count
            counts[-1] += seconds  # sum

    def value(self, name: str, **labels: str) -> float:
        """The current value of a counter (0 when never incremented)."""
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        """Everything in the Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                kind, text = self._help[name]
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                lines += [f"{name}{_labels(k)} {v:g}" for k, v in sorted(series.items())]
            for name, hseries in sorted(self._hist.items()):
                kind, text = self._help[name]
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                for key, counts in sorted(hseries.items()):
                    for i, bound in enumerate(STAGE_BUCKETS):
                        lk = _labels((*key, ("le", f"{bound:g}")))
                        lines.append(f"{name}_bucket{lk} {counts[i]:g}")
                    lines.append(f"{name}_bucket{_labels((*key, ('le', '+Inf')))} {counts[-2]:g}")
                    lines.append(f"{name}_count{_labels(key)} {counts[-2]:g}")
                    lines.append(f"{name}_sum{_labels(key)} {counts[-1]:.6f}")
        return "\n".join(lines) + "\n"


TURNS = "tendero_turns_total"
ERRORS = "tendero_turn_errors_total"
STAGE = "tendero_stage_seconds"
GUARD = "tendero_guard_rejections_total"
INBOUND = "tendero_inbound_messages_total"
RETRIES = "tendero_turn_retries_total"
RECOVERED = "tendero_claims_recovered_total"
WORKER_DB_ERRORS = "tendero_worker_db_errors_total"
HOLDS = "tendero_hold_messages_total"
WEBHOOK_UNAVAILABLE = "tendero_webhook_unavailable_total"
