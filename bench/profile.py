"""py-spy around a bench phase: a flame graph per process and the frames that took the most time.

`with profiled(pids, directory, "get")` samples every process (and its children: uvicorn's
workers) while the phase runs, writes `<name>-<pid>.svg` and `.txt` (collapsed stacks), and
`top_frames` sums the samples by function: self time (the frame on top) and total (anywhere on
the stack), which is what the closing notes quote before and after a change.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: `.venv/bin/pip install -e '.[bench]'`")
    return found


@contextmanager
def profiled(pids: dict[str, int], directory: Path, phase: str) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    spies = []
    for name, pid in pids.items():
        for fmt, suffix in (("raw", "txt"), ("flamegraph", "svg")):
            out = directory / f"{phase}-{name}.{suffix}"
            spies.append(
                subprocess.Popen(
                    [
                        _py_spy(),
                        "record",
                        "--pid",
                        str(pid),
                        "--subprocesses",
                        "--nonblocking",
                        "--rate",
                        "50",
                        "--format",
                        fmt,
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    time.sleep(1.0)  # py-spy attaches asynchronously
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()


def top_frames(collapsed: Path, limit: int = 12) -> list[tuple[str, float, float]]:
    """(function, self share, total share) for the functions with the most samples."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        frames = [f for f in frames if f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            anywhere[frame] += count
    if not total:
        return []
    ranked = sorted(anywhere, key=lambda f: (own[f], anywhere[f]), reverse=True)[:limit]
    return [(frame, own[frame] / total, anywhere[frame] / total) for frame in ranked]


def _function(frame: str) -> str:
    # "function (path/module.py:123)" → "function (module.py)"; process/thread headers are dropped.
    name, _, where = frame.partition(" (")
    if not where:
        return ""
    return f"{name} ({where.split(':')[0].rstrip(')')})"


def print_top(directory: Path, phase: str) -> None:
    for collapsed in sorted(directory.glob(f"{phase}-*.txt")):
        print(f"\n  py-spy {collapsed.stem}: self / total share of samples ({collapsed.with_suffix('.svg').name})")
        for frame, own, anywhere in top_frames(collapsed):
            print(f"    {own:6.1%} {anywhere:6.1%}  {frame}")
