"""The API on a real port (uvicorn in the test's event loop), for clients that need real HTTP:
a browser, or a streaming response that httpx's in-process transport would buffer."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def live_server(app):
    port = free_port()
    # Open event streams end on shutdown (sse-starlette watches the server); the timeout is a
    # safety net so a stuck connection cannot hang the test session.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # raises why it could not start
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
