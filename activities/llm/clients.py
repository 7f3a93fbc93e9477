"""One OpenAI client per endpoint and event loop, kept for the process's life.

A client per call built a new TLS context and connection pool every time (about a sixth of the
worker's CPU under the course bench, `ssl.create_default_context` in py-spy) and never reused a
connection. Clients are bound to the loop that first used them (their pool's sockets are), so a
process that runs a second loop (tests, `asyncio.run` in scripts) gets its own."""

from __future__ import annotations

import asyncio

from openai import AsyncOpenAI


class OpenAIClients:
    def __init__(self, timeout_seconds: float, max_retries: int = 0):
        self._timeout = timeout_seconds
        self._max_retries = max_retries
        self._clients: dict[tuple[int, str | None, str], tuple[asyncio.AbstractEventLoop, AsyncOpenAI]] = {}

    def get(self, base_url: str | None, api_key: str) -> AsyncOpenAI:
        loop = asyncio.get_running_loop()
        key = (id(loop), base_url, api_key)
        cached = self._clients.get(key)
        if cached is None or cached[0] is not loop:  # ids of collected loops are reused
            self._drop_closed_loops()
            client = AsyncOpenAI(
                api_key=api_key, base_url=base_url, max_retries=self._max_retries, timeout=self._timeout
            )
            cached = self._clients[key] = (loop, client)
        return cached[1]

    def _drop_closed_loops(self) -> None:
        for key, (loop, _) in list(self._clients.items()):
            if loop.is_closed():
                del self._clients[key]
