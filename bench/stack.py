"""An embedded stack for benchmarks: pgserver, the Temporal dev server, the scripted OpenAI server,
and the API and worker as separate processes (so the load generator does not share their GIL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cli.embedded_postgres import EmbeddedPostgres
from cli.embedded_temporal import start_dev_server
from cli.ports import wait_for_port
from db import migrate
from studyflow.settings import Settings

REPO = Path(__file__).resolve().parents[1]
MODEL_CACHE = Path(tempfile.gettempdir()) / "studyflow-bench-models"

# Worker topologies a bench can compare (environment per worker process). `make dev` runs SPLIT.
SPLIT = [{"WORKER_QUEUES": '["interactive","background"]'}, {"WORKER_QUEUES": '["cpu"]'}]
# The topology before issue 37: one process polling every queue, embedding on torch.
SINGLE_TORCH = [{"WORKER_QUEUES": '["interactive","background","cpu"]', "EMBEDDING_RUNTIME": "torch"}]
TOPOLOGIES = {"split": SPLIT, "single-torch": SINGLE_TORCH, "single": [{}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class BenchStack:
    llm_delay: float = 0.0
    extra_env: dict[str, str] = field(default_factory=dict)
    start_api: bool = True
    start_worker: bool = True
    start_temporal: bool = True
    worker_processes: list[dict[str, str]] = field(default_factory=lambda: SPLIT)  # env per process
    api_processes: int = field(default_factory=lambda: Settings(_env_file=None).api_processes)
    temporal_metrics: bool = False  # the Temporal server's own /metrics on self.temporal_metrics_port

    def __post_init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="studyflow-bench-")
        self.data_dir = Path(self._tmp.name)
        self._processes: list[subprocess.Popen] = []
        self._postgres = EmbeddedPostgres(self.data_dir)

    def __enter__(self) -> BenchStack:
        self.database_url = self._postgres.start()
        migrate.upgrade(self.database_url)
        temporal_port, ui_port = free_port(), free_port()
        self.temporal_metrics_port = free_port() if self.temporal_metrics else None
        if self.start_temporal:
            self._processes.append(
                start_dev_server(self.data_dir, temporal_port, ui_port, "default", self.temporal_metrics_port)
            )
            self.temporal_pid = self._processes[-1].pid
            if not wait_for_port("127.0.0.1", temporal_port, 60):
                raise RuntimeError("Temporal dev server did not start")
        self.temporal_address = f"127.0.0.1:{temporal_port}"
        llm_port = free_port()
        self._spawn(
            [
                sys.executable,
                "-m",
                "tests.support.scripted_openai",
                "--port",
                str(llm_port),
                "--delay",
                str(self.llm_delay),
            ]
        )
        self.llm_pid = self._processes[-1].pid
        if not wait_for_port("127.0.0.1", llm_port, 30):
            raise RuntimeError("scripted OpenAI server did not start")
        self.api_port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "TEMPORAL_ADDRESS": self.temporal_address,
            "DATA_DIR": str(self.data_dir),
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/primary/v1",
            "OPENAI_FALLBACK_BASE_URL": f"http://127.0.0.1:{llm_port}/fallback/v1",
            "FREE_COURSES_PER_DAY": "1000000",
            "LOG_LEVEL": "WARNING",
            # Exported once per machine, not once per bench run's temporary data directory.
            "MODEL_CACHE_DIR": str(MODEL_CACHE),
            **self.extra_env,
        }
        self.worker_pids: list[int] = []
        self.sdk_metric_ports: list[int] = []
        if self.start_worker:
            for overrides in self.worker_processes:
                # Each process its own metrics ports: two on the defaults cannot both bind.
                sdk_port = free_port()
                ports = {"WORKER_METRICS_PORT": str(free_port()), "TEMPORAL_METRICS_PORT": str(sdk_port)}
                self._spawn([sys.executable, "-m", "worker"], {**ports, **overrides})
                self.worker_pids.append(self._processes[-1].pid)
                self.sdk_metric_ports.append(sdk_port)
            for port in self.sdk_metric_ports:
                wait_for_port("127.0.0.1", port, 120)
        if self.start_api:
            # As production serves it (`studyflow api`), minus the access log.
            self._spawn(
                [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "api",
                    "--port",
                    str(self.api_port),
                    "--processes",
                    str(self.api_processes),
                ],
                {"API_ACCESS_LOG": "false"},
            )
            self.api_pid = self._processes[-1].pid
            if not wait_for_port("127.0.0.1", self.api_port, 60):
                raise RuntimeError("API did not start")
        return self

    def roles(self) -> dict[str, int]:
        """Process group name → root pid, for bench/cpu_share.py: the API, each worker named by
        the queues it polls, Temporal and the scripted LLM."""
        names = {}
        for n, (pid, overrides) in enumerate(zip(self.worker_pids, self.worker_processes, strict=True)):
            queues = overrides.get("WORKER_QUEUES", "all").strip("[]").replace('"', "")
            names[f"worker{n}[{queues}]"] = pid
        return {"api": self.api_pid, **names, "temporal": self.temporal_pid, "llm": self.llm_pid}

    def _spawn(self, command: list[str], overrides: dict[str, str] | None = None) -> None:
        env = {**getattr(self, "env", os.environ), **(overrides or {})}
        self._processes.append(subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True))

    def __exit__(self, *_exc) -> None:
        for proc in reversed(self._processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self._postgres.stop()
        self._tmp.cleanup()
