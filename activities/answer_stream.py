"""Stream a tutor answer to the learner while the model writes it: deltas go out on the same
Postgres channel as status events (`GET /v1/events`, kind `answer`), a few per second, each
well under NOTIFY's 8 KB payload limit. The complete answer is persisted once, by the caller."""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

CHANNEL = "studyflow_events"
_MIN_INTERVAL = 0.1
_MAX_DELTA_CHARS = 2000


class AnswerStream:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        owner_id: uuid.UUID,
        conversation_id: uuid.UUID,
        request_id: str,
    ):
        self._sessions = session_factory
        self._owner_id, self._conversation_id, self._request_id = owner_id, conversation_id, request_id
        self._sent = 0
        self._seq = 0
        self._last = 0.0
        self.first_delta_at: float | None = None

    async def __call__(self, answer_so_far: str) -> None:
        now = time.monotonic()
        if len(answer_so_far) <= self._sent or now - self._last < _MIN_INTERVAL:
            return
        await self._publish(answer_so_far)

    async def flush(self, answer: str) -> None:
        if len(answer) > self._sent:
            await self._publish(answer)

    async def _publish(self, answer: str) -> None:
        while self._sent < len(answer):
            delta = answer[self._sent : self._sent + _MAX_DELTA_CHARS]
            payload = {
                "user_id": str(self._owner_id),
                "kind": "answer",
                "id": str(self._conversation_id),
                "course_id": None,
                "status": "streaming",
                "request_id": self._request_id,
                "seq": self._seq,
                "offset": self._sent,
                "delta": delta,
            }
            async with self._sessions.begin() as session:
                await session.execute(
                    text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": json.dumps(payload)}
                )
            self._sent += len(delta)
            self._seq += 1
        self._last = time.monotonic()
        if self.first_delta_at is None:
            self.first_delta_at = self._last
