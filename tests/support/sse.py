"""Reads a Server-Sent Events stream over real HTTP, event by event (comments kept as heartbeats)."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx


@dataclass
class Event:
    kind: str
    id: str | None
    data: dict | None
    comment: str | None = None


class EventReader:
    def __init__(self, response: httpx.Response):
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 15, *, heartbeats: bool = False) -> Event:
        return await asyncio.wait_for(self._next(heartbeats), timeout)

    async def _next(self, heartbeats: bool) -> Event:
        kind, event_id, data, comment = "message", None, [], None
        async for line in self._lines:
            if line == "":
                if data or comment is not None and heartbeats:
                    return Event(kind, event_id, json.loads("\n".join(data)) if data else None, comment)
                kind, event_id, data, comment = "message", None, [], None
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "":
                comment = value
            elif field == "event":
                kind = value
            elif field == "id":
                event_id = value
            elif field == "data":
                data.append(value)
        raise EOFError("the stream ended")

    async def until(self, predicate, timeout: float = 30) -> Event:
        async def scan():
            while True:
                event = await self._next(False)
                if predicate(event):
                    return event

        return await asyncio.wait_for(scan(), timeout)


@asynccontextmanager
async def open_events(base_url: str, token: str | None, last_event_id: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(10, read=60)) as client:
        async with client.stream("GET", "/v1/events", headers=headers) as response:
            yield EventReader(response)
