"""`studyflow dev`: the whole stack on embedded defaults, in one foreground command.

Starts what is not configured (PostgreSQL, Temporal dev server), applies migrations, then runs the
worker and the API as child processes. Ctrl-C / SIGTERM stops every child; a child that dies takes
the stack down with a clear message instead of leaving half a stack running.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

from api.dev_auth import ensure_keypair
from cli import local_llm, local_servers, running_stack
from cli.embedded_postgres import EmbeddedPostgres
from cli.embedded_temporal import start_dev_server
from cli.ports import require_free, wait_for_port
from cli.schedules import apply_schedules
from db import migrate
from studyflow.settings import Settings


class _Stop(Exception):
    pass


def _raise_stop(signum, _frame):
    raise _Stop(signal.Signals(signum).name)


def _terminate(name: str, proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"  {name} did not stop in {timeout:.0f}s, killing it", flush=True)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run(settings: Settings) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    configured = bool(settings.openai_base_url or settings.openai_api_key)
    use_local_llm = not configured and local_llm.available()
    # Every port the stack will bind, checked before anything starts: a taken one is named with
    # the setting that moves it, instead of a child dying later with "address already in use".
    require_free(_ports_needed(settings, use_local_llm), settings.api_host)
    if not configured and (offer := local_servers.offer(local_servers.probe())):
        print(offer, flush=True)

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    children: list[tuple[str, subprocess.Popen]] = []
    postgres: EmbeddedPostgres | None = None
    env = {**_quiet_child_env(), **os.environ}
    # Like everything else the embedded stack starts, the worker's metrics listen on loopback.
    env.setdefault("WORKER_METRICS_HOST", "127.0.0.1")
    started = time.monotonic()
    try:
        database_url = settings.database_url
        if not database_url:
            print(f"▸ starting embedded PostgreSQL + pgvector ({settings.data_dir / 'pg'})", flush=True)
            postgres = EmbeddedPostgres(settings.data_dir)
            database_url = postgres.start()
        env["DATABASE_URL"] = database_url

        temporal_address = settings.temporal_address
        if not temporal_address:
            print(f"▸ starting Temporal dev server on :{settings.temporal_port}", flush=True)
            server = start_dev_server(
                settings.data_dir, settings.temporal_port, settings.temporal_ui_port, settings.temporal_namespace
            )
            children.append(("temporal", server))
            temporal_address = f"127.0.0.1:{settings.temporal_port}"
            if not wait_for_port("127.0.0.1", settings.temporal_port, timeout=60):
                raise SystemExit(f"Temporal dev server did not come up; see {settings.data_dir / 'temporal.log'}")
        env["TEMPORAL_ADDRESS"] = temporal_address

        if use_local_llm:
            print(f"▸ starting the local model ({local_llm.MODEL_ALIAS}) on :{settings.local_llm_port}", flush=True)
            children.append(
                ("local model", local_llm.start_server(settings.local_llm_port, settings.data_dir / "local-llm.log"))
            )
            if not wait_for_port("127.0.0.1", settings.local_llm_port, timeout=120):
                raise SystemExit(f"the local model did not start; see {settings.data_dir / 'local-llm.log'}")
            env.update(local_llm.LOCAL_ENV)
            env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{settings.local_llm_port}/v1"
            print(
                "  demo mode: the bundled 135M model cannot write courses; courses from your own documents\n"
                "  (My material) are made from them, quoted and cited. Connect a real model for the rest.",
                flush=True,
            )
        elif not (settings.openai_base_url or settings.openai_api_key):
            print(
                "! no LLM endpoint configured and the local model is not installed: outlines will use the\n"
                f"  manual fallback and notes will fail. Install it: {local_llm.INSTALL_HINT}",
                flush=True,
            )

        print("▸ applying database migrations", flush=True)
        migrate.upgrade(database_url)
        if settings.uses_embedded_auth:
            ensure_keypair(settings.dev_key_dir)

        print("▸ applying Temporal schedules", flush=True)
        schedule_settings = settings.model_copy(update={"temporal_address": temporal_address})
        asyncio.run(apply_schedules(schedule_settings))

        print("▸ starting workers (interactive; cpu; background) and API", flush=True)
        # Embedding (sources, outline and notes indexing) in a process of its own, at a lower
        # priority: a learner's 200-page PDF never delays another learner's workflow tasks or tutor
        # answer (bench.chat_bench, bench.ingest_bench); background work in another.
        for name, queues in _worker_processes(env, settings):
            children.append((name, _spawn([sys.executable, "-m", "worker"], {**env, **queues})))
        children.append(
            (
                "api",
                _spawn(
                    [
                        sys.executable,
                        "-m",
                        "cli.main",
                        "api",
                        "--host",
                        settings.api_host,
                        "--port",
                        str(settings.api_port),
                    ],
                    env,
                ),
            )
        )
        print("▸ waiting for the API and a worker on every task queue", flush=True)
        _wait_until_ready(settings, children)
        running_stack.record(settings)
        print(
            f"\nstudyflow is up in {time.monotonic() - started:.1f}s\n"
            f"  web app      http://{settings.api_host}:{settings.api_port}  "
            f"({'sign in with any name' if settings.offers_dev_sign_in else 'sign in with Clerk'})\n"
            f"  API          http://{settings.api_host}:{settings.api_port}/v1  (docs: /docs, readiness: /readyz; "
            f"{settings.api_processes} process{'es' if settings.api_processes > 1 else ''})\n"
            + (
                f"  Temporal UI  http://127.0.0.1:{settings.temporal_ui_port}\n"
                if not settings.temporal_address
                else ""
            )
            + "  token        make token USER=<id>\n"
            + f"  logs         {settings.data_dir / 'logs'} (install), {settings.data_dir / 'temporal.log'}\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"✗ {name} exited with code {proc.returncode}; stopping the stack", flush=True)
                    return 1
            time.sleep(0.5)
    except _Stop as stop:
        print(f"\n▸ {stop} received, stopping", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name, proc in reversed(children):
            _terminate(name, proc)
        if postgres is not None:
            postgres.stop()
        running_stack.forget(settings)
        print("▸ stopped", flush=True)


# The first start exports the embedding model (minutes on a busy 2-core machine) before the
# workers poll; a status line every REPORT_EVERY_SECONDS says what is still missing.
READY_TIMEOUT_SECONDS = 900
REPORT_EVERY_SECONDS = 30


def _ports_needed(settings: Settings, use_local_llm: bool) -> dict[str, tuple[int, str]]:
    """Name → (port, the setting that moves it), for every port `studyflow dev` will bind."""
    needed = {"API": (settings.api_port, "API_PORT")}
    if use_local_llm:
        needed["local model"] = (settings.local_llm_port, "LOCAL_LLM_PORT")
    if not settings.temporal_address:
        needed["Temporal"] = (settings.temporal_port, "TEMPORAL_PORT")
        needed["Temporal UI"] = (settings.temporal_ui_port, "TEMPORAL_UI_PORT")
    if settings.temporal_metrics_port:
        needed["worker's Temporal metrics"] = (settings.temporal_metrics_port, "TEMPORAL_METRICS_PORT")
    if settings.worker_metrics_port:
        needed["worker's metrics"] = (settings.worker_metrics_port, "WORKER_METRICS_PORT")
    if "WORKER_QUEUES" not in os.environ:
        for worker, offset in _EXTRA_WORKERS.values():
            ports = _worker_ports(settings, offset)
            for name, setting in (("Temporal metrics", "TEMPORAL_METRICS_PORT"), ("metrics", "WORKER_METRICS_PORT")):
                if ports[setting]:
                    needed[f"{worker}'s {name}"] = (int(ports[setting]), setting)
    return needed


def _quiet_child_env() -> dict[str, str]:
    """Defaults (the learner's environment wins) that keep the terminal to what matters: no
    download/progress bars from the embedding libraries, no line per polled request."""
    return {
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TQDM_DISABLE": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "API_ACCESS_LOG": "false",
    }


_IDLE_QUEUES = re.compile(r"no worker polls the (?P<queues>[a-z, ]+) queues?$")


def waiting_for(checks: dict[str, str]) -> str:
    """What a starting stack still waits for, in words: on a normal first run the workers load
    their embedding model for a while, and "error: no worker polls the cpu queue" read as a fault."""
    waiting = []
    for name, state in checks.items():
        if state == "ok":
            continue
        idle = _IDLE_QUEUES.search(state) if name == "workers" else None
        if idle:
            queues = [q.strip() for q in idle["queues"].split(",")]
            named = queues[0] if len(queues) == 1 else f"{', '.join(queues[:-1])} and {queues[-1]}"
            waiting.append(f"the {named} worker{'s' * (len(queues) > 1)} to start polling")
        else:
            waiting.append(f"{name} ({state})")
    return ", ".join(waiting)


def _wait_until_ready(settings: Settings, children: list[tuple[str, subprocess.Popen]]) -> None:
    """Until `/readyz` answers 200: the database and Temporal answer and a worker polls every
    task queue. A child that exits meanwhile stops the stack with its name."""
    import httpx

    url = f"http://{settings.api_host}:{settings.api_port}/readyz"
    started = time.monotonic()
    deadline = started + READY_TIMEOUT_SECONDS
    reported = started
    last = "the API to answer"
    while time.monotonic() < deadline:
        if time.monotonic() - reported >= REPORT_EVERY_SECONDS:
            reported = time.monotonic()
            print(f"  still starting after {reported - started:.0f}s, waiting for {last}", flush=True)
        for name, proc in children:
            if proc.poll() is not None:
                raise SystemExit(f"✗ {name} exited with code {proc.returncode} while starting; see its output above")
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return
            last = waiting_for(response.json().get("checks", {})) or f"an answer other than HTTP {response.status_code}"
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit(f"✗ the stack was not ready after {READY_TIMEOUT_SECONDS}s: still waiting for {last}")


# The queues after the first each get a process whose metrics ports sit this far above the worker's
# (two processes cannot bind the same port): cpu 9466/9467, background 9468/9469 by default.
_EXTRA_WORKERS = {"cpu": ("cpu worker", 2), "background": ("background worker", 4)}


def _worker_ports(settings: Settings, offset: int) -> dict[str, str]:
    """A worker process's metrics ports, `offset` above the worker's; blank where those are off."""
    return {
        "TEMPORAL_METRICS_PORT": str(settings.temporal_metrics_port + offset) if settings.temporal_metrics_port else "",
        "WORKER_METRICS_PORT": str(settings.worker_metrics_port + offset) if settings.worker_metrics_port else "",
    }


def _worker_processes(env: dict[str, str], settings: Settings) -> list[tuple[str, dict[str, str]]]:
    """A process per queue, as the Kubernetes manifests run them: a tutor answer and interactive
    workflow tasks share an event loop with no other learner's background workflows and
    activities, nor with embedding (with interactive and background in one process, CI's abuse
    runs saw bystander answers of 2.2 and 2.5 s). Explicit WORKER_QUEUES keeps one process."""
    if "WORKER_QUEUES" in env:
        return [("worker", {})]
    return [
        ("worker", {"WORKER_QUEUES": '["interactive"]'}),
        *(
            (name, {"WORKER_QUEUES": f'["{queue}"]', **_worker_ports(settings, offset)})
            for queue, (name, offset) in _EXTRA_WORKERS.items()
        ),
    ]


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Own process group: Ctrl-C reaches us once, and we stop children in order.
    return subprocess.Popen(command, env=env, start_new_session=True)
