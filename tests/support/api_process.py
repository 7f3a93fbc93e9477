"""The API as its own OS process (uvicorn), so a test can watch it die mid-request."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from cli.api_server import HTTP_PROTOCOL, KEEP_ALIVE_SECONDS
from tests.support.live_server import free_port
from tests.support.worker_process import REPO, service_env


def spawn_api(
    settings,
    temporal_address: str,
    *,
    processes: int | None = None,
    factory: str | None = None,
    **env_overrides: str,
) -> tuple[subprocess.Popen, str]:
    """One uvicorn process; or, given `processes`, `studyflow api` serving with that many; or,
    given `factory`, the app a test-support factory builds (with a fault injected)."""
    port = free_port()
    env = {**service_env(settings, temporal_address), **env_overrides}
    app = ["--factory", factory] if factory else ["api.app:app"]
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        # As `studyflow api` serves (cli/api_server.py).
        "--http",
        HTTP_PROTOCOL,
        "--no-server-header",
        "--timeout-keep-alive",
        str(KEEP_ALIVE_SECONDS),
    ]
    if processes is not None:
        command = [
            sys.executable,
            "-m",
            "cli.main",
            "api",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--processes",
            str(processes),
        ]
        env["API_ACCESS_LOG"] = "false"
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API process exited with {process.returncode} before answering")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code < 500:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the API process did not answer /healthz within 60 s")
