"""Where a bench phase's CPU went: seconds of CPU per process group (the API with its uvicorn
children, each worker, Temporal, PostgreSQL, the scripted LLM, the load generator itself).

On a 2-core machine the load generator shares the cores with what it measures; this tells how
much of a throughput figure is the server's limit and how much the client's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


@dataclass
class CpuShare:
    wall_seconds: float = 0.0
    seconds: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        parts = [f"{role} {used / self.wall_seconds:4.0%}" for role, used in self.seconds.items()]
        return f"    CPU per core-second of the phase ({os.cpu_count()} cores): " + ", ".join(parts)


def _postgres_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]


@contextmanager
def cpu_share(roles: dict[str, int]) -> Iterator[CpuShare]:
    """`roles`: name → root pid (its children are counted with it); PostgreSQL and this process
    are added as `postgres` and `bench`."""

    def groups() -> dict[str, list[psutil.Process]]:
        found = {role: _tree(pid) for role, pid in roles.items()}
        found["postgres"] = [psutil.Process(pid) for pid in _postgres_pids()]
        found["bench"] = [psutil.Process(os.getpid())]
        return found

    share = CpuShare()
    before = {role: _cpu(members) for role, members in groups().items()}
    started = time.perf_counter()
    try:
        yield share
    finally:
        share.wall_seconds = time.perf_counter() - started
        for role, members in groups().items():
            after = _cpu(members)
            # A process that started during the phase counts from zero; one that ended is lost.
            share.seconds[role] = sum(used - before[role].get(pid, 0.0) for pid, used in after.items())
