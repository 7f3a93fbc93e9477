"""A per-page time limit inside the reader process (its main thread owns SIGALRM)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class PageTimeout(Exception):
    pass


def _expired(signum, frame):  # noqa: ARG001 - the signal handler signature
    raise PageTimeout


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
