"""The orchestrator's Prometheus metrics, on `prometheus_client` with one registry per app.

Every `tendero_*` metric is declared once, in `DECLARED`, with its type, help text and label
names (sorted, so series read `{channel="chat",success="true"}` as they always have). Code
that counts calls `inc` / `observe` with the metric's name; a name outside `DECLARED` (tests,
experiments) is declared on first use from that call. Point-in-time values that are read at
scrape time (worker in flight, queue depth) are passed to `render` as gauges.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

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

# name -> (type, help, label names)
DECLARED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    TURNS: ("counter", "Turns processed", ("channel", "success")),
    ERRORS: ("counter", "Turns that failed", ("error_type",)),
    STAGE: ("histogram", "Stage latency", ("stage",)),
    GUARD: ("counter", "LLM replies rejected by the guard", ("provider",)),
    INBOUND: ("counter", "Inbound messages received", ("duplicate", "provider")),
    RETRIES: ("counter", "Turn retries after transient failures", ("reason",)),
    RECOVERED: ("counter", "Claims recovered", ("how",)),
    WORKER_DB_ERRORS: ("counter", "Worker database errors", ("where",)),
    HOLDS: ("counter", "Hold messages sent while a turn was retried", ()),
    WEBHOOK_UNAVAILABLE: ("counter", "Inbound webhooks answered 503", ("reason",)),
}

Gauges = Mapping[str, tuple[str, float]]


class _ScrapeGauges(Collector):
    """Gauges whose values the caller of `render` supplies for that one scrape."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, float]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (text, value) in self.values.items():
            yield GaugeMetricFamily(name, text, value=value)


class Metrics:
    """Counters and histograms for turns, errors and stage latencies (thread-safe)."""

    def __init__(self) -> None:
        # No `<name>_created` series: /metrics shows what it showed before prometheus_client.
        prometheus_client.disable_created_metrics()
        self.registry = CollectorRegistry()
        self._lock = threading.Lock()
        self._metrics: dict[str, Counter | Histogram] = {}
        self._scrape = _ScrapeGauges()
        self.registry.register(self._scrape)
        for name, (kind, text, labels) in DECLARED.items():
            self._declare(name, kind, text, labels)

    def _declare(
        self, name: str, kind: str, text: str, labels: tuple[str, ...]
    ) -> Counter | Histogram:
        if kind == "histogram":
            metric: Counter | Histogram = Histogram(
                name, text, labels, registry=self.registry, buckets=STAGE_BUCKETS
            )
        else:
            metric = Counter(name, text, labels, registry=self.registry)
        self._metrics[name] = metric
        return metric

    def _get(
        self, name: str, kind: str, text: str, labels: Mapping[str, str]
    ) -> Counter | Histogram:
        with self._lock:
            metric = self._metrics.get(name) or self._declare(
                name, kind, text, tuple(sorted(labels))
            )
        return metric.labels(**labels) if labels else metric

    def inc(self, name: str, text: str, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` to the counter `name` with `labels` (`text` names an undeclared one)."""
        counter = self._get(name, "counter", text, labels)
        assert isinstance(counter, Counter), f"{name} is not a counter"
        counter.inc(amount)

    def observe(self, name: str, text: str, seconds: float, **labels: str) -> None:
        """Record one observation (in seconds) in the histogram `name`."""
        histogram = self._get(name, "histogram", text, labels)
        assert isinstance(histogram, Histogram), f"{name} is not a histogram"
        histogram.observe(seconds)

    def value(self, name: str, **labels: str) -> float:
        """The current value of a counter (0 when never incremented)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def render(self, gauges: Gauges | None = None) -> str:
        """Everything in the Prometheus text exposition format (version 0.0.4), plus
        `gauges` (name -> (help, value)) read for this scrape."""
        with self._lock:
            self._scrape.values = dict(gauges or {})
            try:
                return generate_latest(self.registry).decode("utf-8")
            finally:
                self._scrape.values = {}
