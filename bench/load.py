"""Closed-loop load generation and latency figures."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyStats:
    count: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def line(self, label: str) -> str:
        return (
            f"{label:<34} n={self.count:<5} p50={self.p50_ms:7.2f} ms  p99={self.p99_ms:7.2f} ms  "
            f"{self.per_second:8.1f} req/s"
        )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def run_load(request: Callable[[int], Awaitable[None]], total: int, concurrency: int) -> LatencyStats:
    latencies: list[float] = []
    counter = iter(range(total))

    async def client() -> None:
        for index in counter:
            started = time.perf_counter()
            await request(index)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(concurrency)])
    elapsed = time.perf_counter() - started
    return LatencyStats(len(latencies), elapsed, statistics.median(latencies), percentile(latencies, 99))
