"""A worker as its own OS process, so a test can kill it mid-activity like a crashed machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.live_server import free_port

REPO = Path(__file__).resolve().parents[2]


def service_env(settings, temporal_address: str) -> dict[str, str]:
    """The environment a studyflow process needs to join the test session's servers."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "DATA_DIR": str(settings.data_dir),
        "TASK_QUEUE_INTERACTIVE": settings.task_queue_interactive,
        "TASK_QUEUE_BACKGROUND": settings.task_queue_background,
        "TASK_QUEUE_CPU": settings.task_queue_cpu,
        "MODEL_CACHE_DIR": str(settings.model_cache_root),
        "OPENAI_API_KEY": settings.openai_api_key.get_secret_value(),
        "OPENAI_BASE_URL": settings.openai_base_url,
        "OPENAI_MODEL": settings.openai_model,
        "OPENAI_FALLBACK_BASE_URL": settings.openai_fallback_base_url,
        "OPENAI_FALLBACK_MODEL": settings.openai_fallback_model,
        "LLM_TIMEOUT_SECONDS": "10",
        # As in the settings: a process that queued background notes on the session's queue would
        # have the session worker's dispatcher generate them while other tests measure theirs.
        "BACKGROUND_NOTES_ENABLED": str(settings.background_notes_enabled).lower(),
        "LOG_LEVEL": "WARNING",
        # Ports of their own, so processes of one test (or a `make dev` beside it) never collide.
        "WORKER_METRICS_PORT": str(free_port()),
        "TEMPORAL_METRICS_PORT": str(free_port()),
    }


def spawn_worker(settings, temporal_address: str, **env_overrides: str) -> subprocess.Popen:
    env = {**service_env(settings, temporal_address), **env_overrides}
    return subprocess.Popen([sys.executable, "-m", "worker"], cwd=REPO, env=env, start_new_session=True)
