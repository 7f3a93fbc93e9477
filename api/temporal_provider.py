"""Lazily connected Temporal client: the API starts (and answers /healthz) before Temporal is up."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from studyflow.settings import Settings
from studyflow.temporal_client import connect


class TemporalProvider:
    def __init__(self, settings: Settings, client: Client | None = None):
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await connect(self._settings)
        return self._client
