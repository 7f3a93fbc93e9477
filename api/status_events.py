"""Fans Postgres `studyflow_events` notifications out to each learner's open event streams.

One LISTEN connection per API process, opened with the first subscriber. Each learner's last
events are kept in a small ring so a reconnecting browser (Last-Event-ID) gets what it missed;
when that is impossible (another process, a restart, a gap while the LISTEN connection was
down) the stream says `resync` and the app re-reads instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger("studyflow.api.events")
CHANNEL = "studyflow_events"
REPLAY_PER_USER = 100


@dataclass(frozen=True)
class StatusEvent:
    id: str
    kind: str
    data: dict


RESYNC = StatusEvent(id="", kind="resync", data={})


class EventHub:
    def __init__(self, database_url: str):
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._boot = uuid.uuid4().hex[:8]
        self._seq = 0
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[StatusEvent]]] = defaultdict(set)
        self._recent: dict[uuid.UUID, deque[tuple[int, StatusEvent]]] = defaultdict(lambda: deque(maxlen=REPLAY_PER_USER))
        self._listener: asyncio.Task | None = None
        self._listening = asyncio.Event()

    async def subscribe(self, user_id: uuid.UUID, last_event_id: str | None) -> asyncio.Queue[StatusEvent]:
        queue: asyncio.Queue[StatusEvent] = asyncio.Queue(maxsize=1000)
        self._subscribers[user_id].add(queue)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="status-event-listener")
        # Events written before LISTEN began would be lost silently: wait for it.
        await asyncio.wait_for(self._listening.wait(), timeout=10)
        if last_event_id is not None:
            missed = self._since(user_id, last_event_id)
            for event in missed if missed is not None else [RESYNC]:
                queue.put_nowait(event)
        return queue

    def unsubscribe(self, user_id: uuid.UUID, queue: asyncio.Queue[StatusEvent]) -> None:
        self._subscribers[user_id].discard(queue)
        if not self._subscribers[user_id]:
            del self._subscribers[user_id]

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)

    def _since(self, user_id: uuid.UUID, last_event_id: str) -> list[StatusEvent] | None:
        boot, _, seq = last_event_id.partition("-")
        if boot != self._boot or not seq.isdigit():
            return None
        recent = self._recent.get(user_id, deque())
        after = int(seq)
        # A full ring may have pushed out events this client never saw.
        if len(recent) == REPLAY_PER_USER and after < recent[0][0]:
            return None
        return [event for number, event in recent if number > after]

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if self._listening.is_set():
                        # Reconnected after a drop: whatever happened meanwhile is unknown.
                        self._broadcast_resync()
                    self._listening.set()
                    delay = 0.5
                    async for notify in conn.notifies():
                        self._dispatch(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarted or the network dropped: reconnect
                log.warning("event listener lost its connection (%s); reconnecting in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    def _dispatch(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            user_id = uuid.UUID(data.pop("user_id"))
        except (ValueError, TypeError, KeyError):
            log.warning("ignoring malformed status event %r", payload)
            return
        self._seq += 1
        event = StatusEvent(id=f"{self._boot}-{self._seq}", kind=data["kind"], data=data)
        self._recent[user_id].append((self._seq, event))
        for queue in list(self._subscribers.get(user_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled client: it will resync when it catches up
                queue.get_nowait()
                queue.put_nowait(RESYNC)

    def _broadcast_resync(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                if not queue.full():
                    queue.put_nowait(RESYNC)
