"""`studyflow api`: the API as `API_PROCESSES` uvicorn processes sharing one port.

One Python process serves one core; several share the port (the kernel spreads connections).
Their Prometheus series live in per-process files under `PROMETHEUS_MULTIPROC_DIR`, which
`/metrics` sums, so a scrape sees the whole server whichever process answers it."""

from __future__ import annotations

from typing import Any

from api.process_metrics import fresh_metrics_dir
from studyflow.settings import Settings

# Every way the API is served uses these (tests/support/api_process.py too): request heads bounded
# where they arrive (api/http_limits.py), and no `server: uvicorn` advertised. Idle connections are
# kept 75 s, not uvicorn's 5 s: longer than the clients' and proxies' own idle timeouts (aiohttp 15 s,
# load balancers 60 s), so the server is never the side closing a socket the other side is reusing.
# At 5 s, a busy API process ran its keep-alive timer before reading a request already waiting on
# the socket, and the assignment bench saw 20 of 200 opens end in "Server disconnected".
HTTP_PROTOCOL = "api.http_limits:BoundedHttpToolsProtocol"
KEEP_ALIVE_SECONDS = 75
UVICORN_OPTIONS: dict[str, Any] = {
    "http": HTTP_PROTOCOL,
    "server_header": False,
    "timeout_keep_alive": KEEP_ALIVE_SECONDS,
}


def serve(settings: Settings, host: str | None = None, port: int | None = None, processes: int | None = None) -> None:
    import uvicorn

    processes = processes or settings.api_processes
    if processes > 1:
        fresh_metrics_dir()
    if settings.uses_embedded_auth:
        # Before the processes start: they all verify with this one key.
        from api.dev_auth import ensure_keypair

        ensure_keypair(settings.dev_key_dir)
    uvicorn.run(
        "api.app:app",
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=processes,
        access_log=settings.api_access_log,
        **UVICORN_OPTIONS,
    )
