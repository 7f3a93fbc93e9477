"""`studyflow api`: the API as `API_PROCESSES` uvicorn processes sharing one port.

One Python process serves one core; several share the port (the kernel spreads connections).
Their Prometheus series live in per-process files under `PROMETHEUS_MULTIPROC_DIR`, which
`/metrics` sums, so a scrape sees the whole server whichever process answers it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from studyflow.settings import Settings

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def serve(settings: Settings, host: str | None = None, port: int | None = None, processes: int | None = None) -> None:
    import uvicorn

    processes = processes or settings.api_processes
    if processes > 1:
        _fresh_metrics_dir()
    if settings.uses_embedded_auth:
        # Before the processes start: they all verify with this one key.
        from studyflow.launch.dev_auth import ensure_keypair

        ensure_keypair(settings.dev_key_dir)
    uvicorn.run(
        "api.app:app",
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=processes,
        access_log=settings.api_access_log,
    )


def _fresh_metrics_dir() -> None:
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
