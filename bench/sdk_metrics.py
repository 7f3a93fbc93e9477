"""The Temporal SDK's own histograms, read from the workers' Prometheus endpoints over a bench phase.

`with sdk_histogram(ports, "temporal_workflow_task_schedule_to_start_latency") as window:` takes
the cumulative buckets of every worker process (all task queues summed) before and after, so the
window holds only what happened during the phase. Percentiles are bucket bounds: "p99 <= 100 ms"
means 99 % of the tasks waited at most 100 ms, which is what a goal of 100 ms asks.
"""

from __future__ import annotations

import math
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

WORKFLOW_TASK_WAIT = "temporal_workflow_task_schedule_to_start_latency"
ACTIVITY_TASK_WAIT = "temporal_activity_schedule_to_start_latency"
_BUCKET = re.compile(r"^(?P<name>\w+)_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)$")


def _buckets(ports: list[int], name: str, task_queue: str | None) -> dict[float, float]:
    counts: dict[float, float] = {}
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        for line in text.splitlines():
            found = _BUCKET.match(line)
            if not found or found["name"] != name:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', found["labels"]))
            if task_queue is not None and labels.get("task_queue") != task_queue:
                continue
            bound = math.inf if labels["le"] == "+Inf" else float(labels["le"])
            counts[bound] = counts.get(bound, 0.0) + float(found["value"])
    return counts


@dataclass
class HistogramWindow:
    buckets: dict[float, float] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return int(self.buckets.get(math.inf, 0))

    def bound(self, quantile: float) -> float:
        """The smallest bucket bound under which `quantile` of the observations fall (ms)."""
        total = self.buckets.get(math.inf, 0)
        if not total:
            return 0.0
        for bound in sorted(self.buckets):
            if self.buckets[bound] >= quantile * total:
                return bound
        return math.inf

    def line(self, label: str) -> str:
        def shown(value: float) -> str:
            return "    inf" if math.isinf(value) else f"{value:7.0f}"

        return (
            f"{label}  p50 <= {shown(self.bound(0.5))} ms  p99 <= {shown(self.bound(0.99))} ms  "
            f"max <= {shown(self.bound(1.0))} ms  (n={self.count}; SDK histogram bucket bounds)"
        )


@contextmanager
def sdk_histogram(ports: list[int], name: str, task_queue: str | None = None) -> Iterator[HistogramWindow]:
    window = HistogramWindow()
    before = _buckets(ports, name, task_queue)
    try:
        yield window
    finally:
        after = _buckets(ports, name, task_queue)
        window.buckets = {bound: after[bound] - before.get(bound, 0.0) for bound in after}
