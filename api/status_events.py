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
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass

import psycopg

from api.errors import ApiError
from db.engine import libpq_url

log = logging.getLogger("studyflow.api.events")
CHANNEL = "studyflow_events"
REPLAY_PER_USER = 100
# Replay rings are kept for the learners seen most recently; the rest reconnect with `resync`.
REMEMBERED_USERS = 10_000


@dataclass(frozen=True)
class StatusEvent:
    id: str
    kind: str
    data: dict


RESYNC = StatusEvent(id="", kind="resync", data={})


class EventHub:
    def __init__(self, database_url: str, *, max_per_user: int = 5, max_streams: int = 500):
        self._dsn = libpq_url(database_url)
        # Each open stream costs a queue, a task and a socket: bounded per learner (a few tabs)
        # and per process, so one learner opening hundreds cannot crowd out everyone else.
        self._max_per_user = max_per_user
        self._max_streams = max_streams
        self._open = 0
        self._boot = uuid.uuid4().hex[:8]
        self._seq = 0
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[StatusEvent]]] = defaultdict(set)
        self._recent: OrderedDict[uuid.UUID, deque[tuple[int, StatusEvent]]] = OrderedDict()
        self._forgotten_through = 0  # the newest event that may have left with an evicted ring
        self._listener: asyncio.Task | None = None
        self._listening = asyncio.Event()

    @property
    def open_streams(self) -> int:
        return self._open

    def _admit(self, user_id: uuid.UUID) -> None:
        if len(self._subscribers.get(user_id, ())) >= self._max_per_user:
            raise ApiError(
                429,
                f"too many open event streams: at most {self._max_per_user} per learner; "
                "close another tab or window of the app (it falls back to polling meanwhile)",
                headers={"Retry-After": "30"},
            )
        if self._open >= self._max_streams:
            raise ApiError(
                429,
                f"this server holds its limit of {self._max_streams} open event streams; "
                "the app falls back to polling meanwhile",
                headers={"Retry-After": "30"},
            )

    async def subscribe(self, user_id: uuid.UUID, last_event_id: str | None) -> asyncio.Queue[StatusEvent]:
        self._admit(user_id)
        queue: asyncio.Queue[StatusEvent] = asyncio.Queue(maxsize=1000)
        self._subscribers[user_id].add(queue)
        self._open += 1
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="status-event-listener")
        # Events written before LISTEN began would be lost silently: wait for it.
        try:
            await asyncio.wait_for(self._listening.wait(), timeout=10)
        except TimeoutError:
            self.unsubscribe(user_id, queue)
            raise ApiError(503, "live updates are unavailable right now; the app falls back to polling") from None
        if last_event_id is not None:
            missed = self._since(user_id, last_event_id)
            for event in missed if missed is not None else [RESYNC]:
                queue.put_nowait(event)
        return queue

    def unsubscribe(self, user_id: uuid.UUID, queue: asyncio.Queue[StatusEvent]) -> None:
        queues = self._subscribers.get(user_id)
        if queues is None or queue not in queues:
            return
        queues.discard(queue)
        self._open -= 1
        if not queues:
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
        covers_since_after = bool(recent) and recent[0][0] <= after
        # A full ring may have pushed out events this client never saw, and so may a ring that
        # was evicted to keep memory bounded.
        if not covers_since_after and (len(recent) == REPLAY_PER_USER or after < self._forgotten_through):
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
        self._remember(user_id, event)
        for queue in list(self._subscribers.get(user_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled client: it will resync when it catches up
                queue.get_nowait()
                queue.put_nowait(RESYNC)

    def _remember(self, user_id: uuid.UUID, event: StatusEvent) -> None:
        recent = self._recent.get(user_id)
        if recent is None:
            recent = self._recent[user_id] = deque(maxlen=REPLAY_PER_USER)
            if len(self._recent) > REMEMBERED_USERS:
                _, evicted = self._recent.popitem(last=False)
                self._forgotten_through = max(self._forgotten_through, evicted[-1][0])
        self._recent.move_to_end(user_id)
        recent.append((self._seq, event))

    def _broadcast_resync(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                if not queue.full():
                    queue.put_nowait(RESYNC)
