"""Prometheus multi-process mode for the API's server processes: each process writes its series to
files under `PROMETHEUS_MULTIPROC_DIR`, and `/metrics` sums them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def fresh_metrics_dir() -> None:
    """Set before any process imports prometheus_client (it picks its storage at import).
    An operator's directory is emptied: files of a previous run would be counted again."""
    configured = os.environ.get(MULTIPROC_DIR)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        os.environ[MULTIPROC_DIR] = tempfile.mkdtemp(prefix="studyflow-api-metrics-")


def forget_process_metrics() -> None:
    """A stopping process's in-flight gauge leaves the sum (counters and histograms stay)."""
    if os.environ.get(MULTIPROC_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
